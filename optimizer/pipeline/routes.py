"""The routing model as the faces see it: daily collection tours per vehicle group.

Importing this module registers ``routes`` with :func:`~optimizer.pipeline.run.run_model`.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.pipeline._common import _checked
from optimizer.pipeline.run import ModelRun, register_model
from optimizer.pipeline.travel import route_lines, travel
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario

__all__ = ["run_routes"]


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
