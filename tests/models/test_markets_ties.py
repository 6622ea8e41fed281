"""Equally good market plans are broken the same way each time (issue 12 §5).

Members used to move between equally good buyers whenever anything in the network changed, so
a what-if showed members it did not touch as winners and losers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer import apply_overrides, load_scenario
from optimizer.models.markets import MarketData, MarketResult, check_markets, solve_markets
from optimizer.pipeline.compare import compare_runs
from optimizer.pipeline.registry import run_model
from tests.conftest import LIECHTENSTEIN

N_MEMBERS = 40


def tied_market(
    supply: np.ndarray, cost_per_unit_km: float = 0.01, *, room: float = 0.0
) -> MarketData:
    """Two buyers at the same net price for every member: B2 pays exactly what its longer
    road costs (in floats, so the tie carries rounding noise); a third, B3, has ``room`` for
    produce at a price that ties across members (one road via B1: whoever gets its room, the
    income is the same)."""
    rng = np.random.default_rng(5)
    near = rng.uniform(2.0, 30.0, N_MEMBERS)
    extra = 7.3
    distance = np.column_stack([near, near + extra, near + 3.1])
    price = np.array([[1.0], [1.0 + extra * cost_per_unit_km], [1.2]])
    intake = np.array([[1e9], [1e9], [room]])
    return MarketData(
        supply=supply.reshape(-1, 1),
        farm_gate_price=np.full((N_MEMBERS, 1), 0.5),
        price=price,
        min_contract=np.zeros_like(price),
        max_intake=intake,
        handling_fee=np.zeros_like(price),
        weight_per_unit_kg=np.ones(1),
        perishability_h=np.full(1, np.nan),
        distance_km=distance,
        time_h=distance / 60.0,
        transport_cost_per_unit_km=np.full(1, cost_per_unit_km),
        member_ids=tuple(f"M{i:03d}" for i in range(N_MEMBERS)),
        buyer_ids=("B1", "B2", "B3"),
        product_ids=("milk",),
    )


def sales(data: MarketData) -> tuple[pd.Series, MarketResult]:
    result = solve_markets(data)
    assert result.status.has_solution
    check = check_markets(data, result)
    assert check.ok, check.problems
    plan = result.flows.set_index(["member", "buyer"])["quantity"].round(6)
    # quantities are whole multiples of 1e-3 here (the flow's integer scaling), the rest
    # of a member's supply stays at the farm gate
    return plan[plan > 0.01].sort_index(), result


def test_changing_one_member_moves_only_that_member() -> None:
    supply = np.linspace(1000.0, 5000.0, N_MEMBERS)
    before, first = sales(tied_market(supply))
    assert len(before) == N_MEMBERS  # each member at one of the two equal buyers
    changed = supply.copy()
    changed[17] += 333.0
    after, second = sales(tied_market(changed))
    # the income is the optimum either way: only M017's extra produce adds to it
    gain = 333.0 * (1.0 - 0.01 * tied_market(supply).distance_km[17, 0])
    assert abs(second.objective - first.objective - gain) <= 1e-3
    moved = {m for m, _ in before.index.symmetric_difference(after.index)}
    common = before.index.intersection(after.index)
    moved |= {m for m, _ in common[(before[common] - after[common]).abs() > 1e-6]}
    assert moved <= {"M017"}, sorted(moved)


def test_dearer_fuel_moves_nobody_whose_choice_ties_the_same_way() -> None:
    supply = np.linspace(1000.0, 5000.0, N_MEMBERS)
    room = supply.sum() / 4  # a quarter of the produce fits at B3; who gets it is a tie
    before, _ = sales(tied_market(supply, 0.01, room=room))
    after, _ = sales(tied_market(supply, 0.0101, room=room))
    assert "B3" in {b for _, b in before.index}
    assert before.index.equals(after.index)
    assert np.allclose(before.to_numpy(), after.to_numpy(), atol=1e-6)


def test_fuel_what_if_shows_no_reshuffled_winners_or_losers() -> None:
    base = load_scenario(LIECHTENSTEIN)
    dearer = apply_overrides(
        base, {"set": {"parameters.fuel_price_factor": base.parameters.fuel_price_factor * 1.01}}
    )
    runs = [run_model(base, "markets"), run_model(dearer, "markets")]
    own = [r.tables["own_best_vs_plan"].set_index(["member", "product"]) for r in runs]
    same = own[0].index[own[0]["own_best_buyer"] == own[1]["own_best_buyer"]]
    plans = [r.tables["plan"].set_index(["member", "product"]) for r in runs]
    for key in same:
        one, two = (p.loc[[key]].set_index("buyer")["quantity"].sort_index() for p in plans)
        assert one.index.equals(two.index) and np.allclose(one, two, atol=1e-6), key
    # dearer fuel helps nobody whose best buyer stayed; nobody loses more than a reshuffle would
    comparison = compare_runs(runs, ["base", "fuel +1 %"])
    assert comparison.winners().empty
    assert comparison.losers()["gain"].min() > -50.0
