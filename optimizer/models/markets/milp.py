"""The market model with minimum contracts or one buyer per member: a MILP on candidate pairs.

The MILP is built from arrays over a *candidate* subset of the feasible pairs, then widened:

1. The contract-free min-cost flow (the LP relaxation of the contract model, and a
   relaxation of the one-buyer model) gives a valid upper bound and its pairs. When its
   plan already meets every contract it uses (and the one-buyer rule), it is optimal.
2. Candidates: for each member × product its ``k`` pairs of highest margin, the pairs the
   relaxation uses, and for each contract enough of its best pairs to cover twice the minimum.
3. After each MILP solve, with contracts only: the chosen contracts are fixed and the flow
   over *all* feasible pairs is solved exactly (min-cost flow with minimums); it can only
   improve the plan. Pairs it uses outside the candidates are added.
4. A left-out pair is added when its buyer has spare intake in the plan and its margin
   beats what its member earns per unit now (moving supply there would pay).

Rounds repeat while pairs are added and time is left. The reported bound is the MILP's
bound when the candidates hold every pair, else the relaxation's value (a bound for the whole
problem); the candidates' own bound would be one only if every left-out pair carried nothing
in an optimum, which steps 3–4 test but do not prove (a left-out pair into a full buyer could
still pay through a chain of exchanges; an independent model met plans short of the optimum
with one to three candidates). So with pairs left out the plan is optimal only within the
gap of the relaxation, and feasible otherwise. The solver
works on the margin ``Σ g x``; its relative gap is rescaled so that it stops at ``gap``
relative to the income ``Σ f s + Σ g x``, the objective the result reports.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pulp

from optimizer.models.markets.data import MarketData
from optimizer.models.markets.flow import solve_flow
from optimizer.results import Status, relative_gap
from optimizer.solver import SolverName
from optimizer.solver import solve_milp as run_solver

__all__ = ["MilpPlan", "income_of", "solve_milp"]

_TOL = 1e-7
_MAX_ROUNDS = 4
PROVE_UP_TO = 20_000  # pairs up to which a last MILP over all of them proves the plan


@dataclass(frozen=True)
class MilpPlan:
    """Quantities on :attr:`MarketData.pairs` and the solve's report (income terms)."""

    status: Status
    quantity: np.ndarray
    objective: float
    bound: float
    solver: str
    message: str
    rounds: int
    candidates: int
    relaxation_bound: float


def income_of(data: MarketData, quantity: np.ndarray) -> float:
    """Total income of the plan ``quantity`` (on the pairs), the rest at the farm gate."""
    pairs = data.pairs
    sold = np.zeros(data.supply.shape)
    np.add.at(sold, (pairs.member, pairs.product), quantity)
    unsold = data.supply - sold
    return float(pairs.net @ quantity + np.sum(unsold * data.farm_gate_price))


