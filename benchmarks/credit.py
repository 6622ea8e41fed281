"""Credit benchmark: a generated season of 500 members x 12 months.

    python benchmarks/run.py credit [--members 500] [--months 12] [--seed 1] [--time-limit 60]

Members are dairy farms (milk every month, feed every month), arable farms (seed in the first
two months, fertiliser in months 7-9, grain at harvest in month 12) and market gardens (crates
and fertiliser in month 8, vegetables in months 10-12), sized log-normally; a few pay cash up
front, and one in fifty has a bad year (deliveries at 40 %). Four suppliers with a 2 % cash
discount (net 30 days), two of them with supplier credit; two bank lines with fees and
commitment rates (their use is a 0/1 choice). Prints the build and solve time, status, gap,
financing cost, the largest credit balance, members who cannot repay, and the independent
check's verdict. Issue 14 asks for time and gap on this size.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.models.credit import CreditData, check_credit, solve_credit  # noqa: E402

__all__ = ["generated_season", "main"]


def generated_season(members: int, months: int, seed: int) -> CreditData:
    """A seeded season of ``members`` farms over ``months`` months (at least 12)."""
    rng = np.random.default_rng(seed)
    t = months
    kind = rng.choice(3, size=members, p=[0.4, 0.4, 0.2])  # dairy, arable, market garden
    size = rng.lognormal(0.0, 0.6, size=members)
    inputs = np.zeros((members, t))
    deliveries = np.zeros((members, 3, t))  # milk, grain, vegetables
    feed, seed_cost, fertiliser, crates = (np.zeros(t) for _ in range(4))
    for i in range(members):
        if kind[i] == 0:
            monthly = 6000 * size[i]
            inputs[i] += monthly
            feed += monthly
            deliveries[i, 0] = 25000 * size[i] * rng.uniform(0.9, 1.1, t)
        elif kind[i] == 1:
            for month, value in ((0, 9000), (1, 4000)):
                inputs[i, month] += value * size[i]
                seed_cost[month] += value * size[i]
            for month, value in ((6, 12000), (7, 9000), (8, 4000)):
                inputs[i, month] += value * size[i]
                fertiliser[month] += value * size[i]
            deliveries[i, 1, t - 1] = 110000 * size[i] * rng.uniform(0.8, 1.2)
        else:
            inputs[i, 7] += 7000 * size[i]
            crates[7] += 5000 * size[i]
            fertiliser[7] += 2000 * size[i]
            deliveries[i, 2, t - 3 :] = 14000 * size[i] * rng.uniform(0.6, 1.2, 3)
    weak = rng.choice(members, size=members // 50, replace=False)
    deliveries[weak] *= 0.4  # a bad year on a few farms: they cannot repay within the season
    cash = np.zeros((members, t))
    payers = rng.choice(members, size=members // 20, replace=False)
    cash[payers, 0] = np.minimum(inputs[payers].sum(axis=1), 2000.0)
    orders = [
        ("Feed mill", "feed", feed, 0.02, 0, 0.0),
        ("Trade depot", "seed", seed_cost, 0.02, 10, 0.075),
        ("Fertiliser wholesaler", "fertiliser", fertiliser, 0.03, 6, 0.08),
        ("Horticultural supplies", "crates", crates, 0.02, 0, 0.0),
    ]
    rows = [
        (supplier, product, m, float(values[m]), discount, credit, rate)
        for supplier, product, values, discount, credit, rate in orders
        for m in range(t)
        if values[m] > 0
    ]
    total = inputs.sum()
    return CreditData(
        months=tuple(f"{2026 + (8 + m) // 12}-{(8 + m) % 12 + 1:02d}" for m in range(t)),
        member_ids=tuple(f"M{i + 1:04d}" for i in range(members)),
        member_names=tuple(f"Farm {i + 1}" for i in range(members)),
        inputs=inputs,
        cash=cash,
        produce=("milk", "grain", "vegetables"),
        max_share=np.array([0.3, 0.5, 0.3]),
        deliveries=deliveries,
        order_supplier=tuple(r[0] for r in rows),
        order_product=tuple(r[1] for r in rows),
        order_month=np.array([r[2] for r in rows]),
        order_value=np.array([r[3] for r in rows]),
        discount=np.array([r[4] for r in rows]),
        net_months=np.ones(len(rows), dtype=int),
        credit_months=np.array([r[5] for r in rows]),
        credit_rate=np.array([r[6] for r in rows]),
        line_ids=("K1", "K2"),
        line_lenders=("Cooperative bank", "Savings bank"),
        limit=np.array([0.3 * total, 0.2 * total]),
        annual_rate=np.array([0.065, 0.07]),
        fee=np.array([1500.0, 500.0]),
        commitment_rate=np.array([0.0025, 0.0]),
        term=np.array([t, t]),
    )


def main(name: str = "credit", argv: list[str] | None = None) -> int:
    """Run the benchmark; print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--gap", type=float, default=1e-4)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = generated_season(args.members, args.months, args.seed)
    built = time.perf_counter()
    result = solve_credit(data, time_limit=args.time_limit, gap=args.gap)
    solved = time.perf_counter()
    check = check_credit(data, result)
    checked = time.perf_counter()
    unpaid = int((result.members["unpaid"] > 0).sum()) if not result.members.empty else 0
    print(f"season: {args.members} members x {args.months} months, {len(data.order_value)} orders")
    print(f"generate: {built - started:.2f} s")
    print(f"solve (build + HiGHS + tables): {solved - built:.2f} s ({result.solver})")
    print(f"status: {result.status.value}, gap {result.gap:.4%}")
    print(f"financing cost: {result.objective:,.2f} EUR (bound {result.bound:,.2f})")
    print(f"largest credit balance: {result.balance['credit_balance'].max():,.0f} EUR")
    print(f"lines used: {', '.join(data.line_ids[k] for k in np.nonzero(result.line_used)[0])}")
    print(f"members who cannot repay: {unpaid}")
    print(f"check: {'ok' if check.ok else check.summary()} ({checked - solved:.2f} s)")
    return 0 if check.ok and result.status.has_solution else 1


if __name__ == "__main__":
    raise SystemExit(main("credit", sys.argv[1:]))
