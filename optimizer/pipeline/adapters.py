"""The models as the faces see them: each adapter builds a :class:`~optimizer.pipeline.ModelRun`.

Each function takes a scenario, asks :mod:`optimizer.pipeline.run` for road distances, builds the
model's data, solves it, runs the independent checker, and lays the result out as KPIs,
tables, map layers and a per-member figure. Importing this module registers them.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.pipeline.run import ModelRun, register_model, route_lines, travel
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario

__all__ = ["run_hubs", "run_markets", "run_procurement", "run_routes"]


def _checked(ok: bool, problems: object, model: str) -> None:
    """A plan that fails its independent check is a bug, never a result to show."""
    if not ok:
        raise RuntimeError(f"the {model} plan failed its independent check: {problems}")


def _no_plan(model: str, scenario: Scenario, result: Any, notes: tuple[str, ...]) -> ModelRun:
    """A run whose solver found no plan: its status and message, nothing to draw."""
    return ModelRun(
        model,
        scenario.name,
        result.status,
        result.summary(),
        (),
        {},
        warnings=notes,
        result=result,
    )


def _with_ends(
    frame: pd.DataFrame,
    origin: str,
    origins: dict[str, Any],
    destination: str,
    destinations: dict[str, Any],
) -> pd.DataFrame:
    """``frame`` with the coordinates of the places its ``origin``/``destination`` columns name
    (``origins`` and ``destinations`` map ids to rows with ``lat`` and ``lon``)."""
    out = frame.copy()
    out["origin_lat"] = [origins[i].lat for i in out[origin]]
    out["origin_lon"] = [origins[i].lon for i in out[origin]]
    out["destination_lat"] = [destinations[i].lat for i in out[destination]]
    out["destination_lon"] = [destinations[i].lon for i in out[destination]]
    return out


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
        return _no_plan("markets", scenario, result, trips.warnings)
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
    kpis = (
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
    members = {m.id: m for m in scenario.members}
    buyers = {b.id: b for b in scenario.buyers}
    pairs = sold.groupby(["member", "buyer"], as_index=False).agg(
        quantity=("quantity", "sum"),
        revenue=("revenue", "sum"),
        products=("product", lambda s: ", ".join(sorted(set(s)))),
    )
    pairs["cooperative"] = [members[m].cooperative for m in pairs["member"]]
    pairs = _with_ends(pairs, "member", members, "buyer", buyers)
    lines = route_lines(
        scenario,
        pairs,
        properties=["member", "buyer", "cooperative", "products", "quantity", "revenue"],
    )
    per_member = figures.members.rename(columns={"group": "cooperative"})
    per_member = per_member.assign(value=per_member["gain"])[["member", "cooperative", "value"]]
    head = [line for line in result.summary().splitlines() if "farm gate" not in line]
    summary = "\n".join([*head, figures.summary()])
    return ModelRun(
        model="markets",
        scenario=scenario.name,
        status=result.status,
        summary=summary,
        kpis=kpis,
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


@register_model("routes")
def run_routes(
    scenario: Scenario, *, engine: str = "pyvrp", time_limit: float | None = None
) -> ModelRun:
    """Daily collection tours from the vehicles' hubs, on the roads, with their checks.

    ``time_limit`` is the search time per group of vehicle types: 1 s by default (at most the
    scenario's ``time_limit_s``), enough for tours of a few dozen stops; give more for large
    groups (``optimizer solve ... --time-limit 10``).
    """

    from optimizer.models.routing import check_routes, solve_routes
    from optimizer.models.routing.scenario import routing_locations, routing_problems

    if not scenario.supply or not scenario.vehicles:
        raise InputError(Problem(scenario.name, "supply and vehicles for collection routing"))
    places = routing_locations(scenario)
    points = pd.DataFrame(
        {
            "id": [f"{k}:{i}" for k, i in zip(places.kinds, places.ids, strict=True)],
            "lat": places.lat,
            "lon": places.lon,
        }
    )
    trips = travel(scenario, points, points)
    groups = routing_problems(scenario, places, trips.distance_m, trips.time_s)
    limit = time_limit if time_limit is not None else min(scenario.parameters.time_limit_s, 1.0)
    currency = scenario.parameters.currency
    route_rows, stop_rows, skipped_rows, statuses = [], [], [], []
    legs = []
    # the engines release the GIL while they search: the vehicle groups share the cores
    workers = max(1, min(len(groups), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(
            pool.map(
                lambda g: solve_routes(g.problem, engine=engine, time_limit=limit),  # type: ignore[arg-type]
                groups,
            )
        )
    for group, result in zip(groups, results, strict=True):
        statuses.append(result.status)
        if not result.status.has_solution:
            continue
        check = check_routes(group.problem, result)
        _checked(check.ok, check.problems, "routes")
        label = "+".join(group.products)
        types = group.problem.vehicle_types
        for row in _records(result.routes):
            route_rows.append(
                {
                    "route": f"{label} #{row.route}",
                    "products": label,
                    "vehicle": types[row.vehicle_type].name,
                    "stops": row.stops,
                    "load_kg": row.load,
                    "payload_kg": row.payload,
                    "utilisation_pct": round(
                        100 * row.utilisation if row.utilisation <= 1 else row.utilisation, 1
                    ),
                    "km": round(row.distance / 1000, 2),
                    "hours": round(row.duration / 3600, 2),
                    "start": _clock(row.start_time),
                    "end": _clock(row.end_time),
                    "cost": round(float(row.cost), 2),
                }
            )
        for row in _records(result.stops):
            stop_rows.append(
                {
                    "route": f"{label} #{row.route}",
                    "position": row.position,
                    "member": row.name,
                    "arrival": _clock(row.arrival),
                    "service_start": _clock(row.service_start),
                    "load_kg": row.load,
                }
            )
        for row in _records(result.skipped):
            skipped_rows.append(
                {"products": label, "member": row.name, "penalty": float(row.penalty)}
            )
        for route in _records(result.routes):
            seq = result.stops[result.stops["route"] == route.route].sort_values("position")
            path = [
                int(route.start_location),
                *seq["location"].astype(int),
                int(route.end_location),
            ]
            for a, b in itertools.pairwise(path):
                legs.append(
                    {
                        "route": f"{label} #{route.route}",
                        "products": label,
                        "origin_lat": places.lat[a],
                        "origin_lon": places.lon[a],
                        "destination_lat": places.lat[b],
                        "destination_lon": places.lon[b],
                    }
                )
    routes = pd.DataFrame(
        route_rows,
        columns=[
            "route",
            "products",
            "vehicle",
            "stops",
            "load_kg",
            "payload_kg",
            "utilisation_pct",
            "km",
            "hours",
            "start",
            "end",
            "cost",
        ],
    )
    stops = pd.DataFrame(
        stop_rows, columns=["route", "position", "member", "arrival", "service_start", "load_kg"]
    )
    skipped = pd.DataFrame(skipped_rows, columns=["products", "member", "penalty"])
    lines = route_lines(scenario, pd.DataFrame(legs), properties=["route", "products"])
    status = max(statuses, key=lambda s: s is not type(s).OPTIMAL) if statuses else Status.ERROR
    kpis = (
        Kpi("routes", float(len(routes)), "routes", None),
        Kpi("km driven", float(routes["km"].sum()), "km", False),
        Kpi("hours on the road", float(routes["hours"].sum()), "h", False),
        Kpi("collection cost", float(routes["cost"].sum()), currency, False),
        Kpi("members collected", float(stops["member"].nunique()), "members", True),
        Kpi("members skipped", float(len(skipped)), "members", False),
        Kpi(
            "mean truck utilisation",
            float(routes["utilisation_pct"].mean()) if len(routes) else 0.0,
            "%",
            True,
        ),
    )
    figure = {k.label: k.value for k in kpis}
    member_coop = {m.id: m.cooperative for m in scenario.members}
    visits = stops.merge(routes[["route", "km", "cost", "stops"]], on="route")
    per_member = pd.DataFrame(
        {
            "member": visits["member"],
            "cooperative": [member_coop.get(m, "") for m in visits["member"]],
            "value": (visits["cost"] / visits["stops"]).astype(float),
        }
    )
    summary = (
        f"routes: {len(routes)} collection tours, {figure['km driven']:,.1f} km, "
        f"{figure['hours on the road']:,.1f} h, cost {figure['collection cost']:,.2f} {currency} "
        f"per collection day; {int(figure['members collected'])} members collected"
        + (f", {len(skipped)} skipped (see the table 'skipped')" if len(skipped) else "")
        + f" ({engine}, {limit:g} s per vehicle group)"
    )
    return ModelRun(
        model="routes",
        scenario=scenario.name,
        status=status,
        summary=summary,
        kpis=kpis,
        tables={"routes": routes, "stops": stops, "skipped": skipped},
        layers={"routes": lines},
        per_member=per_member,
        value_label=f"collection cost per stop ({currency})",
        value_higher_is_better=False,
        warnings=trips.warnings,
        result=None,
    )


class _Record:
    """A table row whose columns read as attributes (typed loosely: values come from solvers)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # only reached for a missing column
        raise AttributeError(name)


def _records(frame: pd.DataFrame) -> list[Any]:
    return [_Record({str(k): v for k, v in row.items()}) for row in frame.to_dict("records")]


def _clock(seconds: float) -> str:
    minutes = round(float(seconds) / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@register_model("procurement")
def run_procurement(
    scenario: Scenario, *, rule: str = "shapley", level: str = "cooperative"
) -> ModelRun:
    """The pooled order, its truckloads, each member's bill and savings, and a stable split.

    ``rule`` splits the pooled bill (``shapley``, ``least_core``, ``proportional`` to
    standalone cost, ``volume``) among cooperatives or members (``level``). With cooperatives
    as players, a cooperative's share is passed on to its members in proportion to what each
    would pay alone. The verdict says whether any group of players would pay less ordering
    on its own.
    """
    from optimizer.models.equity import equity_figures
    from optimizer.models.procurement import check_procurement, solve_procurement
    from optimizer.models.procurement.scenario import (
        drop_point_ids,
        member_groups,
        scenario_procurement_data,
    )
    from optimizer.models.sharing import split_procurement

    if rule not in ("shapley", "least_core", "proportional", "volume"):
        raise InputError(
            Problem("split rule", "shapley, least_core, proportional or volume", value=rule)
        )
    if level not in ("member", "cooperative"):
        raise InputError(Problem("split level", "member or cooperative", value=level))
    if not scenario.demand or not scenario.suppliers:
        raise InputError(Problem(scenario.name, "demand and suppliers for the procurement model"))
    drops = drop_point_ids(scenario)
    targets = (
        scenario.table("hubs")
        if scenario.parameters.drop_point == "hub"
        else (scenario.table("members"))
    )
    targets = targets.set_index("id").loc[list(drops)].reset_index()
    deliveries = travel(scenario, scenario.table("suppliers"), targets)
    data = scenario_procurement_data(scenario, deliveries.distance_m / 1000)
    params = scenario.parameters
    result = solve_procurement(data, time_limit=params.time_limit_s, gap=params.mip_gap)
    currency = params.currency
    if not result.status.has_solution:
        return _no_plan("procurement", scenario, result, deliveries.warnings)
    check = check_procurement(data, result)
    _checked(check.ok, check.problems, "procurement")
    groups = member_groups(scenario, data)
    sharing = split_procurement(
        data,
        method=rule,  # type: ignore[arg-type]
        level=level,  # type: ignore[arg-type]
        groups=groups if level == "cooperative" else None,
        time_limit=params.time_limit_s,
        # the core check must see gains far smaller than the planning gap allows
        gap=min(params.mip_gap, 1e-7),
    )
    members = result.members.copy()
    coop_of = {m.id: m.cooperative for m in scenario.members}
    members.insert(1, "cooperative", [coop_of[m] for m in members["member"]])
    if level == "cooperative":
        share = dict(zip(sharing.split.players, sharing.split.shares, strict=True))
        alone = members.groupby("cooperative")["standalone_cost"].transform("sum")
        members["bill"] = [share[c] for c in members["cooperative"]] * (
            members["standalone_cost"] / alone
        )
    else:
        members["bill"] = sharing.split.shares
    members["savings"] = members["standalone_cost"] - members["bill"]
    members["savings_pct"] = 100 * members["savings"] / members["standalone_cost"]
    members = members[
        ["member", "cooperative", "drop_point", "standalone_cost", "bill", "savings", "savings_pct"]
    ]
    split = sharing.table()
    weight = {pr.id: pr.weight_kg for pr in scenario.products}
    kg = result.purchases.assign(
        kg=[
            q * weight[pid]
            for q, pid in zip(result.purchases["demand"], result.purchases["product"], strict=True)
        ]
    )
    volume = kg.groupby("member")["kg"].sum()
    tags_of = {m.id: list(m.tags) for m in scenario.members}
    equity = equity_figures(
        members["savings"].to_numpy(float),
        members["standalone_cost"].to_numpy(float),
        [float(volume.get(m, 0.0)) for m in members["member"]],
        [tags_of[m] for m in members["member"]],
        currency=currency,
    )
    verdict = pd.DataFrame(
        [
            {
                "rule": sharing.split.method,
                "level": level,
                "stable": sharing.core.stable,
                "verdict": sharing.core.message,
                "gaining_group": ", ".join(sharing.core.coalition),
                "gain": sharing.core.gain,
                "proven": sharing.core.proven,
            }
        ]
    )
    trucks = result.trucks
    kpis = (
        Kpi("pooled cost", result.pooled_cost, currency, False),
        Kpi(
            "cost if every member buys alone",
            float(members["standalone_cost"].sum()),
            currency,
            None,
        ),
        Kpi("savings", result.savings, currency, True),
        Kpi(
            "savings (%)", 100 * result.savings / float(members["standalone_cost"].sum()), "%", True
        ),
        Kpi("truckloads", float(trucks["trucks"].sum()) if len(trucks) else 0.0, "trucks", None),
        Kpi("transport cost", check.figures["transport_cost"], currency, False),
        Kpi(
            "members paying less than alone",
            float((members["savings"] > 1e-6).sum()),
            "members",
            True,
        ),
        Kpi("smallest saving of a member (%)", float(members["savings_pct"].min()), "%", True),
    )
    supplier_at = {s.id: s for s in scenario.suppliers}
    place: dict[str, Any] = {h.id: h for h in scenario.hubs}
    place.update({m.id: m for m in scenario.members})
    lanes = _with_ends(trucks[trucks["trucks"] > 0], "supplier", supplier_at, "drop_point", place)
    lines = route_lines(scenario, lanes, properties=["supplier", "drop_point", "trucks", "load_kg"])
    summary = "\n".join([result.summary(), sharing.summary(), equity.text()])
    return ModelRun(
        model="procurement",
        scenario=scenario.name,
        status=result.status,
        summary=summary,
        kpis=kpis,
        tables={
            "orders": result.orders,
            "trucks": trucks,
            "split": members,
            "split_by_player": split,
            "stability": verdict,
            "equity": equity.summary,
            "equity_by_tag": equity.by_tag,
            "shipments": result.shipments,
            "purchases": result.purchases,
        },
        layers={"deliveries": lines},
        per_member=members[["member", "cooperative"]].assign(value=members["savings"]),
        value_label=f"savings against buying alone ({currency})",
        warnings=deliveries.warnings,
        result=result,
    )