def solve_milp(
    data: MarketData,
    *,
    single_buyer: bool,
    time_limit: float,
    gap: float,
    solver: SolverName = "auto",
    candidates: int = 5,
    shortcut: bool = True,
) -> MilpPlan:
    """Solve the contract / one-buyer model (see the module docstring).

    ``shortcut=False`` solves the MILP even when the relaxation's plan is already feasible.
    """
    start = time.perf_counter()
    pairs = data.pairs
    relaxed = solve_flow(data)
    relax_income = math.inf
    if relaxed.status.has_solution:
        relax_income = income_of(data, relaxed.quantity) + relaxed.rounding
        if shortcut and _meets_all(data, relaxed.quantity, single_buyer=single_buyer):
            # The relaxation's plan already meets every contract (and the one-buyer rule):
            # it is optimal for the whole problem, no MILP needed.
            return _flow_optimum(data, relaxed.quantity, relax_income)

    chosen = _first_candidates(data, relaxed.quantity, candidates)
    has_contracts = bool(np.any(data.min_contract[pairs.buyer, pairs.product] > 0))
    round_gap = _round_gap(data, relax_income, gap)

    best_x: np.ndarray | None = None
    best_income, bound, status, converged = -math.inf, math.inf, Status.NO_SOLUTION, False
    name, message, rounds = "highs", "", 0
    for rounds in range(1, _MAX_ROUNDS + 1):  # noqa: B007 (rounds is reported)
        left = time_limit - (time.perf_counter() - start)
        if left <= 0.5 and best_x is not None:
            break
        idx = np.flatnonzero(chosen)
        report, x_idx, is_open = _solve_restricted(
            data, idx, single_buyer=single_buyer, deadline=start + time_limit, gap=round_gap,
            solver=solver,
        )  # fmt: skip
        name, message = report.solver, report.message
        if not report.status.has_solution:
            if best_x is None:
                status = report.status
            break
        x = np.zeros(pairs.size)
        x[idx] = x_idx
        constant = data.farm_gate_income
        round_bound = report.bound + constant if math.isfinite(report.bound) else math.inf
        added = np.zeros(pairs.size, dtype=bool)
        if has_contracts and not single_buyer:
            x = _polish(data, x, is_open)
            added |= (x > _TOL) & ~chosen
        income = income_of(data, x)
        if income > best_income:
            best_x, best_income = x, income
        added |= _improving(data, x, chosen)
        status = report.status
        bound = round_bound
        if not added.any() or relative_gap(best_income, relax_income) <= gap:
            # no left-out pair would pay, or the relaxation proves the plan within the gap
            converged = True
            break
        chosen |= added

    n_chosen = int(chosen.sum())
    if best_x is not None and n_chosen < pairs.size <= PROVE_UP_TO:
        proof = _over_all_pairs(
            data, single_buyer, start + time_limit, round_gap, solver, has_contracts
        )
        if proof is not None:  # its bound holds for the whole problem
            x_all, status, bound = proof
            n_chosen, converged = pairs.size, math.isfinite(bound)
            if income_of(data, x_all) > best_income:
                best_x, best_income = x_all, income_of(data, x_all)
    return _finish(
        best_x, best_income, bound, status, converged and n_chosen == pairs.size, relax_income,
        gap, (name, message), rounds, n_chosen, pairs.size,
    )  # fmt: skip


def _finish(
    best_x: np.ndarray | None,
    best_income: float,
    bound: float,
    status: Status,
    proven: bool,
    relax_income: float,
    gap: float,
    said: tuple[str, str],
    rounds: int,
    n_chosen: int,
    n_pairs: int,
) -> MilpPlan:
    """The plan found, its bound (the candidates' when they hold every pair and the search
    ended there, else the relaxation's) and its status."""
    name, message = said  # the solver's name and message
    if best_x is None:
        nothing = np.zeros(n_pairs)
        return MilpPlan(status, nothing, math.nan, math.nan, name, message, rounds, 0, relax_income)
    if not proven and n_chosen == n_pairs:
        message = f"{message}; candidate pairs still growing when time ran out".strip("; ")
    bound = max(min(bound if n_chosen == n_pairs else relax_income, relax_income), best_income)
    result = _final_status(status, proven, relative_gap(best_income, bound) <= gap)
    if result is not Status.OPTIMAL and n_chosen < n_pairs:
        message = f"{message}; best among {n_chosen} of {n_pairs} pairs".strip("; ")
    return MilpPlan(
        result, best_x, best_income, bound, name, message, rounds, n_chosen, relax_income
    )


def _over_all_pairs(
    data: MarketData,
    single_buyer: bool,
    deadline: float,
    gap: float,
    solver: SolverName,
    has_contracts: bool,
) -> tuple[np.ndarray, Status, float] | None:
    """The MILP once over every pair (its plan, status and income bound), if time is left."""
    if deadline - time.perf_counter() <= 0.5:
        return None
    report, x, is_open = _solve_restricted(
        data, np.arange(data.pairs.size), single_buyer=single_buyer, deadline=deadline,
        gap=gap, solver=solver,
    )  # fmt: skip
    if not report.status.has_solution:
        return None
    if has_contracts and not single_buyer:
        x = _polish(data, x, is_open)
    bound = report.bound + data.farm_gate_income if math.isfinite(report.bound) else math.inf
    return x, report.status, bound


def _round_gap(data: MarketData, relax_income: float, gap: float) -> float:
    """The gap each restricted MILP may stop at.

    The solver sees the margin over the farm gate; its gap is rescaled so that it stops at
    ``gap`` relative to the income (the objective), estimated by the relaxation.
    """
    relax_gain = relax_income - data.farm_gate_income
    gap_factor = relax_income / relax_gain if 0 < relax_gain < math.inf else 1.0
    return min(gap * gap_factor, 0.5)


