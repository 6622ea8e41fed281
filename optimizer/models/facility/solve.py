r"""Capacitated facility location and the capacitated p-median problem.

The numeric core of the hub model's first stage, also benchmarked on its own against the
OR-Library ``cap`` and ``pmedcap`` instances.

Formulation
-----------
Sets: candidate sites :math:`i \in I`, customers :math:`j \in J` with demand :math:`d_j > 0`
(customers without demand need nothing and get no variables).

Data: fixed cost :math:`f_i` (``fixed_cost``), capacity :math:`Q_i` (``capacity``), demand
:math:`d_j` (``demand``), cost per unit shipped :math:`c_{ij}` (``unit_cost``; ``inf`` means the
site cannot serve the customer), the set :math:`E \subseteq I` of existing sites (``existing``),
and optionally the number :math:`p` of sites to open (``n_open``).

Variables: :math:`y_i \in \{0, 1\}` site open; :math:`z_{ij} \in [0, 1]` the share of customer
:math:`j`'s demand served from site :math:`i` (binary when ``single_source``). The shipped
quantity is :math:`x_{ij} = d_j z_{ij}`.

.. math::

    \min \; & \sum_i f_i y_i + \sum_{i,j} c_{ij} d_j z_{ij} \\
    \text{s.t.} \; & \sum_i z_{ij} = 1 & \forall j \quad \text{(demand met)} \\
    & \sum_j d_j z_{ij} \le Q_i y_i & \forall i \quad \text{(capacity)} \\
    & z_{ij} \le \min(1, Q_i / d_j)\, y_i & \forall i, j \quad \text{(strong linking)} \\
    & \sum_i Q_i y_i \ge \sum_j d_j & \text{(enough capacity opened)} \\
    & y_i = 1 & \forall i \in E \\
    & \sum_i y_i = p & \text{(only with } p\text{)}

The linking rows :math:`z_{ij} \le y_i` are implied by the others for integer :math:`y` but make
the LP relaxation far tighter (they are what lets the OR-Library instances close at the root or
nearly). With single sourcing, pairs with :math:`d_j > Q_i` are left out.

The capacitated p-median problem (Osman & Christofides) is the special case with sites =
customers, :math:`f = 0`, single sourcing, exactly :math:`p` medians, and a cost per
*assignment* (the distance, whatever the demand): :math:`c_{ij} d_j = \text{dist}_{ij}`.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pulp

from optimizer.models.facility.data import FacilityData, FacilityResult, p_median_data
from optimizer.results import SolverReport, Status
from optimizer.solver import SolverName, solve_milp

__all__ = [
    "diagnose_infeasibility",
    "solve_facility_data",
    "solve_facility_location",
    "solve_p_median_capacitated",
]

_FLOW_TOL = 1e-9


def solve_facility_location(
    fixed_cost: np.ndarray,
    capacity: np.ndarray,
    demand: np.ndarray,
    unit_cost: np.ndarray,
    *,
    single_source: bool = False,
    existing: np.ndarray | None = None,
    time_limit: float = 60.0,
    gap: float = 1e-6,
    solver: SolverName = "auto",
) -> FacilityResult:
    """Choose the sites to open and the flows that meet all demand at least cost.

    Parameters
    ----------
    fixed_cost, capacity, demand, unit_cost, single_source, existing
        As in :class:`FacilityData`.
    time_limit
        Seconds the solver may run.
    gap
        Relative gap at which a plan is accepted as optimal.
    solver
        ``"auto"``, ``"highs"`` or ``"cbc"``.

    Returns
    -------
    FacilityResult
        Infeasible instances come back with status ``INFEASIBLE`` and the reason in ``message``.
    """
    data = FacilityData(
        fixed_cost, capacity, demand, unit_cost, single_source=single_source, existing=existing
    )
    return solve_facility_data(data, time_limit=time_limit, gap=gap, solver=solver)


def solve_p_median_capacitated(
    distance: np.ndarray,
    demand: np.ndarray,
    capacity: float | np.ndarray,
    n_medians: int,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-6,
    solver: SolverName = "auto",
) -> FacilityResult:
    """Choose ``n_medians`` medians among the points and assign every point to one of them.

    Minimises the sum of distances from each point to its median, each median serving at most
    ``capacity`` demand. ``open_sites`` are the medians; :meth:`FacilityResult.assignment`
    gives each point's median.

    Parameters
    ----------
    distance
        Point-to-point distances, shape ``(n, n)``.
    demand
        Each point's demand (positive), shape ``(n,)``.
    capacity
        Each median's capacity (one number, or one per point).
    n_medians
        How many medians to open (``p``).
    """
    data = p_median_data(distance, demand, capacity, n_medians)
    return solve_facility_data(data, time_limit=time_limit, gap=gap, solver=solver)


def solve_facility_data(
    data: FacilityData,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-6,
    solver: SolverName = "auto",
) -> FacilityResult:
    """Solve a validated :class:`FacilityData` instance (see the module's formulation)."""
    reason = diagnose_infeasibility(data)
    if reason:
        return FacilityResult(Status.INFEASIBLE, math.nan, math.nan, math.inf, 0.0, message=reason)
    start = time.perf_counter()
    model = _Model(data)
    spent = time.perf_counter() - start
    report = solve_milp(
        model.problem, solver=solver, time_limit=max(time_limit - spent, 1.0), gap=gap
    )
    runtime = time.perf_counter() - start
    y, z = model.y, model.z
    if not report.status.has_solution:
        return FacilityResult(
            report.status,
            math.nan,
            math.nan,
            math.inf,
            runtime,
            solver=report.solver,
            message=report.message,
        )
    return _read_plan(data, report, y, z, runtime)


def diagnose_infeasibility(data: FacilityData) -> str:
    """A sentence saying why the instance is infeasible, or ``""`` when no obvious reason."""
    total_demand = float(data.demand.sum())
    total_capacity = float(data.capacity.sum())
    if total_capacity < total_demand:
        return f"total capacity {total_capacity:g} is smaller than total demand {total_demand:g}"
    if data.n_open is not None:
        n_existing = int(data.existing_mask.sum())
        if n_existing > data.n_open:
            return f"{n_existing} sites are existing but only {data.n_open} may be open"
        best = float(np.sort(data.capacity)[::-1][: data.n_open].sum())
        if best < total_demand:
            return (
                f"the {data.n_open} largest capacities add up to {best:g}, "
                f"smaller than total demand {total_demand:g}"
            )
    reachable = np.isfinite(data.unit_cost) & (data.capacity[:, None] > 0)
    if data.single_source:
        reachable &= data.capacity[:, None] >= data.demand[None, :]
    for j in np.flatnonzero(data.demand > 0):
        if not reachable[:, j].any():
            if data.single_source and np.isfinite(data.unit_cost[:, j]).any():
                return (
                    f"customer {j}'s demand {data.demand[j]:g} is larger than the capacity "
                    f"of every site that can serve it (single sourcing)"
                )
            return f"no site can serve customer {j}"
        cap_j = float(data.capacity[np.isfinite(data.unit_cost[:, j])].sum())
        if cap_j < data.demand[j]:
            return (
                f"customer {j}'s demand {data.demand[j]:g} is larger than the total capacity "
                f"{cap_j:g} of the sites that can serve it"
            )
    return ""


class _Model:
    """The MILP of the module docstring, with its variables kept for reading the plan."""

    def __init__(self, data: FacilityData) -> None:
        problem = pulp.LpProblem("facility_location", pulp.LpMinimize)
        self.problem = problem
        self.y = [
            problem.add_variable(f"y_{i}", 1 if data.existing_mask[i] else 0, 1, cat="Integer")
            for i in range(data.n_sites)
        ]
        y = self.y
        self.z_cat = "Integer" if data.single_source else "Continuous"
        demand, capacity = data.demand, data.capacity
        allowed = np.isfinite(data.unit_cost) & (demand[None, :] > 0) & (capacity[:, None] > 0)
        if data.single_source:
            allowed &= capacity[:, None] >= demand[None, :]
        pairs = np.argwhere(allowed)
        assign_cost = data.unit_cost[allowed] * demand[pairs[:, 1]]
        self.z: dict[tuple[int, int], pulp.LpVariable] = {
            (int(i), int(j)): problem.add_variable(f"z_{i}_{j}", 0, 1, cat=self.z_cat)
            for i, j in pairs
        }
        self.share = {(i, j): min(1.0, float(capacity[i] / demand[j])) for (i, j) in self.z}
        objective = [(y[i], float(data.fixed_cost[i])) for i in range(data.n_sites)]
        objective += [(var, float(c)) for var, c in zip(self.z.values(), assign_cost, strict=True)]
        problem += pulp.LpAffineExpression(objective)
        by_customer: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
        by_site: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
        for (i, j), var in self.z.items():
            by_customer.setdefault(j, []).append((var, 1.0))
            by_site.setdefault(i, []).append((var, float(demand[j])))
        for terms in by_customer.values():
            problem += pulp.LpConstraint(pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, rhs=1)
        for i, terms in by_site.items():
            problem += pulp.LpConstraint(
                pulp.LpAffineExpression([*terms, (y[i], -float(capacity[i]))]),
                pulp.LpConstraintLE,
                rhs=0,
            )
        problem += pulp.LpConstraint(
            pulp.LpAffineExpression([(y[i], float(capacity[i])) for i in range(data.n_sites)]),
            pulp.LpConstraintGE,
            rhs=float(demand.sum()),
        )
        if data.n_open is not None:
            problem += pulp.LpConstraint(
                pulp.LpAffineExpression([(v, 1.0) for v in y]),
                pulp.LpConstraintEQ,
                rhs=data.n_open,
            )
        for i, j in self.z:
            problem += pulp.LpConstraint(
                pulp.LpAffineExpression([(self.z[i, j], 1.0), (y[i], -self.share[i, j])]),
                pulp.LpConstraintLE,
                rhs=0,
            )


def _read_plan(
    data: FacilityData,
    report: SolverReport,
    y: list[pulp.LpVariable],
    z: dict[tuple[int, int], pulp.LpVariable],
    runtime_s: float,
) -> FacilityResult:
    open_sites = tuple(i for i, v in enumerate(y) if (v.varValue or 0.0) > 0.5)
    rows = []
    is_open = set(open_sites)
    for (i, j), var in z.items():
        share = var.varValue or 0.0
        if share > _FLOW_TOL and i in is_open:  # a closed site's 1e-9 share is solver noise
            if data.single_source:
                share = 1.0 if share > 0.5 else 0.0
                if share == 0.0:
                    continue
            rows.append((i, j, share * float(data.demand[j])))
    flows = pd.DataFrame(rows, columns=["site", "customer", "quantity"])
    flows = flows.astype({"site": int, "customer": int, "quantity": float})
    flows["cost"] = (
        data.unit_cost[flows["site"].to_numpy(), flows["customer"].to_numpy()]
        * flows["quantity"].to_numpy()
    )
    fixed = float(data.fixed_cost[list(open_sites)].sum())
    transport = float(flows["cost"].sum())
    return FacilityResult(
        status=report.status,
        objective=report.objective,
        bound=report.bound,
        gap=report.gap,
        runtime_s=runtime_s,
        open_sites=open_sites,
        flows=flows,
        fixed_cost_total=fixed,
        transport_cost_total=transport,
        solver=report.solver,
        message=report.message,
    )
