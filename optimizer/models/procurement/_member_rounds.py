r"""Constraint generation for the member-level least core: rows from bounds, proof by MILP.

Rows ``x(S) <= c(S) + eps`` hold a cost ``c(S) >= C(S)``: a proven cost, or the cost of a
plan found for ``S`` (an upper bound). With fewer rows, or looser ones, the LP is a
relaxation of the least-core LP, so its ``eps`` never exceeds the least-core epsilon
``eps*``; a split ``x`` whose largest gain over *every* coalition, proven by the core-check
MILP, is at most ``eps + tol`` then shows ``eps <= eps* <= eps + tol``, and the split closest
to the reference within the rows' polytope is the closest one within the least core's.

Each round solves the LP (``min eps``), then the quadratic program (the point closest to
the reference with ``eps`` fixed), and looks for violated coalitions at that point:

1. by :func:`~optimizer.models.procurement._member_plans.local_search` over the plans found
   so far (milliseconds, many coalitions per round);
2. when it finds none, by the core-check MILP (every improving plan it meets is kept as a
   row and as a pattern), which also proves the end: its best bound on any coalition's gain
   is at most ``eps + tol``.

Seeds: every member alone (proven), every member's complement ``N - {i}``, the members at
each drop point and those needing each product, and their complements (by the patterns).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.models.procurement._member_plans import Patterns, local_search
from optimizer.models.procurement.core import core_check_model
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.sharing import _closest as _closest_slsqp
from optimizer.results import Status
from optimizer.solver import SOLVER_ENV, available_solvers, solve_milp

ADD_PER_ROUND = 300  # coalitions the local search adds per round, those gaining most
PRUNE_MARGIN = 0.01  # rows whose gain is this part of a mean share below eps leave the LP
STARTS = 16  # rows gaining most, from which each round's local search starts
SLSQP_LIMIT = 20  # members up to which the closest point is found by SLSQP alone
QP_TIME_LIMIT_S = 5.0

__all__ = ["Rounds", "Separation", "least_core_point", "least_core_rounds", "separate"]


@dataclass(frozen=True)
class Separation:
    """One core-check MILP: its best coalition, gain, bound on every gain, plans met."""

    status: Status
    coalition: frozenset[int]
    gain: float
    gain_bound: float
    runtime_s: float
    found: dict[frozenset[int], float] = field(default_factory=dict)  # S -> plan's cost


@dataclass(frozen=True)
class Rounds:
    """What the constraint generation ended with."""

    shares: np.ndarray
    epsilon: float
    rounds: int
    separations: int
    rows: int
    last: Separation
    unproven: tuple[str, ...]  # statuses of separations that stopped before their proof
    spent: dict[str, float] = field(default_factory=dict)  # seconds: lp_s, search_s, milp_s
    tightest: frozenset[int] = frozenset()  # the row gaining most at the end


def separate(
    data: ProcurementData,
    shares: np.ndarray,
    patterns: Patterns,
    *,
    time_limit: float,
    gap: float,
    above: float = -math.inf,
) -> Separation:
    """Solve the core-check MILP at ``shares``; keep every improving plan as a pattern.

    ``above``: only coalitions gaining more are sought (HiGHS' objective cutoff); the
    solve then ends as soon as its bound shows that none is left, and when none exists the
    bound on every gain is ``above`` (the solver's own bound when it is lower).
    """
    built, total = core_check_model(data, shares, proper=True)
    chosen = os.environ.get(SOLVER_ENV, "").strip().lower()
    highs = "highs" in available_solvers() and chosen in ("", "auto", "highs")
    options: dict[str, object] = {"mip_improving_solution_save": True}
    if math.isfinite(above):
        options["objective_bound"] = total - above
    report = solve_milp(
        built.problem,
        solver="highs" if highs else "auto",
        time_limit=time_limit,
        gap=gap,
        options=options if highs else None,
    )
    if report.status is Status.INFEASIBLE and highs and math.isfinite(above):
        # the model is feasible (every member alone): nothing below the cutoff is the proof
        return Separation(Status.OPTIMAL, frozenset(), -math.inf, above, report.runtime_s)
    if not report.status.has_solution:
        return Separation(report.status, frozenset(), math.nan, math.inf, report.runtime_s)
    columns = [(report.objective, [v.varValue or 0.0 for v in built.problem.variables()])]
    if highs:
        saved = built.problem.solverModel.getSavedMipSolutions()
        columns += [(float(s.objective), list(s.col_value)) for s in saved]
    x = np.asarray(shares, float)
    found: dict[frozenset[int], float] = {}
    best: frozenset[int] = frozenset()
    n = data.n_members
    switch = np.array([z.index for z in built.switch])
    for objective, values in columns:
        col = np.asarray(values, float)
        members = col[switch] > 0.5
        coalition = frozenset(np.flatnonzero(members).tolist())
        if not 0 < len(coalition) < n:
            continue
        pooled = np.zeros((n, data.n_products))
        for c, y in built.pooled.items():
            pooled[built.class_player[c], built.class_product[c]] += col[y.index]
        shipped = np.zeros((data.n_suppliers, data.n_products, data.n_drop_points))
        for s, p, d, var in built.ship:
            shipped[s, p, d] += col[var.index]
        patterns.add_plan(pooled, shipped, members)
        # the plan's own cost (the MILP's objective less the shares outside), or a pattern's
        cost = min(float(x[members].sum()) - (total - objective), patterns.costs(members[None])[0])
        found[coalition] = min(found.get(coalition, math.inf), cost)
        if not best:
            best = coalition
    gain = float(x[list(best)].sum()) - found[best] if best else -math.inf
    bound = total - report.bound if math.isfinite(report.bound) else math.inf
    if report.status is Status.OPTIMAL and gain <= above:
        bound = min(bound, above)  # nothing beat the cutoff: every node was pruned at it
    return Separation(report.status, best, gain, bound, report.runtime_s, found)


def least_core_rounds(
    data: ProcurementData,
    *,
    total: float,
    alone: np.ndarray,
    reference: np.ndarray,
    patterns: Patterns,
    time_limit: float,
    gap: float,
    tol: float,
    max_iterations: int,
) -> Rounds:
    """Constraint generation until the MILP proves no gain above ``eps + tol``."""
    n = data.n_members
    slack = tol / 10
    known: dict[frozenset[int], float] = {frozenset([i]): float(alone[i]) for i in range(n)}
    active = set(known)
    _add(known, active, _seeds(data, patterns))
    unproven: list[str] = []
    separations = 0
    rounds = 0
    last: Separation | None = None
    spent = dict.fromkeys(("lp_s", "search_s", "milp_s"), 0.0)
    margin = PRUNE_MARGIN * abs(total) / n
    dropped: set[frozenset[int]] = set()
    kept: set[frozenset[int]] = set()
    while True:
        rounds += 1
        clock = time.perf_counter()
        coalitions = list(active)
        matrix = np.zeros((len(coalitions), n), bool)
        for r, s in enumerate(coalitions):
            matrix[r, list(s)] = True
        costs = np.array([known[s] for s in coalitions])
        eps, x, binding = least_core_point(matrix, costs, total, reference, slack)
        gains = matrix @ x - costs
        # rows far from binding leave the LP (they come back if a search finds them again)
        keep = binding | (gains >= eps - margin) | (matrix.sum(axis=1) == 1)
        dropped.update(s for s, k in zip(coalitions, keep, strict=True) if not k)
        # a row dropped once and found again stays (else the point could cycle)
        active = {s for s, k in zip(coalitions, keep, strict=True) if k or s in kept}
        spent["lp_s"] += time.perf_counter() - clock
        if rounds < max_iterations:
            clock = time.perf_counter()
            order = np.argsort(-gains)
            starts = [matrix[r] for r in order[:STARTS]]
            if last is not None:
                starts += [np.isin(np.arange(n), list(s)) for s in last.found]
            new = local_search(patterns, x, starts, threshold=eps + tol)
            if not new:  # before the MILP: from every row near binding
                deep = [matrix[r] for r in order[STARTS : 8 * STARTS] if gains[r] >= eps - margin]
                new = local_search(patterns, x, deep, threshold=eps + tol, max_steps=1000)
            spent["search_s"] += time.perf_counter() - clock
            new = _most_violated(new, x, ADD_PER_ROUND)
            kept.update(dropped.intersection(new))
            if _add(known, active, new):
                continue
        clock = time.perf_counter()
        last = separate(data, x, patterns, time_limit=time_limit, gap=gap, above=eps + tol)
        spent["milp_s"] += time.perf_counter() - clock
        separations += 1
        if last.status is not Status.OPTIMAL:
            unproven.append(last.status.value)
        if not last.status.has_solution:
            break
        violated = {s: c for s, c in last.found.items() if x[list(s)].sum() - c > eps + tol}
        if last.gain_bound <= eps + tol or rounds >= max_iterations:
            break
        kept.update(dropped.intersection(violated))
        if not _add(known, active, violated):
            break  # nothing new above eps: the MILP stopped short of its proof
    tightest = coalitions[int(np.argmax(gains))] if coalitions else frozenset()
    return Rounds(x, eps, rounds, separations, len(known), last, tuple(unproven), spent, tightest)


def _most_violated(
    found: dict[frozenset[int], float], x: np.ndarray, count: int
) -> dict[frozenset[int], float]:
    """The ``count`` coalitions of ``found`` that gain most under ``x``."""
    gain = {s: float(x[list(s)].sum()) - c for s, c in found.items()}
    return {s: found[s] for s in sorted(found, key=gain.__getitem__, reverse=True)[:count]}


def _add(
    known: dict[frozenset[int], float],
    active: set[frozenset[int]],
    found: dict[frozenset[int], float],
) -> bool:
    """Record coalitions (or lower costs) and put them in the LP; True when any changed."""
    changed = False
    for coalition, cost in found.items():
        if not math.isfinite(cost):
            continue
        if cost < known.get(coalition, math.inf) - 1e-9 or coalition not in active:
            known[coalition] = min(cost, known.get(coalition, math.inf))
            active.add(coalition)
            changed = True
    return changed


def _seeds(data: ProcurementData, patterns: Patterns) -> dict[frozenset[int], float]:
    """``N - {i}``, the members at each drop point or needing each product, complements."""
    n = data.n_members
    groups = [~np.eye(n, dtype=bool)]
    groups.append(data.drop_point[None, :] == np.arange(data.n_drop_points)[:, None])
    groups.append((data.demand > 0).T)
    masks = np.vstack(groups)
    masks = np.vstack([masks, ~masks])
    sizes = masks.sum(axis=1)
    masks = masks[(sizes > 0) & (sizes < n)]
    costs = patterns.costs(masks)
    return {
        frozenset(np.flatnonzero(m).tolist()): float(c) for m, c in zip(masks, costs, strict=True)
    }


def least_core_point(
    rows: np.ndarray, costs: np.ndarray, total: float, ref: np.ndarray, slack: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """``min eps`` over the rows, then the point closest to ``ref`` (least squares).

    Rows are 0/1 coalitions; ``sum x = total``. The quadratic program holds the rows at
    ``cost + eps + slack`` (a hair above the LP's optimum, so that it stays feasible).
    Returns ``eps``, the point and which rows have a dual value in the LP (they fix
    ``eps``; at the point they may be slack by far more than ``slack``).
    """
    import highspy

    n = rows.shape[1]
    scale = max(1.0, float(np.max(np.abs(ref))))
    a = rows.astype(float)
    lp = _highs()
    inf = highspy.kHighsInf
    lp.addVars(n + 1, np.full(n + 1, -inf), np.full(n + 1, inf))
    lp.changeColsCost(1, np.array([n], np.int32), np.array([1.0]))
    _rows(lp, np.c_[a, -np.ones(len(a))], np.full(len(a), -inf), costs / scale)
    _rows(lp, np.r_[np.ones(n), 0.0][None, :], [total / scale], [total / scale])
    lp.run()
    if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"least-core LP: {lp.modelStatusToString(lp.getModelStatus())}")
    solution = np.asarray(lp.getSolution().col_value)
    binding = np.abs(np.asarray(lp.getSolution().row_dual)[: len(a)]) > 1e-12
    eps = float(solution[n]) * scale
    upper = costs + eps + slack
    x = _closest(a, upper, total, ref, scale) if n > SLSQP_LIMIT else None
    if x is None:  # small, or HiGHS stopped: SLSQP from the LP's point
        x = _closest_slsqp(a, upper, total, ref, solution[:n] * scale)
    if x is not None and np.all(a @ x <= upper + slack) and abs(x.sum() - total) <= slack:
        return eps, x, binding
    return eps, solution[:n] * scale, binding  # the LP's own point: in the least core too


def _closest(
    a: np.ndarray, upper: np.ndarray, total: float, ref: np.ndarray, scale: float
) -> np.ndarray | None:
    """The point closest to ``ref`` with ``a x <= upper``, ``sum x = total`` (HiGHS' QP).

    Held to a few seconds: on degenerate instances (``ref`` on the boundary) its active-set
    method can cycle; then ``None``.
    """
    import highspy

    n = a.shape[1]
    inf = highspy.kHighsInf
    qp = _highs()
    qp.setOptionValue("time_limit", QP_TIME_LIMIT_S)
    qp.addVars(n, np.full(n, -inf), np.full(n, inf))
    qp.changeColsCost(n, np.arange(n, dtype=np.int32), -2.0 * ref / scale)
    qp.passHessian(
        n, n, 1, np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32), np.full(n, 2.0)
    )
    _rows(qp, a, np.full(len(a), -inf), upper / scale)
    _rows(qp, np.ones((1, n)), [total / scale], [total / scale])
    qp.run()
    if qp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(qp.getSolution().col_value) * scale


def _highs() -> Any:
    from optimizer.solver import _quiet_highs

    return _quiet_highs()


def _rows(model: Any, a: np.ndarray, low: object, high: object) -> None:
    """Add dense rows ``low <= a x <= high`` to a HiGHS model."""
    nz = a != 0
    starts = np.r_[0, np.cumsum(nz.sum(axis=1))[:-1]].astype(np.int32)
    index = np.nonzero(nz)[1].astype(np.int32)
    model.addRows(
        len(a), np.asarray(low, float), np.asarray(high, float), len(index), starts, index, a[nz]
    )
