"""Routing benchmarks: CVRPLIB, Solomon VRPTW, Cordeau MDVRP and heterogeneous-fleet sets.

``python benchmarks/run.py {cvrp,vrptw,mdvrp,hvrp} --data DIR --time-limit S --engine E
--out FILE.json`` solves every instance file in ``DIR`` with :func:`solve_routes`, checks it
with :func:`check_routes`, and writes one JSON record per instance: ``instance, engine, cost,
runtime_s, routes`` (client numbers as in the instance file, depot excluded), ``bks`` and
``gap_pct`` from the nearest ``BKS.json`` above the data folder.

Distance conventions: CVRPLIB ``round(Euclidean)``; Solomon, Cordeau and the HVRP sets use
unrounded Euclidean distances, which the engines see scaled by ``SCALE`` and rounded (times
rounded up, so a plan feasible in integers is feasible in reals); the cost reported is recomputed
from the routes in unrounded distances.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from optimizer.models.routing import (
    Client,
    Depot,
    RoutingProblem,
    VehicleType,
    check_routes,
    solve_routes,
)

__all__ = ["Instance", "main", "read_cordeau", "read_cvrplib", "read_hvrp", "read_solomon"]

SCALE = 1000


@dataclass(frozen=True)
class Instance:
    """A benchmark instance: the problem, the file's numbering of clients, how to score it."""

    name: str
    problem: RoutingProblem
    client_numbers: tuple[int, ...]
    exact: np.ndarray  # unrounded distances between locations, in the file's units
    rates: tuple[float, ...]  # cost per distance per vehicle type, in the file's units
    fixed: tuple[float, ...]


def _euclid(xy: np.ndarray) -> np.ndarray:
    d = xy[:, None, :] - xy[None, :, :]
    return np.asarray(np.hypot(d[..., 0], d[..., 1]))


def read_cvrplib(path: Path) -> Instance:
    """A CVRPLIB ``.vrp`` file; distance ``round(Euclidean)``.

    Fleet: ``k`` trucks for the classic sets (A, B, E, P: the ``k`` in ``A-nN-kK``, the fleet
    their best known values use), unlimited for the X set (its ``k`` is only a lower bound).
    """
    data = vrplib.read_instance(path)
    xy = np.asarray(data["node_coord"], dtype=float)
    depot = int(np.asarray(data["depot"]).ravel()[0])
    distance = np.round(_euclid(xy)).astype(np.int64)
    others = [i for i in range(len(xy)) if i != depot]
    demand = np.asarray(data["demand"])
    fleet = len(others) if path.stem.startswith("X-") else int(path.stem.rsplit("-k", 1)[1])
    problem = RoutingProblem(
        depots=(Depot(depot),),
        clients=tuple(Client(i, pickup=int(demand[i])) for i in others),
        vehicle_types=(VehicleType(count=fleet, payload=int(data["capacity"])),),
        distance=distance,
        time=np.zeros_like(distance),
        coordinates=xy,
        name=path.stem,
    )
    return Instance(
        path.stem, problem, tuple(i + 1 for i in others), distance.astype(float), (1.0,), (0.0,)
    )


def read_solomon(path: Path) -> Instance:
    """A Solomon ``.txt`` file; unrounded Euclidean distance = travel time; fleet as given."""
    data = vrplib.read_instance(path, instance_format="solomon")
    xy = np.asarray(data["node_coord"], dtype=float)
    exact = _euclid(xy)
    tw = np.asarray(data["time_window"], dtype=np.int64) * SCALE
    service = np.asarray(data["service_time"], dtype=np.int64) * SCALE
    demand = np.asarray(data["demand"])
    clients = tuple(
        Client(
            i,
            pickup=int(demand[i]),
            service_time=int(service[i]),
            tw_early=int(tw[i, 0]),
            tw_late=int(tw[i, 1]),
        )
        for i in range(1, len(xy))
    )
    vehicle = VehicleType(
        count=int(data["vehicles"]),
        payload=int(data["capacity"]),
        shift_start=int(tw[0, 0]),
        shift_end=int(tw[0, 1]),
    )
    problem = RoutingProblem(
        depots=(Depot(0),),
        clients=clients,
        vehicle_types=(vehicle,),
        distance=np.round(exact * SCALE).astype(np.int64),
        time=np.ceil(exact * SCALE - 1e-6).astype(np.int64),
        coordinates=xy,
        name=path.stem,
    )
    return Instance(path.stem, problem, tuple(range(1, len(xy))), exact, (1.0,), (0.0,))


