"""The routing model as the faces see it: daily collection tours per vehicle group.

Vehicle types collecting the same produce form a group, solved on its own (the groups share
the cores). Every member of a group appears in the ``stops`` table or in ``skipped``, with the
reason in words: left out by the search (its produce is worth less than the detour), or its
group has no plan at all. Times are minutes after midnight, distances km, durations hours,
unrounded: the faces format them.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import resource
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.io.format import format_hours
from optimizer.io.geojson import point
from optimizer.models.routing import check_routes, solve_routes
from optimizer.models.routing.scenario import (
    Locations,
    RouteGroup,
    each_route_group,
    routing_locations,
)
from optimizer.models.routing.solve import RoutingResult, why_alone
from optimizer.pipeline._common import _checked
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.spots import Spots, travel_spots
from optimizer.pipeline.travel import closures_cutting, route_lines, travel
from optimizer.results import Kpi, Status, worst_status
from optimizer.scenario.scenario import Scenario

__all__ = ["ROUTE_COLUMNS", "SKIPPED_COLUMNS", "SKIPPED_ROLE", "STOP_COLUMNS", "run_routes"]

ROUTE_COLUMNS = [
    "route",
    "products",
    "vehicle",
    "stops",
    "load_kg",
    "payload_kg",
    "utilisation_pct",
    "distance_km",
    "duration_h",
    "start_min",
    "end_min",
    "cost",
]
STOP_COLUMNS = ["route", "position", "member", "arrival_min", "service_start_min", "load_kg"]
SKIPPED_COLUMNS = ["products", "member", "reason", "penalty"]
SKIPPED_ROLE = "farm not collected"  # the role of the skipped farms' points on the map
#: bytes per pair of spots on the roads while routing, at least: the road distance and time
#: (float64 each), whether there is a road, and the vehicle groups' integer submatrices and
#: their working copies
BYTES_PER_PAIR = 40
LEFT_OUT = (
    "left out by the search: collecting it costs more than its produce is worth a collection "
    "day (the penalty)"
)


@dataclass
class _Tables:
    """Rows of the routes, stops, skipped and map-leg tables, gathered group by group."""

    routes: list[dict[str, Any]] = field(default_factory=list)
    stops: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    legs: list[dict[str, Any]] = field(default_factory=list)


def run_routes(
    scenario: Scenario,
    *,
    engine: str = "pyvrp",
    time_limit: float | None = None,
    iterations: int | None = None,
    stall: int | None = None,
) -> ModelRun:
    """Daily collection tours from the vehicles' hubs, on the roads, with their checks.

    ``time_limit`` is the search time per group of vehicle types: 1 s by default (at most the
    scenario's ``time_limit_s``), enough for tours of a few dozen stops; give more for large
    groups (``optimizer solve ... --time-limit 10``). ``iterations`` stops each group's search
    after that many iterations if that comes first: the same routes on any machine, at any load.
    ``stall`` (PyVRP) stops a group's search once its best plan has not improved for that many
    iterations, if that comes first: the app's what-ifs answer as soon as the searches settle.
    The summary says which stop applied.
    """
    if not scenario.supply or not scenario.vehicles:
        raise InputError(Problem(scenario.name, "supply and vehicles for collection routing"))
    places = routing_locations(scenario)
    available = _memory_available()  # before the run takes its own: the figure to report
    points = pd.DataFrame(
        {
            "id": [f"{k}:{i}" for k, i in zip(places.kinds, places.ids, strict=True)],
            "lat": places.lat,
            "lon": places.lon,
        }
    )
    spots = travel_spots(scenario, points)
    if BYTES_PER_PAIR * spots.count**2 > available:
        raise _too_big(len(places.ids), spots.count, available)
    try:
        return _run(
            scenario,
            places,
            points,
            spots,
            engine=engine,
            time_limit=time_limit,
            iterations=iterations,
            stall=stall,
        )
    except MemoryError:
        raise _too_big(len(places.ids), spots.count, available) from None


def _memory_available() -> float:
    """Bytes this process may still take: the machine's available memory, less when the
    process's address space is capped (``RLIMIT_AS``)."""
    free = math.inf
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/status", encoding="ascii") as status:
                used = next(int(x.split()[1]) * 1024 for x in status if x.startswith("VmSize:"))
            free = min(free, soft - used)
    except (OSError, ValueError, StopIteration):
        pass
    return free


def _too_big(stops: int, spots: int, available: float) -> InputError:
    """Too many places for this machine's memory, in words (the CLI exits 2 with it);
    ``available`` is the memory there was before routing began."""
    need = BYTES_PER_PAIR * spots**2 / 1e9
    has = "no figure" if not math.isfinite(available) else f"{max(available, 0) / 1e9:.1f} GB"
    return InputError(
        Problem(
            "",
            f"{stops:,} stops at {spots:,} distinct places on the roads need at least "
            f"{need:.1f} GB for the distance matrices; this machine has {has} available: route "
            "fewer members at once (say one cooperative or one region per scenario) or use a "
            "machine with more memory",
        )
    )


def _run(
    scenario: Scenario,
    places: Locations,
    points: pd.DataFrame,
    spots: Spots,
    *,
    engine: str,
    time_limit: float | None,
    iterations: int | None,
    stall: int | None,
) -> ModelRun:
    """:func:`run_routes` once the places are known to fit in memory: each vehicle group's
    roads are searched among its own spots only."""
    limit = time_limit if time_limit is not None else min(scenario.parameters.time_limit_s, 1.0)

    def search(group: RouteGroup) -> RoutingResult:
        return solve_routes(
            group.problem,
            engine=engine,  # type: ignore[arg-type]
            time_limit=limit,
            iterations=iterations,
            stall=stall,
        )

    # each group searches in a child process for a wall-clock limit, starting as soon as its
    # problem is built (the next group's roads are searched meanwhile); up to four groups
    # (more on more cores) search side by side, so a third group on two cores does not wait
    # for a second wave; a child holds its group's problem (about 0.5 GB for 5,500 members)
    groups: list[RouteGroup] = []
    with ThreadPoolExecutor(max_workers=max(4, os.cpu_count() or 1)) as pool:
        pending = []
        trips = functools.partial(_trips, scenario, points)
        for group in each_route_group(scenario, places, trips, spots.of):
            groups.append(group)
            pending.append(pool.submit(search, group))
        results = [job.result() for job in pending]
    rows = _Tables()
    notes = [*spots.warnings, *(n for g in groups for n in g.notes)]
    rows.skipped += _excluded(scenario, groups, places, points)
    for group, result in zip(groups, results, strict=True):
        if result.status.has_solution:
            _checked(check_routes(group.problem, result), "routes")
            _add_plan(rows, group, result, places)
        else:
            rows.skipped += _planless(group, result, limit)
    status = worst_status(r.status for r in results)
    stop = f"{limit:g} s" + (f" or {iterations:,} iterations" if iterations else "")
    if stall is not None:
        stop = f"stopped after {stall:,} iterations without a better plan, at most {stop}"
    return _lay_out(scenario, rows, status, tuple(notes), f"{engine}, {stop}")


def _trips(
    scenario: Scenario, points: pd.DataFrame, at: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Road distances (m) and times (s) among the places ``at`` (rows of ``points``)."""
    chosen = points.iloc[at]
    trips = travel(scenario, chosen, chosen)
    return trips.distance_m, trips.time_s


def _excluded(
    scenario: Scenario, groups: list[RouteGroup], places: Locations, points: pd.DataFrame
) -> list[dict[str, Any]]:
    """Members left out before the search (no road), naming the closures that cut them off.

    A member counts as cut off by the closures when the same trip has a road once the
    scenario's closures are lifted.
    """
    left = [(g, m, why, value) for g in groups for m, why, value in g.excluded]
    if not left:
        return []
    blame = _closure_names(scenario)
    open_road = None
    cut: dict[str, tuple[str, ...]] = {}
    if scenario.network.closures:
        # the roads with the closures lifted, among the members left out and the groups' ends
        ends = {p for g, *_ in left for p in _ends(scenario, g)}
        asked = sorted(
            {places.index(*p.split(":", 1)) for p in ends}
            | {places.index("member", m) for _, m, *_ in left}
        )
        lifted = scenario.network.model_copy(update={"closures": ()})
        opened = scenario.model_copy(update={"network": lifted})
        trips = travel(opened, points.iloc[asked], points.iloc[asked])
        road = np.isfinite(trips.distance_m) & np.isfinite(trips.time_s)
        open_road = (road, {place: j for j, place in enumerate(asked)})
        cut = closures_cutting(scenario, points.iloc[asked])
    rows = []
    for group, member, why, value in left:
        reason = why
        if open_road is not None and _reachable(scenario, group, member, places, *open_road):
            # the closures that cut off the member itself, else its group's depots and ends
            named = cut.get(f"member:{member}") or tuple(
                dict.fromkeys(c for end in _ends(scenario, group) for c in cut.get(end, ()))
            )
            named = named or blame
            plural = "s" if len(named) > 1 else ""
            reason = f"cut off by the road closure{plural} {'; '.join(named)}: {why}"
        rows.append(
            {"products": _label(group), "member": member, "reason": reason, "penalty": value}
        )
    return rows


def _closure_names(scenario: Scenario) -> tuple[str, ...]:
    """The scenario's closures as a user names them (docs/roads.md)."""
    from optimizer.geo.closures import closure_label

    return tuple(
        closure_label(c.model_dump(exclude_defaults=True), i)
        for i, c in enumerate(scenario.network.closures, start=1)
    )


def _ends(scenario: Scenario, group: RouteGroup) -> list[str]:
    """The depots and end buyers of the vehicles that may serve ``group`` (routing ids)."""
    ends = []
    for v in scenario.vehicles:
        if not v.products or set(v.products) & set(group.products):
            ends.append(f"hub:{v.depot}")
            if v.end_buyer:
                ends.append(f"buyer:{v.end_buyer}")
    return ends


def _reachable(
    scenario: Scenario,
    group: RouteGroup,
    member: str,
    places: Locations,
    road: np.ndarray,
    row: dict[int, int],
) -> bool:
    """Whether some vehicle of the group could collect ``member`` over ``road`` (among the
    places ``row`` numbers: the scenario's location to the matrix's row)."""
    at = row[places.index("member", member)]
    for v in scenario.vehicles:
        if not v.products or set(v.products) & set(group.products):
            start = row[places.index("hub", v.depot)]
            end = row[places.index("buyer", v.end_buyer)] if v.end_buyer else start
            if road[start, at] and road[at, end]:
                return True
    return False


def _label(group: RouteGroup) -> str:
    return "+".join(group.products)


def _add_plan(rows: _Tables, group: RouteGroup, result: RoutingResult, places: Locations) -> None:
    """The group's routes, stops, members left out and map legs, in raw units."""
    label = _label(group)
    types = group.problem.vehicle_types
    for r in result.routes.to_dict("records"):
        utilisation = float(r["utilisation"])
        rows.routes.append(
            {
                "route": f"{label} #{r['route']}",
                "products": label,
                "vehicle": types[int(r["vehicle_type"])].name,
                "stops": r["stops"],
                "load_kg": r["load"],
                "payload_kg": r["payload"],
                "utilisation_pct": 100 * utilisation if utilisation <= 1 else utilisation,
                "distance_km": float(r["distance"]) / 1000,
                "duration_h": float(r["duration"]) / 3600,
                "start_min": float(r["start_time"]) / 60,
                "end_min": float(r["end_time"]) / 60,
                "cost": float(r["cost"]),
            }
        )
        seq = result.stops[result.stops["route"] == r["route"]].sort_values("position")
        # each stop at its member's own place (members at one road spot share a location)
        path = [
            group.places[int(r["start_location"])],
            *(places.index("member", m) for m in seq["name"]),
            group.places[int(r["end_location"])],
        ]
        rows.legs += [
            {
                "route": f"{label} #{r['route']}",
                "products": label,
                "origin_lat": places.lat[a],
                "origin_lon": places.lon[a],
                "destination_lat": places.lat[b],
                "destination_lon": places.lon[b],
            }
            for a, b in itertools.pairwise(path)
        ]
    rows.stops += [
        {
            "route": f"{label} #{s['route']}",
            "position": s["position"],
            "member": s["name"],
            "arrival_min": float(s["arrival"]) / 60,
            "service_start_min": float(s["service_start"]) / 60,
            "load_kg": s["load"],
        }
        for s in result.stops.to_dict("records")
    ]
    rows.skipped += [
        {
            "products": label,
            "member": s["name"],
            "reason": why_alone(group.problem, int(s["client"])) or LEFT_OUT,
            "penalty": float(s["penalty"]),
        }
        for s in result.skipped.to_dict("records")
    ]


def _planless(group: RouteGroup, result: RoutingResult, limit: float) -> list[dict[str, Any]]:
    """Every member of a group whose solve found no plan, with the reason in words."""
    label = _label(group)
    message = result.message.strip()
    if result.status is Status.NO_SOLUTION and message.startswith("setting up"):
        reason = f"no collection plan for the {label} vehicles: {message}"
    elif result.status is Status.NO_SOLUTION:
        reason = (
            f"no collection plan for the {label} vehicles: the search found none in {limit:g} s"
        )
        reason += f" ({message})" if message else ""
    elif result.status is Status.INFEASIBLE:
        reason = f"infeasible: {message}" if message else f"infeasible: no plan for {label}"
    else:
        reason = f"no collection plan for the {label} vehicles: {message or result.status.value}"
    penalty = {c.name: c.skip_penalty for c in group.problem.clients}
    return [
        {"products": label, "member": m, "reason": reason, "penalty": penalty.get(m)}
        for m in group.member_ids
    ]


def _lay_out(
    scenario: Scenario, rows: _Tables, status: Status, notes: tuple[str, ...], how: str
) -> ModelRun:
    """The tables, KPIs, map legs and the cost per stop of each member collected."""
    currency = scenario.parameters.currency
    routes = pd.DataFrame(rows.routes, columns=ROUTE_COLUMNS)
    stops = pd.DataFrame(rows.stops, columns=STOP_COLUMNS)
    skipped = pd.DataFrame(rows.skipped, columns=SKIPPED_COLUMNS)
    member_coop = {m.id: m.cooperative for m in scenario.members}
    legs = pd.DataFrame(rows.legs)
    if not legs.empty:  # whose route it is: its members' cooperatives (the map's colours)
        served = stops.groupby("route")["member"].agg(
            lambda ms: "+".join(sorted({member_coop.get(m, "") for m in ms} - {""}))
        )
        legs["cooperative"] = legs["route"].map(served).fillna("")
    lines = route_lines(scenario, legs, properties=["route", "products", "cooperative"])
    kpis = _kpis(routes, stops, skipped, currency)
    visits = stops.merge(routes[["route", "cost", "stops"]], on="route")
    per_member = pd.DataFrame(
        {
            "member": visits["member"],
            "cooperative": [member_coop.get(m, "") for m in visits["member"]],
            "value": (visits["cost"] / visits["stops"]).astype(float),
        }
    )
    return ModelRun(
        model="routes",
        scenario=scenario.name,
        status=status,
        summary=_summary(kpis, skipped, currency, how),
        kpis=kpis,
        tables={"routes": routes, "stops": stops, "skipped": skipped},
        layers={"routes": lines, "skipped": _skipped_points(scenario, skipped)},
        per_member=per_member,
        value_label=f"collection cost per stop ({currency})",
        value_higher_is_better=False,
        warnings=notes,
        result=None,
    )


def _skipped_points(scenario: Scenario, skipped: pd.DataFrame) -> list[dict[str, Any]]:
    """The farms not collected, where they are, with the reason (one point per farm)."""
    members = {m.id: m for m in scenario.members}
    reasons = skipped.groupby("member", sort=False)["reason"].agg(
        lambda rs: "; ".join(dict.fromkeys(str(r) for r in rs))
    )
    return [
        point(
            members[m].lon,
            members[m].lat,
            {
                "role": SKIPPED_ROLE,
                "id": m,
                "name": members[m].name,
                "cooperative": members[m].cooperative,
                "reason": reason,
            },
        )
        for m, reason in reasons.items()
        if m in members
    ]


def _kpis(
    routes: pd.DataFrame, stops: pd.DataFrame, skipped: pd.DataFrame, currency: str
) -> tuple[Kpi, ...]:
    return (
        Kpi("routes", float(len(routes)), "routes", None),
        Kpi("km driven", float(routes["distance_km"].sum()), "km", False),
        Kpi("hours on the road", float(routes["duration_h"].sum()), "h", False),
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


def _summary(kpis: tuple[Kpi, ...], skipped: pd.DataFrame, currency: str, how: str) -> str:
    figure = {k.label: k.value for k in kpis}
    text = (
        f"routes: {int(figure['routes'])} collection tours, {figure['km driven']:,.1f} km, "
        f"{format_hours(figure['hours on the road'])}, "
        f"cost {figure['collection cost']:,.2f} {currency} "
        f"per collection day; {int(figure['members collected'])} members collected"
    )
    if len(skipped):
        text += f", {len(skipped)} skipped (see the table 'skipped')"
    text += f" ({how} per vehicle group)"
    planless = sorted({r for r in skipped["reason"] if r != LEFT_OUT})
    return "\n".join([text, *(f"not collected: {r}" for r in planless)])
