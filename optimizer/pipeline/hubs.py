"""The hubs model as the faces see it: hubs to open and share, corridors, value of sharing.

Importing this module registers ``hubs`` with :func:`~optimizer.pipeline.run.run_model`.
"""

from __future__ import annotations

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.pipeline._common import _checked, _no_plan, _points, _with_ends
from optimizer.pipeline.run import ModelRun, register_model
from optimizer.pipeline.travel import route_lines, travel
from optimizer.results import Kpi
from optimizer.scenario.scenario import Scenario

__all__ = ["run_hubs"]


@register_model("hubs")
def run_hubs(scenario: Scenario) -> ModelRun:
    """Which hubs to open and share, the corridors and their trucks, and what sharing is worth."""
    import numpy as np

    from optimizer.models.hubs import check_hubs
    from optimizer.models.hubs.scenario import hub_scenario, solve_coalition
    from optimizer.models.sharing import (
        CoalitionGame,
        check_core,
        least_core_split,
        proportional_split,
        shapley_split,
    )

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
    params = scenario.parameters
    limit, gap = params.time_limit_s, params.mip_gap
    everyone = hs.cooperatives
    data, result, kept_members, kept_hubs = solve_coalition(hs, everyone, time_limit=limit, gap=gap)
    notes = to_hubs.warnings + corridors_km.warnings
    if not result.status.has_solution:
        return _no_plan("hubs", scenario, result, notes)
    check = check_hubs(data, result)
    _checked(check.ok, check.problems, "hubs")
    statuses = [result.status]

    def coalition_cost(coalition: frozenset[int]) -> float:
        names = [everyone[i] for i in coalition]
        if len(names) == len(everyone):
            net = result.objective
        else:
            sub_data, sub, _, _ = solve_coalition(hs, names, time_limit=limit, gap=gap)
            if not sub.status.has_solution:
                raise RuntimeError(f"no plan for cooperatives {', '.join(names)} alone")
            sub_check = check_hubs(sub_data, sub)
            _checked(sub_check.ok, sub_check.problems, "hubs (coalition)")
            statuses.append(sub.status)
            net = sub.objective
        in_coalition = np.array([c in names for c in hs.member_coop])
        return float(hs.upper_value[in_coalition].sum() - net)

    currency = params.currency
    game = CoalitionGame(
        everyone,
        coalition_cost,
        currency=currency,
        noun="cooperatives",
        alone="run their collection",
        going_alone="running their collection",
    )
    rules = {
        "shapley": shapley_split(game),
        "least_core": least_core_split(game),
        "proportional": proportional_split(game),
    }
    cores = {name: check_core(game, rule.shares) for name, rule in rules.items()}
    shapley = rules["shapley"]
    upper = np.array(
        [hs.upper_value[np.array([c == coop for c in hs.member_coop])].sum() for coop in everyone]
    )
    split = pd.DataFrame(
        {"cooperative": list(everyone), "net_value_alone": upper - shapley.standalone}
    )
    for name, rule in rules.items():
        split[f"net_value_{name}"] = upper - rule.shares
        split[f"gain_{name}"] = rule.standalone - rule.shares
    stability = pd.DataFrame(
        [
            {
                "rule": name,
                "stable": core.stable,
                "verdict": core.message,
                "gaining_group": ", ".join(core.coalition),
                "gain": core.gain,
            }
            for name, core in cores.items()
        ]
    )
    chosen = next((n for n in ("shapley", "least_core") if cores[n].stable), "least_core")
    sharing_value = float(shapley.standalone.sum() - shapley.total)
    hub_rows = []
    weights = result.first_mile.groupby("hub")["weight_kg"].sum()
    load = dict(zip(weights.index.astype(int), weights.to_numpy(float), strict=True))
    for j, full in enumerate(kept_hubs):
        hub = scenario.hubs[int(full)]
        kg = float(load.get(j, 0.0))
        hub_rows.append(
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
        if full not in kept_hubs:
            hub_rows.append(
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
    hub_table = pd.DataFrame(hub_rows)
    hub_id = {j: scenario.hubs[int(full)].id for j, full in enumerate(kept_hubs)}
    member_id = {i: scenario.members[int(full)].id for i, full in enumerate(kept_members)}
    corridors = result.corridors.copy()
    corridors["distance_km"] = [
        float(data.distance_hub_buyer_km[h, b])
        for h, b in zip(corridors["hub"], corridors["buyer"], strict=True)
    ]
    corridors["utilisation_pct"] = (
        100
        * corridors["load_kg"]
        / (corridors["trucks"] * corridors["payload_kg"]).where(corridors["trucks"] > 0, np.nan)
    )
    corridors["hub"] = [hub_id[h] for h in corridors["hub"]]
    corridors["buyer"] = [hs.buyer_ids[b] for b in corridors["buyer"]]

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        if "member" in out:
            out["member"] = [member_id[m] for m in out["member"]]
        if "hub" in out:
            out["hub"] = [hub_id[h] for h in out["hub"]]
        if "buyer" in out:
            out["buyer"] = [hs.buyer_ids[b] for b in out["buyer"]]
        if "product" in out:
            out["product"] = [hs.product_ids[p] for p in out["product"]]
        return out

    v = result.value
    by_echelon = pd.DataFrame(
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
    kpis = (
        Kpi("net value", result.objective, currency, True),
        Kpi("value of sharing", sharing_value, currency, True),
        Kpi("hubs open", float(len(result.open_hubs)), "hubs", None),
        Kpi("trucks on corridors", float(corridors["trucks"].sum()), "trucks", None),
        Kpi("corridor truck cost", v.truck_cost, currency, False),
        Kpi("first-mile cost", v.first_mile_cost, currency, False),
        Kpi("hub costs (fixed and handling)", v.hub_fixed_cost + v.handling_cost, currency, False),
        Kpi("direct trip cost", v.direct_cost, currency, False),
    )
    hub_points = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [h.lon, h.lat]},
            "properties": {
                "id": h.id,
                "name": h.name,
                "open": bool(row["open"]),
                "existing": h.existing,
                "load_kg": row["load_kg"],
            },
        }
        for h, (_, row) in zip(
            scenario.hubs,
            hub_table.set_index("hub").loc[[h.id for h in scenario.hubs]].reset_index().iterrows(),
            strict=True,
        )
    ]
    hub_at = {h.id: h for h in scenario.hubs}
    buyer_at = {b.id: b for b in scenario.buyers}
    lanes = _with_ends(corridors[corridors["trucks"] > 0], "hub", hub_at, "buyer", buyer_at)
    corridor_lines = route_lines(scenario, lanes, properties=["hub", "buyer", "trucks", "load_kg"])
    member_at = {m.id: m for m in scenario.members}
    first_mile = named(result.first_mile)
    links = first_mile.groupby(["member", "hub"], as_index=False)["weight_kg"].sum()
    feeder_lines = [
        {
            "type": "Feature",
            "properties": {
                "member": r.member,
                "hub": r.hub,
                "weight_kg": float(r.weight_kg),
                "cooperative": member_at[r.member].cooperative,
            },
            "geometry": {
                "type": "LineString",
                "coordinates": [
                    [member_at[r.member].lon, member_at[r.member].lat],
                    [hub_at[r.hub].lon, hub_at[r.hub].lat],
                ],
            },
        }
        for r in links.itertuples(index=False)
    ]
    per_coop = split.rename(columns={f"gain_{chosen}": "value"})
    per_coop = per_coop.assign(member=per_coop["cooperative"])[["member", "cooperative", "value"]]
    status = max(statuses, key=lambda s: s is not type(s).OPTIMAL)
    summary = "\n".join(
        [
            result.summary(),
            f"value of sharing: {sharing_value:,.2f} {currency} a {params.planning_period} "
            f"(all cooperatives together against each alone)",
            f"split ({chosen.replace('_', ' ')}): "
            + "; ".join(
                f"{c} {g:+,.2f}" for c, g in zip(everyone, split[f"gain_{chosen}"], strict=True)
            ),
            *(f"{name.replace('_', ' ')}: {core.message}" for name, core in cores.items()),
        ]
    )
    return ModelRun(
        model="hubs",
        scenario=scenario.name,
        status=status,
        summary=summary,
        kpis=kpis,
        tables={
            "hubs": hub_table,
            "corridors": corridors,
            "cost_by_echelon": by_echelon,
            "sharing": split,
            "sharing_stability": stability,
            "first_mile": first_mile,
            "corridor_flows": named(result.corridor_flows),
            "direct": named(result.direct),
            "farm_gate": named(result.unsold),
        },
        layers={"hubs": hub_points, "corridors": corridor_lines, "first_mile": feeder_lines},
        per_member=per_coop,
        value_label=f"gain from sharing per cooperative, {chosen.replace('_', ' ')} ({currency})",
        warnings=notes,
        result=result,
    )