def read_cordeau(path: Path) -> Instance:
    """A Cordeau multi-depot file (type 2): ``m`` trucks per depot, duration and payload limits."""
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    kind, m, n, t = (int(x) for x in rows[0][:4])
    if kind != 2:
        raise ValueError(f"{path.name}: problem type {kind}, expected 2 (MDVRP)")
    limits = [(float(r[0]), int(float(r[1]))) for r in rows[1 : 1 + t]]
    body = rows[1 + t : 1 + t + n + t]
    xy = np.array([[float(r[1]), float(r[2])] for r in body])
    exact = _euclid(xy)
    clients = tuple(
        Client(i, pickup=int(float(r[4])), service_time=round(float(r[3]) * SCALE))
        for i, r in enumerate(body[:n])
    )
    depots = tuple(Depot(n + j, name=body[n + j][0]) for j in range(t))
    vehicles = tuple(
        VehicleType(
            count=m,
            payload=limits[j][1],
            start_depot=j,
            max_duration=round(limits[j][0] * SCALE) if limits[j][0] > 0 else None,
        )
        for j in range(t)
    )
    problem = RoutingProblem(
        depots=depots,
        clients=clients,
        vehicle_types=vehicles,
        distance=np.round(exact * SCALE).astype(np.int64),
        time=np.ceil(exact * SCALE - 1e-6).astype(np.int64),
        coordinates=xy,
        name=path.stem,
    )
    numbers = tuple(int(r[0]) for r in body[:n])
    return Instance(path.stem, problem, numbers, exact, (1.0,) * t, (0.0,) * t)


def read_hvrp(path: Path) -> Instance:
    """A heterogeneous-fleet file (Golden / Taillard layout, described in its comment lines)."""
    rows = [line.split() for line in path.read_text().splitlines()]
    rows = [r for r in rows if r and not r[0].startswith("//")]
    n, t = int(rows[0][0]), int(rows[0][1])
    route_range, service = float(rows[0][2]), float(rows[0][3])
    types = [(int(r[0]), int(float(r[1])), float(r[2]), float(r[3])) for r in rows[1 : 1 + t]]
    points = rows[1 + t : 2 + t + n]
    xy = np.array([[float(r[0]), float(r[1])] for r in points])
    demand = [0] + [int(float(r[2])) for r in points[1:]]
    exact = _euclid(xy)
    scale = SCALE
    vehicles = tuple(
        VehicleType(
            count=count,
            payload=cap,
            fixed_cost=fixed * scale,
            cost_per_distance=rate,
            max_duration=None if route_range >= 99999 else round(route_range * scale),
        )
        for count, cap, fixed, rate in types
    )
    problem = RoutingProblem(
        depots=(Depot(0),),
        clients=tuple(
            Client(i, pickup=demand[i], service_time=round(service * scale))
            for i in range(1, n + 1)
        ),
        vehicle_types=vehicles,
        distance=np.round(exact * scale).astype(np.int64),
        time=np.ceil(exact * scale - 1e-6).astype(np.int64),
        coordinates=xy,
        name=path.stem,
    )
    return Instance(
        path.stem,
        problem,
        tuple(range(1, n + 1)),
        exact,
        tuple(r for *_, r in types),
        tuple(f for _, _, f, _ in types),
    )


READERS = {
    "cvrp": (read_cvrplib, ("*.vrp",)),
    "vrptw": (read_solomon, ("*.txt",)),
    "mdvrp": (read_cordeau, ("p*.txt",)),
    "hvrp": (read_hvrp, ("*.txt",)),
}


def _bks(data: Path) -> dict[str, float]:
    for folder in (data, *data.parents):
        file = folder / "BKS.json"
        if file.exists():
            raw = json.loads(file.read_text())
            return {k: float(v["best_known_cost"]) for k, v in raw.items()}
    return {}


