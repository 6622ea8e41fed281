"""The robust hubs plan over sampled futures of the default scenario (issue 13 target).

Usage::

    python benchmarks/run.py robust [--samples 50 --seed 1] [--gap 0.001 --time-limit 600]
        [--objective expected|regret] [--method auto|subsets|joint] [--no-check]
        [--out results/robust.json]

The futures are a sweep's samples (:func:`optimizer.sweep.samples`) of the bundled
Mecklenburg scenario: the fuel price factor on a grid 0.8:1.6:5, each product's prices
× U(0.8, 1.2) and each member's supply × U(0.7, 1.3). Reported: the time to build the samples
and their road distances (not part of the target), the robust solve's time (the samples'
own plans included) in wall-clock and CPU seconds (which a busy machine does not distort),
its status, gap and bound, the hubs it opens, how many subsets the branch and bound solved,
and the independent check's time and verdict. Target: proven optimal within 0.1 % in under
120 s.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from optimizer.cli.main import default_scenario_path
from optimizer.models.hubs.robust import solve_robust_hubs
from optimizer.models.hubs.robust_check import check_robust_hubs
from optimizer.pipeline.robust import hub_sample
from optimizer.scenario.load import load_scenario
from optimizer.sweep import samples

__all__ = ["SPEC", "main"]

SPEC: dict[str, Any] = {
    "vary": {"fuel_price_factor": "0.8:1.6:5"},
    "draw": {"prices": 0.2, "supply": 0.3},
}


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"run.py {name}")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gap", type=float, default=0.001)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--objective", choices=["expected", "regret"], default="expected")
    parser.add_argument("--method", choices=["auto", "subsets", "joint"], default="auto")
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    start, cpu = time.perf_counter(), time.process_time()
    base = load_scenario(default_scenario_path())
    futures = samples(SPEC, base, args.samples, args.seed)
    data = [hub_sample(sample.scenario)[0] for sample in futures]
    build_s, build_cpu_s = time.perf_counter() - start, time.process_time() - cpu
    cpu = time.process_time()
    result = solve_robust_hubs(
        data,
        objective=args.objective,
        gap=args.gap,
        time_limit=args.time_limit,
        method=args.method,
    )
    solve_cpu_s = time.process_time() - cpu
    hub_ids = [h.id for h in base.hubs]
    row: dict[str, Any] = {
        "samples": args.samples,
        "seed": args.seed,
        "objective": args.objective,
        "method": args.method,
        "gap_tolerance": args.gap,
        "build_s": round(build_s, 2),
        "build_cpu_s": round(build_cpu_s, 2),
        "solve_s": round(result.runtime_s, 2),
        "solve_cpu_s": round(solve_cpu_s, 2),
        "own_plans_s": round(sum(r.runtime_s for r in result.own), 2),
        "status": result.status.value,
        "value": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "open_hubs": [hub_ids[h] for h in result.open_hubs],
        "expected_net_value": result.expected_net_value,
        "worst_regret": result.worst_regret,
        "message": result.message,
        "load_average": os.getloadavg()[0],
    }
    if not args.no_check and result.status.has_solution:
        start = time.perf_counter()
        check = check_robust_hubs(data, result, gap=1e-6)
        row["check_s"] = round(time.perf_counter() - start, 2)
        row["check"] = list(check.problems)
        row["check_expected_net_value"] = check.figures["expected_net_value"]
    print(json.dumps(row, indent=2))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(row, indent=2) + "\n")
    return 0 if result.status.has_solution and not row.get("check") else 1
