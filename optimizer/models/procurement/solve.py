r"""Pooled procurement: bulk orders that reach discount brackets and fill trucks.

The coordinator turns members' needs into orders per supplier and product, delivered by
truck to drop points (a hub, or each member's farm gate). Any member may still buy some or
all of a product alone at the local dealer, so the model is always feasible.

Formulation
-----------
Sets: members ``m`` (the coalition being served), products ``p``, suppliers ``s``,
brackets ``b`` of offer ``(s, p)``, drop points ``d``; member ``m`` gets its goods at
``d(m)``. Members are grouped into classes ``c = (d, p, l)`` with demand ``D[c]`` (members at
``d`` needing ``p`` at local price ``l``); members at one drop point share its trucks.

Data: bracket ``b`` covers ``[L[s,p,b], U[s,p,b]]`` with ``L = max(t[b], min_order)``,
``U = min(t[b+1], capacity)``; price ``c[s,p,b]``; ``k[s,p,b] = 0`` for all-units offers and
``k = K[b] - c[b] t[b]`` for incremental ones, ``K[b]`` being the cost of the first ``t[b]``
units, so that in both cases an order of ``q`` units in bracket ``b`` costs ``c q + k``.
Truckload cost ``tau[s,d] = cost_per_trip[s] + fuel_price_factor * cost_per_km[s] *
distance_km[s,d]``; payload ``W[s]``; unit weight ``w[p]``.

Variables:

* ``x[s,p,d] >= 0`` units of ``p`` from ``s`` delivered to ``d``;
* ``q[s,p,b] >= 0`` and ``u[s,p,b]`` in {0, 1}: the order of ``p`` at ``s`` lies in bracket
  ``b`` (at most one ``u`` per offer is 1; none means no order);
* ``n[s,d]`` integer >= 0: truckloads from ``s`` to ``d``;
* ``y[c]`` in ``[0, D[c]]``: units of class ``c`` bought by the pool (the rest,
  ``D[c] - y[c]``, locally at ``l[c]``).

Minimise::

    sum_{s,p,b} (c q + k u) + sum_{s,d} tau n + sum_c l[c] (D[c] - y[c])

subject to::

    sum_b u[s,p,b] <= 1                                   one bracket per offer
    L u[s,p,b] <= q[s,p,b] <= U u[s,p,b]                  bracket range, min order, capacity
    sum_d x[s,p,d] = sum_b q[s,p,b]                       the order is what is delivered
    sum_s x[s,p,d] = sum_{c at (d,p)} y[c]                pooled units reach their members
    sum_p w[p] x[s,p,d] <= W[s] n[s,d]                    truck payload by weight

plus, per product ``p``, the valid inequalities (they cut the LP relaxation, not the plans)::

    sum_{s,b} (c q + k u)[s,p,b] >= alpha[p,j] + beta[p,j] sum_{s,b} q[s,p,b]   each edge j

where ``alpha + beta Q`` are the edges of the convex envelope of ``F[p](Q)``, the cheapest
goods cost of ``Q`` units of ``p`` over one bracket (or none) per supplier, on
``0 <= Q <= D[p]`` (the total demand). The LP of the bracket formulation alone gives each
offer its own envelope (its best price for any quantity); this envelope also knows that the
offers share at most ``D[p]`` units, and it is exact at ``Q = D[p]``. ``F[p]`` comes from
enumerating the bracket choices (at most ``(B + 1) ** S`` per product).

Brackets and deliveries that cannot be used (a minimum order above the coalition's whole
demand, no road to the drop point) are left out before solving. The bracket choice is per
supplier and product on the total ordered over all drop points.

Standalone cost of member ``m`` = the same model with ``m`` alone. Savings = standalone
total − pooled cost. A coalition ``S`` is solved with ``members=S``. One order per supplier
and product costs no more than several (prices do not rise with quantity) and shared trucks
no more than separate ones, so pooling never costs more than buying alone, except when a
supplier's capacity binds: each member alone may use all of it, the pool must share it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pulp

from optimizer.models.procurement.alone import alone_costs
from optimizer.models.procurement.check import check_procurement
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import BuiltModel, build_model
from optimizer.models.procurement.plan import ProcurementResult, empty_result, read_plan
from optimizer.models.procurement.unused import unused_offers
from optimizer.results import SolverReport, Status, relative_gap
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S, solve_milp

__all__ = [
    "START_MIN_BRACKETS",
    "coalition_mask",
    "drop_residues",
    "solve_procurement",
    "standalone_costs",
]


def coalition_mask(data: ProcurementData, members: Sequence[int | str] | None) -> np.ndarray:
    """A boolean mask over members from indices or ids (``None`` = everyone)."""
    mask = np.zeros(data.n_members, dtype=bool)
    if members is None:
        mask[:] = True
        return mask
    for m in members:
        mask[data.member_index(m) if isinstance(m, str) else int(m)] = True
    return mask


def solve_procurement(
    data: ProcurementData,
    *,
    members: Sequence[int | str] | None = None,
    standalone: bool | np.ndarray = True,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    solver: str = "auto",
    envelope_cuts: bool = True,
    solver_options: Mapping[str, Any] | None = None,
) -> ProcurementResult:
    """Plan the pooled order of ``members`` (default: all) at least total cost.

    Parameters
    ----------
    data
        The instance.
    members
        The coalition (indices or ids); the other members are absent.
    standalone
        True to solve each member alone as well (the baseline for savings), False to skip
        it, or an array of standalone costs already known (one per member of ``data``).
    time_limit, gap, solver_options
        Per solve; options of the named ``solver`` by its own names (``solve_milp``).
    envelope_cuts
        False to solve the plain formulation, without the envelope cuts (same optimum).
    """
    mask = coalition_mask(data, members)
    start = time.perf_counter()
    built = build_model(data, active=mask, envelope_cuts=envelope_cuts)
    build_s = time.perf_counter() - start
    if built.n_variables == 0:  # nothing to decide: nothing can be delivered
        status, rgap, message = Status.OPTIMAL, 0.0, "nothing to decide"
        objective = bound = built.offset
        runtime = 0.0
    else:
        report = _solve_in_two_phases(
            built, solver=solver, time_limit=time_limit, gap=gap, options=solver_options
        )
        status, runtime, message = report.status, report.runtime_s, report.message
        # the cost of members nothing can be delivered to stays out of the solver's objective
        objective, bound = report.objective + built.offset, report.bound + built.offset
        rgap = relative_gap(objective, bound) if status is Status.FEASIBLE else report.gap
    served = tuple(int(m) for m in np.nonzero(mask)[0])
    alone, bounds = _baseline(data, served, standalone, time_limit=time_limit, gap=gap)
    if not status.has_solution:
        failed = empty_result(
            data,
            status=status,
            runtime=runtime,
            served=served,
            message=message,
            built=built,
            build_s=build_s,
        )
        object.__setattr__(failed, "unused", unused_offers(data, mask))
        return failed
    drop_residues(built)
    result = read_plan(
        data,
        built=built,
        status=status,
        objective=objective,
        bound=bound,
        rgap=rgap,
        runtime=runtime,
        served=served,
        alone=alone,
    )
    if len(served) == 1 and isinstance(standalone, bool) and standalone:
        # a member alone is its own standalone baseline
        result.members.loc[:, ["standalone_cost", "pooled_cost"]] = result.pooled_cost
        result.members.loc[:, "savings"] = 0.0
        object.__setattr__(result, "standalone_total", result.pooled_cost)
    object.__setattr__(result, "message", message)
    object.__setattr__(result, "build_s", build_s)
    object.__setattr__(result, "unused", unused_offers(data, mask))
    object.__setattr__(result, "standalone_bounds", bounds)
    return result


def _baseline(
    data: ProcurementData,
    served: tuple[int, ...],
    standalone: bool | np.ndarray,
    *,
    time_limit: float,
    gap: float,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each member's standalone cost, and the members whose cost is only an upper bound."""
    if isinstance(standalone, np.ndarray):
        return np.asarray(standalone, float), ()
    if standalone and len(served) > 1:
        unproven: list[int] = []
        alone = standalone_costs(
            data, members=served, time_limit=time_limit, gap=gap, unproven=unproven
        )
        return alone, tuple(str(data.member_ids[m]) for m in unproven)
    return np.full(data.n_members, math.nan), ()


