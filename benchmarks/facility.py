"""OR-Library capacitated facility location (``cflp``) and capacitated p-median (``pmedcap``).

Usage::

    python benchmarks/run.py cflp --data ../shared/benchmarks/cflp --time-limit 60 \\
        --out results/cflp.json [--instances cap41,cap42]
    python benchmarks/run.py pmedcap --data ../shared/benchmarks/pmedcap --time-limit 60 \\
        --out results/pmedcap.json [--instances 1,2,3]

One JSON record per instance (a JSON list): ``instance``, ``objective``, ``status``,
``runtime_s``, ``optimum``, ``rel_error``, ``gap``, ``bound``, ``check`` (problems found by the
independent checker, empty when none) and the plan: ``open`` and ``flow`` (``[site, customer,
quantity]``) for cflp, ``medians`` and ``assignment`` (``[point, median]``) for pmedcap, all
1-based as in the files.

Formats (Beasley 1990, OR-Library):

- ``capXX.txt``: ``m n``; ``m`` lines ``capacity fixed_cost``; then per customer its demand
  followed by the ``m`` costs of supplying its *whole* demand from each site (so the cost per
  unit is cost / demand). In ``capa``/``capb``/``capc`` the capacity is the word ``capacity``:
  every site has the same capacity, and ``capopt.txt`` gives the optimum for four values of it;
  each value is run as its own instance ``capa-8000`` etc.
- ``pmedcap1-K.txt``: ``K optimum``; ``n p capacity``; then ``id x y demand`` per point.
  The cost is the sum of distances from each point to its median, each distance the
  Euclidean one truncated to an integer (this reproduces the published optima).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from optimizer.models.facility import (
    FacilityData,
    FacilityResult,
    check_facility_location,
    p_median_data,
    solve_facility_data,
)

__all__ = ["main", "markdown_table", "read_cap", "read_capopt", "read_pmedcap"]


@dataclass(frozen=True)
class CapInstance:
    name: str
    capacity: np.ndarray | None  # None when the file says "capacity" (set per run)
    fixed_cost: np.ndarray
    demand: np.ndarray
    whole_cost: np.ndarray  # (sites, customers): cost of a customer's whole demand


def read_cap(path: Path) -> CapInstance:
    """Read an OR-Library ``capXX.txt`` file."""
    tokens = path.read_text().split()
    m, n = int(tokens[0]), int(tokens[1])
    pos = 2
    caps: list[float] = []
    fixed: list[float] = []
    symbolic = False
    for _ in range(m):
        cap, cost = tokens[pos], tokens[pos + 1]
        pos += 2
        if cap == "capacity":
            symbolic = True
            caps.append(math.nan)
        else:
            caps.append(float(cap))
        fixed.append(float(cost))
    rest = np.array(tokens[pos : pos + n * (m + 1)], dtype=float).reshape(n, m + 1)
    if rest.shape != (n, m + 1):
        raise ValueError(f"{path}: expected {n} customers with {m} costs each")
    return CapInstance(
        name=path.stem,
        capacity=None if symbolic else np.array(caps),
        fixed_cost=np.array(fixed),
        demand=rest[:, 0].copy(),
        whole_cost=rest[:, 1:].T.copy(),
    )


def read_capopt(path: Path) -> dict[str, float]:
    """Optimal values from ``capopt.txt``; capa/b/c are keyed ``capa-8000`` and so on."""
    optima: dict[str, float] = {}
    current = ""
    for line in path.read_text().splitlines():
        found = re.match(r"^\s*(cap\w+)?\s+([0-9.]+)\s*(?:\(capacity\s+(\d+)\))?\s*$", line)
        if not found:
            continue
        name, value, capacity = found.groups()
        if name:
            current = name
        if current:
            optima[f"{current}-{capacity}" if capacity else current] = float(value)
    return optima


def read_pmedcap(path: Path) -> tuple[int, float, int, float, np.ndarray, np.ndarray]:
    """Read ``pmedcap1-K.txt``: (index, optimum, p, capacity, coordinates, demand)."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    index, optimum = int(lines[0][0]), float(lines[0][1])
    n, p, capacity = int(lines[1][0]), int(lines[1][1]), float(lines[1][2])
    rows = np.array(lines[2 : 2 + n], dtype=float)
    return index, optimum, p, capacity, rows[:, 1:3], rows[:, 3]


def cap_data(instance: CapInstance, capacity: float | None = None) -> FacilityData:
    caps = instance.capacity
    if caps is None:
        if capacity is None:
            raise ValueError(f"{instance.name} needs a capacity value")
        caps = np.full(instance.fixed_cost.size, float(capacity))
    unit = instance.whole_cost / np.where(instance.demand > 0, instance.demand, 1.0)[None, :]
    return FacilityData(instance.fixed_cost, caps, instance.demand, unit)


