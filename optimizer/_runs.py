"""The models as the faces see them: each adapter builds a :class:`~optimizer.pipeline.ModelRun`.

Each function takes a scenario, asks :mod:`optimizer.pipeline` for road distances, builds the
model's data, solves it, runs the independent checker, and lays the result out as KPIs,
tables, map layers and a per-member figure. Importing this module registers them.
"""

from __future__ import annotations

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.pipeline import ModelRun, register_model, route_lines, travel
from optimizer.scenario import Scenario

__all__ = ["run_markets"]


def _checked(ok: bool, problems: object, model: str) -> None:
    """A plan that fails its independent check is a bug, never a result to show."""
    if not ok:
        raise RuntimeError(f"the {model} plan failed its independent check: {problems}")


def _points(rows: object) -> pd.DataFrame:
    return pd.DataFrame([{"id": r.id, "lat": r.lat, "lon": r.lon} for r in rows])  # type: ignore[attr-defined]


@register_model("markets")
def run_markets(scenario: Scenario, *, single_buyer: bool = False) -> ModelRun:
    """Where each producer sells, net of the road: the plan, the route comparison, incomes."""
    from optimizer.models.markets import (
        FARM_GATE,
        check_markets,
        compare_with_own_best,
        income_figures,
        route_comparison,
        scenario_market_data,
        solve_markets,
    )

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
        return ModelRun(
            "markets",
            scenario.name,
            result.status,
            result.summary(),
            {},
            {},
            {},
            warnings=trips.warnings,
            result=result,
        )
    check = check_markets(data, result)
    _checked(check.ok, check.problems, "markets")
    figures = income_figures(
        data,
        result,
        cooperative=[m.cooperative for m in scenario.members],
        tags=[list(m.tags) for m in scenario.members],
    )
    comparison = route_comparison(data, result)
    own = compare_with_own_best(data, result)
    flows = result.flows
    sold = flows[flows["buyer"] != FARM_GATE]
    gain_pct = 100 * figures.gain / figures.farm_gate_income if figures.farm_gate_income else 0.0
    kpis = {
        "income": check.income,
        "income at the farm gate": figures.farm_gate_income,
        "gain over the farm gate": figures.gain,
        "gain over the farm gate (%)": gain_pct,
        "member-products not at their best buyer": float(own["pushed"].sum()),
        "mean travel time to the buyer": figures.mean_time_h * 60,
        "worst travel time to the buyer": figures.worst_time_h * 60,
        "quantity sold at the farm gate": float(
            flows.loc[flows["buyer"] == FARM_GATE, "quantity"].sum()
        ),
    }
    units = {
        "income": currency,
        "income at the farm gate": currency,
        "gain over the farm gate": currency,
        "gain over the farm gate (%)": "%",
        "member-products not at their best buyer": "rows",
        "mean travel time to the buyer": "min",
        "worst travel time to the buyer": "min",
        "quantity sold at the farm gate": "units",
    }
    members = {m.id: m for m in scenario.members}
    buyers = {b.id: b for b in scenario.buyers}
    pairs = sold.groupby(["member", "buyer"], as_index=False).agg(
        quantity=("quantity", "sum"),
        revenue=("revenue", "sum"),
        products=("product", lambda s: ", ".join(sorted(set(s)))),
    )
    pairs["cooperative"] = [members[m].cooperative for m in pairs["member"]]
    pairs["origin_lat"] = [members[m].lat for m in pairs["member"]]
    pairs["origin_lon"] = [members[m].lon for m in pairs["member"]]
    pairs["destination_lat"] = [buyers[b].lat for b in pairs["buyer"]]
    pairs["destination_lon"] = [buyers[b].lon for b in pairs["buyer"]]
    lines = route_lines(
        scenario,
        pairs,
        properties=["member", "buyer", "cooperative", "products", "quantity", "revenue"],
    )
    per_member = figures.members.rename(columns={"group": "cooperative"})
    per_member = per_member.assign(value=per_member["gain"])[["member", "cooperative", "value"]]
    summary = "\n".join([result.summary(), figures.summary()])
    return ModelRun(
        model="markets",
        scenario=scenario.name,
        status=result.status,
        summary=summary,
        kpis=kpis,
        units=units,
        tables={
            "plan": flows,
            "route_comparison": comparison,
            "own_best_vs_plan": own,
            "income_by_member": figures.members,
            "income_by_cooperative": figures.by_cooperative,
            "income_by_tag": figures.by_tag,
            "access": figures.access,
        },
        layers={"market_routes": lines},
        per_member=per_member,
        value_label=f"income gain over the farm gate ({currency})",
        warnings=trips.warnings,
        result=result,
    )