def run_instance(
    instance: Instance, *, engine: str, time_limit: float, seed: int
) -> dict[str, object]:
    """Solve, check and score one instance."""
    result = solve_routes(instance.problem, engine=engine, time_limit=time_limit, seed=seed)  # type: ignore[arg-type]
    report = check_routes(instance.problem, result)
    routes: list[list[int]] = []
    cost = math.nan
    if result.status.has_solution:
        cost = 0.0
        for plan in result.plans:
            routes.append([instance.client_numbers[i] for i in plan.clients])
            cost += _file_cost(instance, plan.vehicle_type, list(plan.clients))
    return {
        "instance": instance.name,
        "engine": engine,
        "status": result.status.value,
        "cost": round(cost, 4),
        "runtime_s": round(result.runtime_s, 3),
        "routes": routes,
        "vehicles": len(routes),
        "skipped": [instance.client_numbers[i] for i in result.skipped["client"]],
        "check_ok": report.ok,
        "violations": list(report.problems[:5]),
    }


def _file_cost(instance: Instance, k: int, seq: list[int]) -> float:
    p = instance.problem
    path = [p.start_location(k), *(p.clients[i].location for i in seq), p.end_location(k)]
    length = float(sum(instance.exact[a, b] for a, b in itertools.pairwise(path)))
    return instance.fixed[k] + instance.rates[k] * length


def summarise(files: list[Path]) -> str:
    """A markdown table, one row per results file: gaps to the best known and times."""
    lines = [
        "| file | engine | instances | feasible & checked | mean gap % | max gap % | mean time s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for file in files:
        records = json.loads(file.read_text())
        if not records:
            continue
        gaps = [r["gap_pct"] for r in records if r.get("gap_pct") is not None]
        ok = sum(1 for r in records if r["check_ok"])
        mean = f"{np.mean(gaps):.2f}" if gaps else "-"
        worst = f"{np.max(gaps):.2f}" if gaps else "-"
        lines.append(
            f"| {file.stem} | {records[0]['engine']} | {len(records)} | {ok} | {mean} | {worst} "
            f"| {np.mean([r['runtime_s'] for r in records]):.1f} |"
        )
    return "\n".join(lines)


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"run.py {name}")
    parser.add_argument("--data", type=Path, help="folder of instance files")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--engine", choices=("pyvrp", "ortools"), default="pyvrp")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="JSON file for the records")
    parser.add_argument("--only", nargs="*", help="instance names to run (default: all)")
    parser.add_argument(
        "--table", nargs="+", type=Path, help="print a markdown table of JSON files"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(summarise(args.table))
        return 0
    if args.data is None:
        parser.error("--data is required to run instances")
    reader, patterns = READERS[name]
    files = sorted({f for pattern in patterns for f in args.data.rglob(pattern)})
    if args.only:
        files = [f for f in files if f.stem in set(args.only)]
    if not files:
        print(f"no instance files in {args.data}", file=sys.stderr)
        return 2
    bks = _bks(args.data)
    records: list[dict[str, object]] = []
    started = time.perf_counter()
    for file in files:
        instance = reader(file)
        record = run_instance(
            instance, engine=args.engine, time_limit=args.time_limit, seed=args.seed
        )
        best = bks.get(f"{instance.name}_distance", bks.get(instance.name))
        record["bks"] = best
        cost = float(record["cost"])  # type: ignore[arg-type]
        record["gap_pct"] = (
            round(100 * (cost - best) / best, 4) if best and math.isfinite(cost) else None
        )
        records.append(record)
        print(
            f"{instance.name:>14} {args.engine:8} {record['status']:9} cost {cost:12.2f} "
            f"bks {best!s:>10} gap {record['gap_pct']!s:>8}% {record['runtime_s']:6.1f} s "
            f"check {'ok' if record['check_ok'] else record['violations']}",
            flush=True,
        )
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(records, indent=1) + "\n")
    gaps = [float(r["gap_pct"]) for r in records if r["gap_pct"] is not None]  # type: ignore[arg-type]
    if gaps:
        print(
            f"{len(records)} instances, mean gap {np.mean(gaps):.3f} %, max {np.max(gaps):.3f} %, "
            f"{time.perf_counter() - started:.0f} s"
        )
    return 0