def _final_status(last: Status, converged: bool, within_gap: bool) -> Status:
    """Optimal when the last round was optimal and no left-out pair pays, or when the plan is
    within the gap of the bound; feasible otherwise."""
    result = Status.OPTIMAL if converged and last is Status.OPTIMAL else Status.FEASIBLE
    if result is Status.FEASIBLE and within_gap:
        result = Status.OPTIMAL
    return result


def _flow_optimum(data: MarketData, quantity: np.ndarray, relax_income: float) -> MilpPlan:
    """The contract-free min-cost flow's plan, when it meets every contract: optimal."""
    income = income_of(data, quantity)
    return MilpPlan(
        Status.OPTIMAL,
        quantity,
        income,
        relax_income,
        "min_cost_flow",
        "the contract-free optimum meets every contract",
        0,
        0,
        relax_income,
    )


def _first_candidates(data: MarketData, relaxed: np.ndarray, candidates: int) -> np.ndarray:
    """The pairs of the first restricted MILP: each member and product's ``candidates`` best
    buyers that pay (or have a contract), the relaxation's pairs, and a cover of contracts."""
    pairs = data.pairs
    group = pairs.member * data.n_products + pairs.product
    chosen = _rank_in_group(group, pairs.margin) < candidates
    chosen &= (pairs.margin > 0) | (data.min_contract[pairs.buyer, pairs.product] > 0)
    chosen |= relaxed > _TOL
    chosen |= _contract_cover(data, factor=2.0)
    return np.asarray(chosen)


def _polish(data: MarketData, x: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """The best flow with the MILP's open contracts held and the others closed, when it
    earns more than ``x``; else ``x``."""
    contract = data.min_contract > 0
    lower = np.where(contract & is_open, data.min_contract, 0.0)
    polished = solve_flow(data, lower=lower, closed=contract & ~is_open)
    if polished.status.has_solution and income_of(data, polished.quantity) > income_of(data, x):
        return polished.quantity
    return x


def _meets_all(data: MarketData, x: np.ndarray, *, single_buyer: bool) -> bool:
    """True when the plan ``x`` meets every minimum contract it uses and the one-buyer rule."""
    pairs = data.pairs
    n_p = data.n_products
    used = x > _TOL
    intake = np.bincount(pairs.buyer * n_p + pairs.product, weights=x, minlength=data.price.size)
    low = data.min_contract.ravel()
    short = (intake > _TOL) & (intake < low * (1 - 1e-9))
    if np.any(short):
        return False
    if single_buyer:
        count = np.bincount((pairs.member * n_p + pairs.product)[used], minlength=data.supply.size)
        return bool(np.all(count <= 1))
    return True


def _rank_in_group(group: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """0 for each group's highest margin, 1 for the next, …"""
    order = np.lexsort((-margin, group))
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, order.size]))
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size) - first
    return rank


def _contract_cover(data: MarketData, *, factor: float) -> np.ndarray:
    """For each contract, its best pairs until their supply covers ``factor`` × the minimum."""
    pairs = data.pairs
    need = data.min_contract[pairs.buyer, pairs.product] * factor
    chosen = np.zeros(pairs.size, dtype=bool)
    inside = np.flatnonzero(need > 0)
    if inside.size == 0:
        return chosen
    key = pairs.buyer[inside] * data.n_products + pairs.product[inside]
    order = inside[np.lexsort((-pairs.margin[inside], key))]
    key_sorted = pairs.buyer[order] * data.n_products + pairs.product[order]
    amount = data.supply[pairs.member[order], pairs.product[order]]
    cum = np.cumsum(amount)
    starts = np.r_[0, np.flatnonzero(np.diff(key_sorted)) + 1]
    base = np.repeat(cum[starts] - amount[starts], np.diff(np.r_[starts, order.size]))
    before = cum - amount - base
    chosen[order[before < need[order]]] = True
    return chosen


