"""Market allocation at scale: a seeded 5,000 members × 3 products × 40 buyers instance.

Usage::

    python benchmarks/run.py markets [--members 5000 --buyers 40 --seed 1] \\
        [--time-limit 30 --gap 0.001] [--lp-limit 60] [--single-buyer] [--out results/markets.json]

Cases, each checked by :func:`optimizer.models.markets.check_markets`:

- ``flow``: no contracts: the min-cost flow (target: optimal ≤ 3 s, build included);
- ``lp``: the same problem as an LP in PuLP + HiGHS over the same pairs, with a time limit
  (``--lp-limit``, 0 to skip), so the ratio is measured in the same run;
- ``contracts``: minimum contracts on a quarter of the buyers, made large processors
  (intake 1-2 × an even share, minimum 60-90 % of the intake) so that the contracts bind
  (target: gap ≤ 0.1 % ≤ 30 s);
- ``single_buyer`` (with ``--single-buyer``): one buyer per member and product, contract-free.

The instance: members and buyers uniform on an 80 × 80 km square, road distance = straight
line × 1.3, 50 km/h; milk (1.03 kg/l, perishable 1 h), wheat (1 kg) and vegetables (1 kg);
each member supplies each product with probability 0.6; each buyer buys each product with
probability 0.7, pays the product's base price × U(0.95, 1.15) and takes U(0.4, 1.2) × an
even share of the supply; the farm gate pays base × U(0.75, 0.9); a 24 t truck at
1.4 EUR/km. Base prices (EUR/kg): milk 0.50, wheat 0.20, vegetables 0.80.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from optimizer.models.markets import MarketData, MarketResult, check_markets, solve_markets
from optimizer.solver import solve_milp

BASE_PRICE = np.array([0.50, 0.20, 0.80])
WEIGHT_KG = np.array([1.03, 1.0, 1.0])
PERISHABILITY_H = np.array([1.0, np.nan, np.nan])
TRUCK_COST_PER_KM, TRUCK_PAYLOAD_KG = 1.4, 24_000.0


def generate(
    n_members: int = 5000, n_buyers: int = 40, *, seed: int = 1, contracts: float = 0.0
) -> MarketData:
    """The seeded instance; ``contracts`` = share of buyers with minimum contracts."""
    rng = np.random.default_rng(seed)
    n_p = BASE_PRICE.size
    members = rng.uniform(0, 80, (n_members, 2))
    buyers = rng.uniform(0, 80, (n_buyers, 2))
    distance = 1.3 * np.hypot(*(members[:, None, :] - buyers[None, :, :]).transpose(2, 0, 1))
    supply = rng.uniform(500, 20_000, (n_members, n_p)) * (rng.random((n_members, n_p)) < 0.6)
    buys = rng.random((n_buyers, n_p)) < 0.7
    share = supply.sum(axis=0) / np.maximum(buys.sum(axis=0), 1)
    max_intake = np.where(buys, share * rng.uniform(0.4, 1.2, (n_buyers, n_p)), 0.0)
    min_contract = np.zeros_like(max_intake)
    if contracts > 0:
        # Contract buyers are large processors: intake 1-2 × an even share, minimum 60-90 %
        # of it, so that contracts bind (the contract-free optimum does not meet them all).
        chosen = rng.permutation(n_buyers)[: round(contracts * n_buyers)]
        max_intake[chosen] = np.where(
            buys[chosen], share * rng.uniform(1.0, 2.0, (chosen.size, n_p)), 0.0
        )
        min_contract[chosen] = max_intake[chosen] * rng.uniform(0.6, 0.9, (chosen.size, n_p))
    return MarketData(
        supply=supply,
        farm_gate_price=BASE_PRICE * rng.uniform(0.75, 0.9, (n_members, n_p)),
        price=np.where(buys, BASE_PRICE * rng.uniform(0.95, 1.15, (n_buyers, n_p)), 0.0),
        min_contract=min_contract,
        max_intake=max_intake,
        handling_fee=np.where(buys, 0.005, 0.0),
        weight_per_unit_kg=WEIGHT_KG,
        perishability_h=PERISHABILITY_H,
        distance_km=distance,
        time_h=distance / 50.0,
        transport_cost_per_unit_km=TRUCK_COST_PER_KM * WEIGHT_KG / TRUCK_PAYLOAD_KG,
    )


def solve_as_lp(data: MarketData, *, time_limit: float) -> dict[str, Any]:
    """The contract-free model as one PuLP LP over every pair with a positive margin."""
    start = time.perf_counter()
    pairs = data.pairs
    use = np.flatnonzero(pairs.margin > 0)
    n_p = data.n_products
    problem = pulp.LpProblem("markets_lp", pulp.LpMaximize)
    upper = data.supply[pairs.member[use], pairs.product[use]]
    x = [problem.add_variable(f"x{i}", 0, float(u)) for i, u in enumerate(upper)]
    problem += pulp.LpAffineExpression(zip(x, pairs.margin[use].tolist(), strict=True))
    sellers = pairs.member[use] * n_p + pairs.product[use]
    markets = pairs.buyer[use] * n_p + pairs.product[use]
    for key, limit in ((sellers, data.supply.ravel()), (markets, data.max_intake.ravel())):
        order = np.argsort(key, kind="stable")
        for rows in np.split(order, np.flatnonzero(np.diff(key[order])) + 1):
            if rows.size > 1:
                problem += pulp.LpAffineExpression([(x[i], 1.0) for i in rows]) <= float(
                    limit[key[rows[0]]]
                )
    build_s = time.perf_counter() - start
    report = solve_milp(problem, time_limit=time_limit, gap=1e-6)
    return {
        "case": "lp",
        "variables": len(x),
        "build_s": round(build_s, 2),
        "solve_s": round(report.runtime_s, 2),
        "runtime_s": round(build_s + report.runtime_s, 2),
        "status": report.status.value,
        "objective": report.objective + data.farm_gate_income
        if report.status.has_solution
        else None,
    }


def record(case: str, data: MarketData, result: MarketResult, build_s: float) -> dict[str, Any]:
    check = check_markets(data, result)
    return {
        "case": case,
        "pairs": data.pairs.size,
        "build_s": round(build_s, 2),
        "solve_s": round(result.runtime_s, 2),
        "runtime_s": round(build_s + result.runtime_s, 2),
        "status": result.status.value,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "relaxation_bound": result.relaxation_bound,
        "gap_to_relaxation": (result.relaxation_bound - result.objective) / result.objective,
        "gain_over_farm_gate": result.gain,
        "solver": result.solver,
        "message": result.message,
        "check": list(check.problems),
    }


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"run.py {name}")
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--buyers", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--gap", type=float, default=0.001)
    parser.add_argument("--lp-limit", type=float, default=60.0, help="0 skips the LP")
    parser.add_argument("--single-buyer", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []

    def timed_data(contracts: float) -> tuple[MarketData, float]:
        data = generate(args.members, args.buyers, seed=args.seed, contracts=contracts)
        start = time.perf_counter()
        _ = data.pairs  # the pairs (reachability, perishability, margins) are part of the build
        return data, time.perf_counter() - start

    data, build_s = timed_data(0.0)
    flow = solve_markets(data)
    rows.append(record("flow", data, flow, build_s))
    if args.lp_limit > 0:
        lp = solve_as_lp(data, time_limit=args.lp_limit)
        if lp["objective"] is not None:
            lp["rel_diff_to_flow"] = (lp["objective"] - flow.objective) / flow.objective
        rows.append(lp)
    contract_data, build_s = timed_data(0.25)
    contracts = solve_markets(contract_data, time_limit=args.time_limit, gap=args.gap)
    rows.append(record("contracts", contract_data, contracts, build_s))
    if args.single_buyer:
        single = solve_markets(data, single_buyer=True, time_limit=args.time_limit, gap=args.gap)
        rows.append(record("single_buyer", data, single, 0.0))

    print(f"markets: {args.members} members × 3 products × {args.buyers} buyers, seed {args.seed}")
    print(f"{'case':<13}{'status':<10}{'time s':>8}{'objective':>16}{'gap':>10}  check")
    for row in rows:
        objective = row.get("objective")
        shown = f"{objective:,.2f}" if objective is not None else "-"
        gap = row.get("gap")
        gap_text = f"{gap:.4%}" if isinstance(gap, float) else "-"
        check = row.get("check")
        check_text = "-" if check is None else ("ok" if not check else f"{len(check)} problems")
        print(
            f"{row['case']:<13}{row['status']:<10}{row['runtime_s']:>8.2f}{shown:>16}"
            f"{gap_text:>10}  {check_text}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2, default=float))
    failed = any(row.get("check") for row in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main("markets", sys.argv[1:]))
