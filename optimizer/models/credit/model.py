"""Input credit repaid from deliveries: how each order is paid and what is withheld, month by month.

Inputs are bought before the season and members repay from their deliveries (check-off). The
plan chooses when each order is paid (in its month with the cash discount, at the net term, or
later on supplier credit), how much of each credit line is drawn, and how much is withheld from
each member's deliveries, so that every member's debt is repaid within the season (as far as
its deliveries allow), no line exceeds its limit or its term, the cooperative's cash never
goes below zero, and the financing cost is least.

Formulation
-----------
Sets
    ``T`` months ``t = 0..T-1``; ``N`` members ``i``; ``O`` orders ``o`` (supplier, product,
    month needed ``n_o``); ``L`` credit lines ``l``.
Data
    ``a[i,t]`` inputs received, ``c[i,t]`` cash paid up front, ``cap[i,t] = Σ_p share_p ·
    v[i,p,t]`` the most that may be withheld (deliveries ``v``); ``ob[i,t] = Σ_{τ≤t} (a − c)``
    owed before withholding and ``U[i,t] = min_{τ≥t} max(0, ob[i,τ])``; ``V_o`` order value;
    ``f[o,t]`` cash per unit of value settled in month t (:meth:`CreditData.settle_factor`:
    ``1 − discount`` in ``n_o``, 1 until the net term, ``1 + r_o/12 · months`` on supplier
    credit, undefined outside the window); ``K_l, r_l, F_l, q_l`` limit, annual rate, fee,
    commitment rate; ``e_l = min(term_l, T) − 2`` the last month a line may end drawn;
    ``R_i`` the least debt member i must leave unpaid (:func:`repayable`, 0 for most).
Variables
    ``x[o,t] ≥ 0`` value of order o settled in month t (its window only); ``B[l,t] ∈ [0, K_l]``
    line balance at the end of month t (t ≤ e_l, else 0); ``u_l ∈ {0,1}`` line used (only where
    it has a fee or a commitment rate; else 1); ``w[i,t] ∈ [0, cap[i,t]]`` withheld;
    ``s_t`` the cooperative's cash at the end of month t.
Objective
    ``min F = Σ_{o,t} (f[o,t] − 1) x[o,t] + Σ_{l,t} r_l/12 · B[l,t]
    + Σ_l Σ_{t < min(term_l,T)} q_l/12 · (K_l u_l − B[l,t]) + Σ_l F_l u_l``
    (interest on a month's end balance is paid the next month; the fee in month 0).
Constraints
    settled ``Σ_t x[o,t] = V_o``; limit ``B[l,t] ≤ K_l u_l``;
    withholding ``Σ_{τ≤t} w[i,τ] ≤ max(0, ob[i,t])`` (never below what the member owes);
    repaid ``ob[i,T−1] − Σ_t w[i,t] ≤ R_i``;
    cash ``s_t = s_{t−1} + Σ_l (B[l,t] − B[l,t−1]) − Σ_l r_l/12 · B[l,t−1]
    − commitment_t − fees_t + Σ_i (w[i,t] + c[i,t]) − Σ_o f[o,t] x[o,t]``, ``s_{−1} = 0``,
    ``s_t ≥ 0`` for ``t < T−1``.

In the last month every line is repaid, so that ``s_{T−1} = −F − Σ_i debt left``: the
financing cost is settled with the members at the season's end, shared in proportion to the
credit each used (debt × months). A member whose deliveries cannot repay its debt is named
before the solve (:mod:`optimizer.models.credit.report`), its shortfall ``R_i`` allowed, and the
others are planned as usual. A MILP (binaries only for lines with fees), solved with
:func:`optimizer.solver.solve_milp`.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pulp

from optimizer.models.credit.data import CreditData, CreditResult
from optimizer.models.credit.report import (
    credit_tables,
    financing_cost,
    repayable,
    unpaid_reasons,
)
from optimizer.results import Status
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S, SolverName, solve_milp

__all__ = ["solve_credit"]

# values below this (currency units) are read as 0 from the solver
_ZERO = 1e-7
_SHORT = (
    "no plan pays every order within its terms: month by month, the members' cash and what "
    "may be withheld from their deliveries, with the credit lines within their limits and "
    "terms, leave the cooperative short of cash (raise a limit, lengthen a term, or agree "
    "supplier credit)"
)


def solve_credit(
    data: CreditData,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    solver: SolverName = "auto",
) -> CreditResult:
    """The financing plan of least cost for one season (see the module's formulation)."""
    started = time.perf_counter()
    problem, x, balance, used, withheld = _build(data)
    report = solve_milp(problem, solver=solver, time_limit=time_limit, gap=gap)
    reasons = tuple(text for _, text in sorted(unpaid_reasons(data).items()))
    plan = _decisions(data, report.status, x, balance, used, withheld)
    cost = math.nan if plan is None else financing_cost(data, *plan[:3])
    bound = report.bound if math.isfinite(report.bound) or plan is None else cost
    found_gap = abs(cost - bound) / max(abs(cost), 1.0) if plan is not None else math.inf
    if report.status is Status.OPTIMAL:
        found_gap = min(found_gap, report.gap)
    empty = np.zeros(0)
    settled, line_balance, line_used, withheld_array = plan or (empty, empty, empty, empty)
    schedule, payments, balance_table, lines, members = credit_tables(data, plan)
    return CreditResult(
        status=report.status,
        objective=cost,
        bound=bound,
        gap=found_gap,
        runtime_s=time.perf_counter() - started,
        settled=settled,
        line_balance=line_balance,
        line_used=line_used,
        withheld=withheld_array,
        schedule=schedule,
        payments=payments,
        balance=balance_table,
        lines=lines,
        members=members,
        unpaid_reasons=reasons,
        solver=report.solver,
        message=_SHORT if report.status is Status.INFEASIBLE else report.message,
        currency=data.currency,
    )


def _decisions(
    data: CreditData,
    status: Status,
    x: dict[tuple[int, int], pulp.LpVariable],
    balance: dict[tuple[int, int], pulp.LpVariable],
    used: list[pulp.LpVariable | float],
    withheld: dict[tuple[int, int], pulp.LpVariable],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The plan's decisions as arrays (settled, line balance, line used, withheld), if any."""
    if not status.has_solution:
        return None
    n, t_count = data.inputs.shape
    settled = np.zeros((len(data.order_supplier), t_count))
    for (o, t), var in x.items():
        settled[o, t] = _value(var)
    line_balance = np.zeros((len(data.line_ids), t_count))
    for (line, t), var in balance.items():
        line_balance[line, t] = _value(var)
    line_used = np.round([_value(u) if isinstance(u, pulp.LpVariable) else 1.0 for u in used])
    withheld_array = np.zeros((n, t_count))
    for (i, t), var in withheld.items():
        withheld_array[i, t] = _value(var)
    return settled, line_balance, np.asarray(line_used, float), withheld_array


def _value(var: pulp.LpVariable) -> float:
    value = var.value() or 0.0
    return 0.0 if abs(value) < _ZERO else float(value)


def _build(
    data: CreditData,
) -> tuple[
    pulp.LpProblem,
    dict[tuple[int, int], pulp.LpVariable],
    dict[tuple[int, int], pulp.LpVariable],
    list[pulp.LpVariable | float],
    dict[tuple[int, int], pulp.LpVariable],
]:
    """Write the MILP: one formulation, written as maths (the module docstring's rows)."""
    t_count = data.n_months
    problem = pulp.LpProblem("credit", pulp.LpMinimize)
    objective: dict[pulp.LpVariable, float] = {}
    constant = 0.0
    # cash flows of each month as {variable: coefficient} (+ in, − out) and a constant
    flow: list[dict[pulp.LpVariable, float]] = [{} for _ in range(t_count)]
    flow_constant = np.asarray(data.cash, float).sum(axis=0).copy()

    def add(target: dict[pulp.LpVariable, float], var: pulp.LpVariable, coef: float) -> None:
        target[var] = target.get(var, 0.0) + coef

    # orders: settled within their window
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    for o in range(len(data.order_supplier)):
        terms = []
        for t in range(int(data.order_month[o]), t_count):
            factor = data.settle_factor(o, t)
            if math.isnan(factor):
                break
            var = problem.add_variable(f"x_{o}_{t}", 0)
            x[(o, t)] = var
            terms.append((var, 1.0))
            add(objective, var, factor - 1.0)
            add(flow[t], var, -factor)
        problem += pulp.LpAffineExpression(terms) == float(data.order_value[o]), f"settled_{o}"
    # credit lines
    balance: dict[tuple[int, int], pulp.LpVariable] = {}
    used: list[pulp.LpVariable | float] = []
    for line in range(len(data.line_ids)):
        limit = float(data.limit[line])
        rate = float(data.annual_rate[line]) / 12
        commit = float(data.commitment_rate[line]) / 12
        fee = float(data.fee[line])
        last = data.line_last_month(line)
        open_months = min(int(data.term[line]), t_count)
        u: pulp.LpVariable | float
        if fee > 0 or commit > 0:
            u = problem.add_variable(f"u_{line}", 0, 1, cat="Integer")
            add(objective, u, fee + commit * limit * open_months)
            add(flow[0], u, -fee)
            for t in range(open_months):
                add(flow[t], u, -commit * limit)
        else:
            u = 1.0
        used.append(u)
        for t in range(last + 1):
            var = problem.add_variable(f"b_{line}_{t}", 0, limit)
            balance[(line, t)] = var
            if isinstance(u, pulp.LpVariable):
                problem += var - limit * u <= 0, f"limit_{line}_{t}"
            add(objective, var, rate - (commit if t < open_months else 0.0))
            add(flow[t], var, 1.0 + (commit if t < open_months else 0.0))
            add(flow[t + 1], var, -1.0 - rate)  # repaid (or rolled over) next month, with interest
    # withholding, within each month's deliveries and never beyond what the member owes
    capacity = data.capacity
    owed = data.owed_before
    shortfall = repayable(data, rounded=False)[1]
    withheld: dict[tuple[int, int], pulp.LpVariable] = {}
    for i in range(len(data.member_ids)):
        cumulative: list[pulp.LpVariable] = []
        for t in range(t_count):
            if capacity[i, t] > 0:
                var = problem.add_variable(f"w_{i}_{t}", 0, float(capacity[i, t]))
                withheld[(i, t)] = var
                cumulative.append(var)
                add(flow[t], var, 1.0)
            if cumulative:
                problem += (
                    pulp.lpSum(cumulative) <= max(0.0, float(owed[i, t])),
                    f"owed_{i}_{t}",
                )
        left = float(owed[i, -1]) - float(shortfall[i])
        if left > 0:
            problem += pulp.lpSum(cumulative) >= left, f"repaid_{i}"
    # the cooperative's cash, month by month
    previous: pulp.LpVariable | None = None
    for t in range(t_count):
        low = 0.0 if t < t_count - 1 else None
        cash = problem.add_variable(f"s_{t}", low)
        expression = pulp.LpAffineExpression(list(flow[t].items()))
        if previous is not None:
            expression += previous
        problem += cash - expression == float(flow_constant[t]), f"cash_{t}"
        previous = cash
    problem += pulp.LpAffineExpression(list(objective.items())) + constant
    return problem, x, balance, used, withheld
