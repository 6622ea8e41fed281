"""The markets model as the faces see it: where each producer sells, net of the road."""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.models.markets import (
    FARM_GATE,
    MarketFigures,
    MarketResult,
    check_markets,
    compare_with_own_best,
    income_figures,
    route_comparison,
    scenario_market_data,
    solve_markets,
)
from optimizer.pipeline._common import _checked, _no_plan, _points, _with_ends
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import route_lines, travel
from optimizer.results import Check, Kpi
from optimizer.scenario.scenario import Scenario

__all__ = ["run_markets"]


def run_markets(scenario: Scenario, *, single_buyer: bool = False) -> ModelRun:
    """Where each producer sells, net of the road: the plan, the route comparison, incomes."""
    if not scenario.supply or not scenario.buyers:
        raise InputError(Problem(scenario.name, "supply rows and buyers for the markets model"))
    trips = travel(scenario, _points(scenario.members), _points(scenario.buyers))
    data = scenario_market_data(scenario, trips.distance_m, trips.time_s)
    params = scenario.parameters
    result = solve_markets(
        data, single_buyer=single_buyer, time_limit=params.time_limit_s, gap=params.mip_gap
    )
    currency = params.currency
    if not result.status.has_solution:
        return _no_plan("markets", scenario, result, trips.warnings)
    check = check_markets(data, result)
    _checked(check, "markets")
    figures = income_figures(
        data,
        result,
        cooperative=[m.cooperative for m in scenario.members],
        tags=[list(m.tags) for m in scenario.members],
    )
    own = compare_with_own_best(data, result)
    per_member = figures.members.rename(columns={"group": "cooperative"})
    per_member = per_member.assign(value=per_member["gain"])[["member", "cooperative", "value"]]
    head = [line for line in result.summary().splitlines() if "farm gate" not in line]
    return ModelRun(
        model="markets",
        scenario=scenario.name,
        status=result.status,
        summary="\n".join(
            [*head, figures.summary(currency, {p.id: p.name for p in scenario.products})]
        ),
        kpis=_kpis(result, check, figures, own, currency),
        tables={
            "plan": result.flows,
            "route_comparison": route_comparison(data, result),
            "own_best_vs_plan": own,
            "income_by_member": figures.members,
            "income_by_cooperative": figures.by_cooperative,
            "income_by_tag": figures.by_tag,
            "access": figures.access,
        },
        layers={"market_routes": _market_lines(scenario, result.flows)},
        per_member=per_member,
        value_label=f"income gain over the farm gate ({currency})",
        warnings=trips.warnings,
        result=result,
    )


def _kpis(
    result: MarketResult, check: Check, figures: MarketFigures, own: pd.DataFrame, currency: str
) -> tuple[Kpi, ...]:
    flows = result.flows
    gain_pct = 100 * figures.gain / figures.farm_gate_income if figures.farm_gate_income else 0.0
    return (
        Kpi("income", check.figures["income"], currency, True),
        Kpi("income at the farm gate", figures.farm_gate_income, currency, None),
        Kpi("gain over the farm gate", figures.gain, currency, True),
        Kpi("gain over the farm gate (%)", gain_pct, "%", True),
        Kpi(
            "sales not at the member's best buyer",
            float(own["pushed"].sum()),
            "member × product",
            None,
        ),
        Kpi("mean travel time to the buyer", figures.mean_time_h * 60, "min", False),
        Kpi("worst travel time to the buyer", figures.worst_time_h * 60, "min", False),
        Kpi(
            "quantity sold at the farm gate",
            float(flows.loc[flows["buyer"] == FARM_GATE, "quantity"].sum()),
            "units",
            False,
        ),
    )


def _market_lines(scenario: Scenario, flows: pd.DataFrame) -> list[dict[str, Any]]:
    """One road line per member and buyer it sells to, with what it sells there."""
    members = {m.id: m for m in scenario.members}
    buyers = {b.id: b for b in scenario.buyers}
    sold = flows[flows["buyer"] != FARM_GATE]
    pairs = sold.groupby(["member", "buyer"], as_index=False).agg(
        quantity=("quantity", "sum"),
        revenue=("revenue", "sum"),
        products=("product", lambda s: ", ".join(sorted(set(s)))),
    )
    pairs["cooperative"] = [members[m].cooperative for m in pairs["member"]]
    pairs = _with_ends(pairs, "member", members, "buyer", buyers)
    return route_lines(
        scenario,
        pairs,
        properties=["member", "buyer", "cooperative", "products", "quantity", "revenue"],
    )
