"""The hubs model as the faces see it: hubs to open and share, corridors, value of sharing.

The model (:mod:`optimizer.models.hubs`) plans the whole network and splits what sharing is
worth among the cooperatives; this adapter feeds it road distances and lays the result out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.io.geojson import line, point
from optimizer.models.hubs import HubData, HubResult, HubSharing, check_hubs, split_hubs
from optimizer.models.hubs.scenario import HubScenario, hub_scenario, solve_coalition
from optimizer.pipeline._common import _checked, _no_plan, _points, _with_ends
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import route_lines, travel
from optimizer.results import Kpi, worst_status
from optimizer.scenario.scenario import Scenario

__all__ = ["network_hubs", "run_hubs"]


@dataclass(frozen=True, eq=False)
class _Plan:
    """The whole network's plan, and which scenario places its indices stand for."""

    scenario: Scenario
    hs: HubScenario
    data: HubData
    result: HubResult
    kept_members: np.ndarray
    kept_hubs: np.ndarray

    def hub_id(self, j: int) -> str:
        return self.scenario.hubs[int(self.kept_hubs[j])].id

    def named(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with member, hub, buyer and product indices replaced by their ids."""
        out = frame.copy()
        members = self.scenario.members
        if "member" in out:
            out["member"] = [members[int(self.kept_members[m])].id for m in out["member"]]
        if "hub" in out:
            out["hub"] = [self.hub_id(h) for h in out["hub"]]
        if "buyer" in out:
            out["buyer"] = [self.hs.buyer_ids[b] for b in out["buyer"]]
        if "product" in out:
            out["product"] = [self.hs.product_ids[p] for p in out["product"]]
        return out


def network_hubs(scenario: Scenario) -> tuple[HubScenario, tuple[str, ...]]:
    """The hubs model's inputs over the roads (every hub a candidate) and the road warnings."""
    if not scenario.supply or not scenario.buyers or not scenario.hubs:
        raise InputError(Problem(scenario.name, "supply, buyers and hubs for the hubs model"))
    members, hubs, buyers = (
        _points(scenario.members),
        _points(scenario.hubs),
        _points(scenario.buyers),
    )
    to_hubs = travel(scenario, members, hubs)
    to_buyers = travel(scenario, members, buyers)
    corridors_km = travel(scenario, hubs, buyers)
    hs = hub_scenario(scenario, to_hubs.distance_m, to_buyers.distance_m, corridors_km.distance_m)
    # one closure or far place met by two matrices is one note
    return hs, tuple(dict.fromkeys(to_hubs.warnings + corridors_km.warnings))


# The value of sharing is a small difference of large net values (at 5,000 members about 11 k
# EUR against 70 M EUR): when the solves' gaps could move it by more than this share of it,
# the plan and the coalitions are solved once more with a gap a hundred times smaller (at
# least _FINEST_GAP). On the default scenario the 0.1 % gap left 2,354 EUR of slack against a
# value of 150.31 EUR; at 1e-5 it is 167.62 EUR, proven, in 0.2 s.
_SHARING_SLACK = 0.05
_FINEST_GAP = 1e-7
_TIGHTER = 100  # 10 left the default scenario loose (150.31 EUR within ±47.26)


def run_hubs(scenario: Scenario) -> ModelRun:
    """Which hubs to open and share, the corridors and their trucks, and what sharing is worth."""
    hs, notes = network_hubs(scenario)
    params = scenario.parameters
    limit, gap = params.time_limit_s, params.mip_gap
    currency = params.currency
    coops = {c.id: c.name for c in scenario.cooperatives}
    for attempt in range(2):
        data, result, kept_members, kept_hubs = solve_coalition(
            hs, hs.cooperatives, time_limit=limit, gap=gap
        )
        if not result.status.has_solution:
            return _no_plan("hubs", scenario, result, notes)
        _checked(check_hubs(data, result), "hubs")
        sharing = split_hubs(hs, result, time_limit=limit, gap=gap, currency=currency, labels=coops)
        loose = sharing.slack > _SHARING_SLACK * abs(sharing.value)
        if attempt or not loose or gap <= _FINEST_GAP or not math.isfinite(sharing.slack):
            break
        gap = max(gap / _TIGHTER, _FINEST_GAP)
    if loose:
        notes = (*notes, _slack_note(sharing))
    plan = _Plan(scenario, hs, data, result, kept_members, kept_hubs)
    return _lay_out(plan, sharing, notes)


def _slack_note(sharing: HubSharing) -> str:
    c = sharing.currency
    return (
        f"the value of sharing, {sharing.value:,.2f} {c}, is known only within "
        f"±{sharing.slack:,.2f} {c}: the solves stop within their gap (scenario parameter "
        "mip_gap) and the value is a small difference of large net values; the split and its "
        "verdicts are as exact as that"
    )


def _lay_out(plan: _Plan, sharing: HubSharing, notes: tuple[str, ...]) -> ModelRun:
    """The plan and its split as KPIs, tables, map layers and a figure per cooperative."""
    scenario, result = plan.scenario, plan.result
    currency = scenario.parameters.currency
    hub_table = _hub_table(plan)
    corridors = _corridors(plan)
    first_mile = plan.named(result.first_mile)
    chosen = sharing.chosen
    per_coop = sharing.split.rename(columns={f"gain_{chosen}": "value"})
    per_coop = per_coop.assign(member=per_coop["cooperative"])[["member", "cooperative", "value"]]
    coops = {c.id: c.name for c in scenario.cooperatives}
    period = scenario.parameters.planning_period
    summary = "\n".join([result.summary(currency), sharing.summary(period, coops)])
    return ModelRun(
        model="hubs",
        scenario=scenario.name,
        status=worst_status(sharing.statuses),
        summary=summary,
        kpis=_kpis(result, sharing, corridors, currency),
        tables={
            "hubs": hub_table,
            "corridors": corridors,
            "cost_by_echelon": _by_echelon(result),
            "sharing": sharing.split,
            "sharing_stability": sharing.stability,
            "first_mile": first_mile,
            "corridor_flows": plan.named(result.corridor_flows),
            "direct": plan.named(result.direct),
            "farm_gate": plan.named(result.unsold),
        },
        layers={
            "hubs": _hub_points(scenario, hub_table),
            "corridors": _corridor_lines(scenario, corridors),
            "first_mile": _feeder_lines(scenario, first_mile),
        },
        per_member=per_coop,
        value_label=f"gain from sharing per cooperative, {chosen.replace('_', ' ')} ({currency})",
        warnings=notes,
        result=result,
    )


def _hub_table(plan: _Plan) -> pd.DataFrame:
    """Every hub of the scenario: open or not, its load and how full it is."""
    scenario, result = plan.scenario, plan.result
    weights = result.first_mile.groupby("hub")["weight_kg"].sum()
    load = dict(zip(weights.index.astype(int), weights.to_numpy(float), strict=True))
    rows = []
    for j, full in enumerate(plan.kept_hubs):
        hub = scenario.hubs[int(full)]
        kg = float(load.get(j, 0.0))
        rows.append(
            {
                "hub": hub.id,
                "name": hub.name,
                "owner": hub.cooperative or "shared",
                "existing": hub.existing,
                "open": j in result.open_hubs,
                "load_kg": kg,
                "capacity_kg": hub.capacity,
                "utilisation_pct": 100 * kg / hub.capacity,
                "fixed_cost": hub.fixed_cost,
            }
        )
    for full, hub in enumerate(scenario.hubs):
        if full not in plan.kept_hubs:
            rows.append(
                {
                    "hub": hub.id,
                    "name": hub.name,
                    "owner": hub.cooperative,
                    "existing": hub.existing,
                    "open": False,
                    "load_kg": 0.0,
                    "capacity_kg": hub.capacity,
                    "utilisation_pct": 0.0,
                    "fixed_cost": hub.fixed_cost,
                }
            )
    return pd.DataFrame(rows)


def _corridors(plan: _Plan) -> pd.DataFrame:
    """Trucks per corridor hub → buyer, with the road distance and how full they run."""
    corridors = plan.result.corridors.copy()
    corridors["distance_km"] = [
        float(plan.data.distance_hub_buyer_km[h, b])
        for h, b in zip(corridors["hub"], corridors["buyer"], strict=True)
    ]
    capacity = corridors["trucks"] * corridors["payload_kg"]
    corridors["utilisation_pct"] = (
        100 * corridors["load_kg"] / capacity.where(corridors["trucks"] > 0, np.nan)
    )
    corridors["hub"] = [plan.hub_id(h) for h in corridors["hub"]]
    corridors["buyer"] = [plan.hs.buyer_ids[b] for b in corridors["buyer"]]
    return corridors


def _by_echelon(result: HubResult) -> pd.DataFrame:
    v = result.value
    return pd.DataFrame(
        {
            "echelon": [
                "revenue at buyers",
                "revenue at the farm gate",
                "first mile",
                "hub handling",
                "corridor trucks",
                "hub fixed costs",
                "direct trips",
            ],
            "amount": [
                v.revenue,
                v.farm_gate_revenue,
                -v.first_mile_cost,
                -v.handling_cost,
                -v.truck_cost,
                -v.hub_fixed_cost,
                -v.direct_cost,
            ],
        }
    )


def _kpis(
    result: HubResult, sharing: HubSharing, corridors: pd.DataFrame, currency: str
) -> tuple[Kpi, ...]:
    v = result.value
    return (
        Kpi("net value", result.objective, currency, True),
        Kpi("value of sharing", sharing.value, currency, True),
        Kpi("hubs open", float(len(result.open_hubs)), "hubs", None),
        Kpi("trucks on corridors", float(corridors["trucks"].sum()), "trucks", None),
        Kpi("corridor truck cost", v.truck_cost, currency, False),
        Kpi("first-mile cost", v.first_mile_cost, currency, False),
        Kpi("hub costs (fixed and handling)", v.hub_fixed_cost + v.handling_cost, currency, False),
        Kpi("direct trip cost", v.direct_cost, currency, False),
    )


def _hub_points(scenario: Scenario, hub_table: pd.DataFrame) -> list[dict[str, Any]]:
    rows = hub_table.set_index("hub")
    return [
        point(
            h.lon,
            h.lat,
            {
                "id": h.id,
                "name": h.name,
                "open": bool(rows.loc[h.id, "open"]),
                "existing": h.existing,
                "load_kg": rows.loc[h.id, "load_kg"],
            },
        )
        for h in scenario.hubs
    ]


def _corridor_lines(scenario: Scenario, corridors: pd.DataFrame) -> list[dict[str, Any]]:
    hub_at = {h.id: h for h in scenario.hubs}
    buyer_at = {b.id: b for b in scenario.buyers}
    lanes = _with_ends(corridors[corridors["trucks"] > 0], "hub", hub_at, "buyer", buyer_at)
    return route_lines(scenario, lanes, properties=["hub", "buyer", "trucks", "load_kg"])


def _feeder_lines(scenario: Scenario, first_mile: pd.DataFrame) -> list[dict[str, Any]]:
    """Straight lines from each member to the hub it feeds (the first mile, not drawn on roads)."""
    member_at = {m.id: m for m in scenario.members}
    hub_at = {h.id: h for h in scenario.hubs}
    links = first_mile.groupby(["member", "hub"], as_index=False)["weight_kg"].sum()
    return [
        line(
            [
                (member_at[r.member].lon, member_at[r.member].lat),
                (hub_at[r.hub].lon, hub_at[r.hub].lat),
            ],
            {
                "member": r.member,
                "hub": r.hub,
                "weight_kg": float(r.weight_kg),
                "cooperative": member_at[r.member].cooperative,
            },
        )
        for r in links.itertuples(index=False)
    ]