def _improving(data: MarketData, x: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Left-out pairs that would pay their member more than it earns now, into spare intake.

    A member's current earning is its average margin per unit of supply (the farm gate
    earns 0); a buyer has spare intake when the plan leaves it below ``max_intake``.
    Moving supply onto such a pair improves the plan unless the buyer is a contract left
    unused; those pairs are added to the candidates.
    """
    pairs = data.pairs
    group = pairs.member * data.n_products + pairs.product
    earned = np.bincount(group, weights=pairs.margin * x, minlength=data.supply.size)
    average = earned / np.maximum(data.supply.ravel(), 1e-300)
    market = pairs.buyer * data.n_products + pairs.product
    intake = np.bincount(market, weights=x, minlength=data.max_intake.size)
    cap = data.max_intake.ravel()
    spare = intake < cap - _TOL * np.maximum(cap, 1.0)
    better = pairs.margin > average[group] + _TOL * np.maximum(np.abs(pairs.margin), 1.0)
    return ~chosen & (pairs.margin > 0) & spare[market] & better


def _solve_restricted(
    data: MarketData,
    idx: np.ndarray,
    *,
    single_buyer: bool,
    deadline: float,
    gap: float,
    solver: SolverName,
) -> tuple[_Report, np.ndarray, np.ndarray]:
    """The MILP over the pairs ``idx``: quantities on them and the open contracts."""
    pairs = data.pairs
    n_b, n_p = data.max_intake.shape
    member, buyer, product = pairs.member[idx], pairs.buyer[idx], pairs.product[idx]
    upper = data.supply[member, product]
    margin = pairs.margin[idx]
    problem = pulp.LpProblem("markets", pulp.LpMaximize)
    x = [problem.add_variable(f"x{i}", 0, float(u)) for i, u in enumerate(upper)]
    problem += pulp.LpAffineExpression(zip(x, margin.tolist(), strict=True))

    seller = member * n_p + product
    for rows in _groups(seller):
        if rows.size < 2:
            continue
        if single_buyer:
            z = [problem.add_variable(f"z{i}", cat=pulp.LpBinary) for i in rows]
            for i, zi in zip(rows, z, strict=True):
                problem += x[i] - float(upper[i]) * zi <= 0
            problem += pulp.lpSum(z) <= 1
        else:
            problem += _sum(x, rows) <= float(upper[rows[0]])

    market = buyer * n_p + product
    open_vars: dict[int, pulp.LpVariable] = {}
    for rows in _groups(market):
        b, p = int(buyer[rows[0]]), int(product[rows[0]])
        cap, low = float(data.max_intake[b, p]), float(data.min_contract[b, p])
        total = _sum(x, rows)
        if low > 0:
            y = problem.add_variable(f"y{b}_{p}", cat=pulp.LpBinary)
            open_vars[b * n_p + p] = y
            problem += total - cap * y <= 0
            problem += total - low * y >= 0
        elif float(upper[rows].sum()) > cap:
            problem += total <= cap

    left = max(deadline - time.perf_counter(), 1.0)  # the build counts against the limit
    report = run_solver(problem, solver=solver, time_limit=left, gap=gap)
    is_open = np.zeros((n_b, n_p), dtype=bool)
    if not report.status.has_solution:
        return (
            _Report(report.status, math.nan, report.solver, report.message),
            np.zeros(idx.size),
            is_open,
        )
    values = np.array([v.varValue or 0.0 for v in x])
    values = np.clip(values, 0.0, upper)
    for key, y in open_vars.items():
        is_open[key // n_p, key % n_p] = (y.varValue or 0.0) > 0.5
    closed = ~is_open & (data.min_contract > 0)
    values[closed[buyer, product]] = 0.0  # tolerance crumbs on contracts left unused
    return _Report(report.status, report.bound, report.solver, report.message), values, is_open


@dataclass(frozen=True)
class _Report:
    status: Status
    bound: float
    solver: str
    message: str


def _groups(key: np.ndarray) -> list[np.ndarray]:
    if not key.size:  # no candidate pair pays more than the farm gate
        return []
    order = np.argsort(key, kind="stable")
    cuts = np.flatnonzero(np.diff(key[order])) + 1
    return np.split(order, cuts)


def _sum(x: list[pulp.LpVariable], rows: np.ndarray) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression([(x[i], 1.0) for i in rows])