def _record(name: str, result: FacilityResult, optimum: float | None, check: list[str]) -> dict:
    rel = (
        abs(result.objective - optimum) / abs(optimum)
        if optimum and math.isfinite(result.objective)
        else None
    )
    return {
        "instance": name,
        "objective": result.objective if math.isfinite(result.objective) else None,
        "status": result.status.value,
        "runtime_s": round(result.runtime_s, 3),
        "optimum": optimum,
        "rel_error": rel,
        "gap": result.gap if math.isfinite(result.gap) else None,
        "bound": result.bound if math.isfinite(result.bound) else None,
        "check": check,
    }


def run_cflp(data_dir: Path, time_limit: float, names: list[str] | None) -> list[dict]:
    optima = read_capopt(data_dir / "capopt.txt")
    files = sorted(data_dir.glob("cap*.txt"), key=_cap_order)
    files = [f for f in files if f.stem != "capopt"]
    records = []
    for path in files:
        instance = read_cap(path)
        if instance.capacity is None:
            runs = [
                (key, float(key.split("-")[1]))
                for key in optima
                if key.startswith(instance.name + "-")
            ]
        else:
            runs = [(instance.name, None)]
        for name, capacity in runs:
            if names and name not in names and instance.name not in names:
                continue
            data = cap_data(instance, capacity)
            result = solve_facility_data(data, time_limit=time_limit, gap=1e-7)
            report = check_facility_location(data, result)
            record = _record(name, result, optima.get(name), list(report.problems))
            record["open"] = [i + 1 for i in result.open_sites]
            record["flow"] = [
                [int(s) + 1, int(c) + 1, round(float(q), 6)]
                for s, c, q in result.flows[["site", "customer", "quantity"]].itertuples(
                    index=False
                )
            ]
            _progress(record)
            records.append(record)
    return records


def run_pmedcap(data_dir: Path, time_limit: float, names: list[str] | None) -> list[dict]:
    files = sorted(data_dir.glob("pmedcap1-*.txt"), key=lambda p: int(p.stem.split("-")[1]))
    records = []
    for path in files:
        index, optimum, p, capacity, xy, demand = read_pmedcap(path)
        if names and str(index) not in names and path.stem not in names:
            continue
        # The published optima use Euclidean distances truncated to integers (with exact or
        # rounded distances the optima come out higher: 728.26 and 726 for instance 1, not 713).
        distance = np.floor(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)))
        data = p_median_data(distance, demand, capacity, p)
        result = solve_facility_data(data, time_limit=time_limit, gap=1e-7)
        report = check_facility_location(data, result)
        record = _record(path.stem, result, optimum, list(report.problems))
        record["medians"] = [i + 1 for i in result.open_sites]
        record["assignment"] = [[int(c) + 1, int(s) + 1] for c, s in result.assignment().items()]
        _progress(record)
        records.append(record)
    return records


def _cap_order(path: Path) -> tuple[int, str]:
    digits = re.sub(r"\D", "", path.stem)
    return (int(digits) if digits else 10_000, path.stem)


def _progress(record: dict) -> None:
    rel = record["rel_error"]
    rel_text = "n/a" if rel is None else f"{rel:.2e}"
    objective = record["objective"]
    obj_text = "none" if objective is None else f"{objective:,.3f}"
    print(
        f"{record['instance']:>12}  {record['status']:>9}  {obj_text:>18}  "
        f"rel.err {rel_text:>9}  {record['runtime_s']:8.2f} s"
        + (f"  CHECK: {record['check'][0]}" if record["check"] else ""),
        flush=True,
    )


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"benchmarks/run.py {name}")
    parser.add_argument("--data", type=Path, required=True, help="folder of instance files")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--instances", default="", help="comma-separated names (default: all)")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.instances.split(",") if s.strip()] or None
    if not args.data.is_dir():
        print(f"no such folder: {args.data}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    run = run_cflp if name == "cflp" else run_pmedcap
    records = run(args.data, args.time_limit, names)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # One record per line: readable, diffable and small.
    args.out.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    print(f"{len(records)} instances in {time.perf_counter() - start:.1f} s -> {args.out}")
    return 0


def markdown_table(records: list[dict]) -> str:
    """The results as a markdown table (``python benchmarks/facility.py FILE.json ...``)."""

    def number(value: float | None, spec: str) -> str:
        return "–" if value is None else format(value, spec)

    lines = [
        "| instance | optimum | objective | rel. error | gap | status | time (s) | check |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in records:
        check = "ok" if not r["check"] else f"{len(r['check'])} problems"
        lines.append(
            f"| {r['instance']} | {number(r['optimum'], ',.3f')} | "
            f"{number(r['objective'], ',.3f')} | {number(r['rel_error'], '.1e')} | "
            f"{number(r['gap'], '.2e')} | {r['status']} | {r['runtime_s']:.2f} | {check} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    rows = [r for arg in sys.argv[1:] for r in json.loads(Path(arg).read_text())]
    print(markdown_table(rows))