def drop_residues(built: BuiltModel) -> None:
    """Buy locally what the solver delivers with no bracket chosen or on no truck.

    Within its integrality tolerance a solver may set a bracket switch ``u`` or a truck
    count ``n`` to about 1e-7 and pass a few millionths of a unit through it: an order under
    the minimum, or a load on 0 trucks, that no real plan can make. Such deliveries go back
    to the members' local dealers (a few millionths of a unit at the local price), so the plan
    read back is one that can be made. Only the fixed-coalition model (``built.local``).
    """
    chosen = {(s, p) for s, p, _, _, u in built.brackets if (u.varValue or 0.0) > 0.5}
    trucks = {(s, d) for s, d, n in built.trucks if round(float(n.varValue or 0.0)) > 0}
    local_at: dict[tuple[int, int], list[tuple[int, pulp.LpVariable]]] = {}
    for c, v in built.local.items():
        local_at.setdefault((int(built.class_drop[c]), int(built.class_product[c])), []).append(
            (c, v)
        )
    for s, p, d, x in built.ship:
        amount = float(x.varValue or 0.0)
        if amount <= 0 or ((s, p) in chosen and (s, d) in trucks):
            continue
        x.varValue = 0.0
        for c, v in local_at.get((d, p), []):  # the units go back to the local dealer
            room = float(built.class_demand[c]) - float(v.varValue or 0.0)
            more = min(room, amount)
            v.varValue = float(v.varValue or 0.0) + more
            amount -= more


