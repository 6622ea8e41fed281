"""Pooled procurement benchmark: ``python benchmarks/run.py procurement [options]``.

A seeded generated instance (default 500 members x 20 inputs x 6 suppliers x 4 brackets,
members at 10 hubs, integer truckloads) solved to the target gap within the time limit;
reports build and solve time, gap, objective, the independent check, and optionally the
standalone baseline and a core check of the proportional split. The target (DESIGN.md) is
gap <= 0.1 % within 30 s.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from optimizer.models.procurement import (
    ProcurementData,
    check_procurement,
    solve_procurement,
    standalone_costs,
)
from optimizer.models.procurement.core import find_blocking_coalition

__all__ = ["generate", "main"]


def generate(
    *,
    members: int = 500,
    products: int = 20,
    suppliers: int = 6,
    brackets: int = 4,
    hubs: int = 10,
    drop: str = "hub",
    seed: int = 0,
) -> ProcurementData:
    """A random but plausible instance (prices per unit, 25-50 kg bags, 24 t trucks)."""
    rng = np.random.default_rng(seed)
    weight = rng.choice([25.0, 40.0, 50.0, 500.0], size=products)  # bags and big bags
    base = rng.uniform(0.3, 1.2, size=products) * weight  # EUR per unit
    needs = rng.random((members, products)) < 0.5
    demand = np.where(needs, np.round(rng.lognormal(2.0, 0.8, (members, products))), 0.0)
    demand = np.where(needs, np.maximum(demand, 1.0), 0.0)
    local = base * rng.uniform(1.0, 1.15, (members, products))
    total = demand.sum(axis=0)
    offered = rng.random((suppliers, products)) < 0.7
    offered[rng.integers(suppliers, size=products), np.arange(products)] = True
    thresholds = np.full((suppliers, products, brackets), np.nan)
    prices = np.full((suppliers, products, brackets), np.nan)
    for s in range(suppliers):
        for p in range(products):
            steps = np.sort(rng.uniform(0.02, 0.6, brackets - 1)) * total[p]
            thresholds[s, p] = np.r_[0.0, np.round(steps)]
            first = base[p] * rng.uniform(0.85, 0.98)
            cuts = np.cumprod(1 - rng.uniform(0.02, 0.07, brackets - 1))
            prices[s, p] = np.round(np.r_[first, first * cuts], 2)
    capacity = np.round(total[None, :] * rng.uniform(0.3, 0.9, (suppliers, products))) + 1
    min_order = np.where(
        rng.random((suppliers, products)) < 0.4, np.round(0.05 * total[None, :]), 0.0
    )
    min_order = np.minimum(min_order, capacity)
    n_drop = hubs if drop == "hub" else members
    drop_point = rng.integers(hubs, size=members) if drop == "hub" else np.arange(members)
    distance = rng.uniform(20.0, 200.0, (suppliers, n_drop))
    return ProcurementData(
        demand=demand,
        local_price=local,
        offered=offered,
        thresholds=thresholds,
        unit_price=prices,
        incremental=rng.random((suppliers, products)) < 0.5,
        min_order=min_order,
        capacity=capacity,
        weight_kg=weight,
        drop_point=drop_point,
        distance_km=distance,
        payload_kg=np.full(suppliers, 24000.0),
        cost_per_trip=rng.uniform(80.0, 150.0, suppliers),
        cost_per_km=rng.uniform(1.2, 2.0, suppliers),
    )


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"run.py {name}", description=__doc__)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--suppliers", type=int, default=6)
    parser.add_argument("--brackets", type=int, default=4)
    parser.add_argument("--hubs", type=int, default=10)
    parser.add_argument("--drop", choices=["hub", "farm_gate"], default="hub")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--gap", type=float, default=0.001)
    parser.add_argument(
        "--standalone",
        action="store_true",
        help="also solve every member alone (the savings baseline)",
    )
    parser.add_argument(
        "--core-check",
        action="store_true",
        help="also run the core-check MILP on the proportional split",
    )
    parser.add_argument("--out", type=Path, help="append the markdown rows to this file")
    args = parser.parse_args(argv)
    header = (
        "| instance | drop | seed | vars | build s | solve s | status | gap | objective | "
        "check | standalone s | savings | core check s | verdict |"
    )
    rows = [header, "|" + "---|" * 14]
    print(header)
    for seed in args.seeds:
        data = generate(
            members=args.members,
            products=args.products,
            suppliers=args.suppliers,
            brackets=args.brackets,
            hubs=args.hubs,
            drop=args.drop,
            seed=seed,
        )
        result = solve_procurement(data, standalone=False, time_limit=args.time_limit, gap=args.gap)
        check = check_procurement(data, result)
        alone_s, savings, core_s, verdict = math.nan, "", math.nan, ""
        if args.standalone:
            start = time.perf_counter()
            alone = standalone_costs(data, time_limit=args.time_limit, gap=args.gap)
            alone_s = time.perf_counter() - start
            saved = float(alone.sum()) - result.pooled_cost
            savings = f"{saved:,.0f} ({saved / alone.sum():.1%})"
            if args.core_check:
                shares = alone / alone.sum() * result.pooled_cost
                found = find_blocking_coalition(
                    data, shares, time_limit=args.time_limit, gap=args.gap
                )
                core_s = found.runtime_s
                verdict = (
                    f"gain {found.gain:,.0f} ({len(found.coalition)} members), {found.status.value}"
                )
        instance = f"{args.members}x{args.products}x{args.suppliers}x{args.brackets}"
        row = (
            f"| {instance} | {args.drop} | {seed} | {result.n_variables} | {result.build_s:.2f} "
            f"| {result.runtime_s:.2f} | {result.status.value} | {result.gap:.4%} | "
            f"{result.objective:,.0f} | {'ok' if check.ok else 'FAILED'} | {alone_s:.1f} | "
            f"{savings} | {core_s:.1f} | {verdict} |"
        )
        print(row, flush=True)
        rows.append(row)
        if not check.ok:
            print(check.summary())
    if args.out:
        with args.out.open("a") as handle:
            handle.write("\n".join(rows) + "\n\n")
    return 0