START_MIN_BRACKETS = 50  # bracket binaries from which a heuristic start is worth a solve
START_SHARE = 0.25  # share of the time limit the start may use
# HiGHS on a model with few integer decisions (under START_MIN_BRACKETS bracket switches and
# their trucks): its sub-MIP heuristics and restarts cost far more than the branch and bound
# they help (5,000 members, 25 binaries and 23 truck counts: 2.2 s of CPU with them, 0.3 s
# without, the same optimum proven); they find plans, they prove nothing
FEW_INTEGERS_HIGHS = {
    "mip_allow_restart": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_zi_round": False,
    "mip_heuristic_run_shifting": False,
}
# and first without presolve, for at most QUICK_NODES nodes: presolve's probing costs most of
# what is left where the cooperative's capacities are ample (5,000 members: 0.42 -> 0.10 s of
# CPU), while where suppliers sell out presolve pays for itself (its tree is a fraction)
QUICK_NODES = 1000
QUICK_HIGHS = {**FEW_INTEGERS_HIGHS, "presolve": "off", "mip_max_nodes": QUICK_NODES}


def _solve_in_two_phases(
    built: BuiltModel,
    *,
    solver: str,
    time_limit: float,
    gap: float,
    options: Mapping[str, Any] | None = None,
) -> SolverReport:
    """Solve with a heuristic start: brackets fixed first, then the full model.

    Phase 1 fixes each offer's bracket to the one that buys the product's whole demand
    cheapest (:func:`~optimizer.models.procurement.model.best_brackets`, trucks ignored)
    and solves the rest. Phase 2 solves the full model in the remaining time. The plan
    kept is the cheaper of the two; the bound is phase 2's (valid for the full model), so
    the gap reported is against a proven bound. Small models go straight to the full model,
    without HiGHS' plan-finding sub-MIPs (``FEW_INTEGERS_HIGHS``): first without presolve
    for at most ``QUICK_NODES`` nodes, then, unless that proved the optimum, with presolve
    from its plan.
    """
    problem = built.problem
    few = len(built.brackets) < START_MIN_BRACKETS
    solve = functools.partial(solve_milp, problem, solver=solver, options=options)  # type: ignore[arg-type]
    if few and time_limit < 2.0:
        return solve(time_limit=time_limit, gap=gap, highs_options=FEW_INTEGERS_HIGHS)
    if few:
        first = solve(time_limit=time_limit, gap=gap, highs_options=QUICK_HIGHS)
        if first.status is Status.OPTIMAL or first.solver != "highs":
            return first
        kept = "first try without presolve kept"
    elif time_limit < 2.0:
        return solve(time_limit=time_limit, gap=gap)
    else:
        chosen = {id(u) for u in built.start_brackets}
        saved = [(u, u.lowBound, u.upBound) for *_, u in built.brackets]
        for u, _, _ in saved:
            u.lowBound = u.upBound = 1 if id(u) in chosen else 0
        first = solve(time_limit=time_limit * START_SHARE, gap=gap / 2)
        for u, low, up in saved:
            u.lowBound, u.upBound = low, up
        kept = "start from fixed brackets kept"
    plan = {v.name: v.varValue for v in problem.variables()} if first.status.has_solution else {}
    left = max(time_limit - first.runtime_s, 1.0)
    second = solve(
        time_limit=left,
        gap=gap,
        warm_start=bool(plan),
        highs_options=FEW_INTEGERS_HIGHS if few else None,
    )
    runtime = first.runtime_s + second.runtime_s
    if not plan or (second.status.has_solution and second.objective <= first.objective):
        return replace(second, runtime_s=runtime)
    for v in problem.variables():  # the first plan is the better one: put it back
        v.varValue = plan.get(v.name)
    if not second.status.has_solution or not math.isfinite(second.bound):
        return replace(
            first, status=Status.FEASIBLE, bound=math.nan, gap=math.inf, runtime_s=runtime
        )
    rgap = relative_gap(first.objective, second.bound)
    status = Status.OPTIMAL if rgap <= gap else Status.FEASIBLE
    message = f"{kept}; {second.message}"
    return replace(
        second,
        status=status,
        objective=first.objective,
        gap=rgap,
        runtime_s=runtime,
        message=message,
    )


def standalone_costs(
    data: ProcurementData,
    *,
    members: Sequence[int | str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    unproven: list[int] | None = None,
) -> np.ndarray:
    """Each member's cost when buying alone (``nan`` for members not listed).

    All members at once by enumeration (:func:`~optimizer.models.procurement.alone.alone_costs`,
    exact); a member whose problem the enumeration leaves open is solved as a MILP of its own.
    The members whose solve stopped before proving optimality (their cost an upper bound)
    are appended to ``unproven`` when it is given.
    """
    listed = np.nonzero(coalition_mask(data, members))[0]
    found = alone_costs(data, listed.tolist())
    costs = found.cost
    for m in found.unsolved:
        alone = solve_procurement(
            data, members=[int(m)], standalone=False, time_limit=time_limit, gap=gap
        )
        if alone.status.has_solution:
            check = check_procurement(data, alone)  # each member's own plan is verified too
            if not check.ok:
                raise RuntimeError(
                    f"member {data.member_ids[m]} alone: plan fails its check: "
                    f"{'; '.join(check.problems)}"
                )
            costs[m] = alone.pooled_cost
            if unproven is not None and alone.status is not Status.OPTIMAL:
                unproven.append(int(m))
    return costs
