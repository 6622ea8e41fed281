r"""Shared collection hubs and trunk corridors: the two-echelon network model (numeric core).

Members' produce goes to buyers either through a collection hub (first mile to the hub, then
full or part truckloads on a hub→buyer corridor) or directly; what is not shipped is sold at
the farm gate. The model decides which hubs to open, the flows, and the trucks per corridor,
maximising the value of the produce at its buyers net of every cost.

Formulation
-----------
Sets: members :math:`m \in M`, hubs :math:`h \in H`, buyers :math:`b \in B`, products
:math:`p \in P`. A distance of ``inf`` means there is no road and the arc is left out.

Data (names in the code): supply :math:`s_{mp}` (``supply``, units); weight :math:`w_p`
(``weight_kg`` per unit); value :math:`v_{bp}` (``value_per_unit`` at the buyer) and intake
limit :math:`K_{bp}` (``intake_max``, units); farm-gate value :math:`v^0_{mp}`
(``farm_gate_value``); distances :math:`\delta_{mh}, \delta_{mb}, \delta_{hb}` in km; first-mile
and direct costs :math:`\alpha_p, \beta_p` per unit-km (``first_mile_cost_per_unit_km``,
``direct_cost_per_unit_km``); hub fixed cost :math:`F_h`, capacity :math:`Q_h` (kg) and handling
cost :math:`\eta_{hp}` per unit; existing hubs :math:`E \subseteq H`; per corridor the truck
payload :math:`L_{hb}` (kg), fixed cost per truck :math:`\phi_{hb}` and cost per km
:math:`\kappa_{hb}`, so one truck costs :math:`\tau_{hb} = \phi_{hb} + \kappa_{hb} \delta_{hb}`.

Variables: :math:`y_h \in \{0,1\}` hub open; :math:`f_{mhp} \ge 0` first-mile units;
:math:`g_{hbp} \ge 0` corridor units; :math:`t_{hb} \in \mathbb{Z}_{\ge 0}` trucks;
:math:`d_{mbp} \ge 0` direct units; :math:`u_{mp} \ge 0` units sold at the farm gate.

.. math::

    \max \; & \sum_{b,p} v_{bp} \Big(\sum_h g_{hbp} + \sum_m d_{mbp}\Big)
              + \sum_{m,p} v^0_{mp} u_{mp}
              - \sum_{m,h,p} (\alpha_p \delta_{mh} + \eta_{hp}) f_{mhp}
              - \sum_{m,b,p} \beta_p \delta_{mb} d_{mbp}
              - \sum_{h,b} \tau_{hb} t_{hb} - \sum_h F_h y_h \\
    \text{s.t.} \; & \sum_h f_{mhp} + \sum_b d_{mbp} + u_{mp} = s_{mp}
        & \forall m, p \quad \text{(supply)} \\
    & \sum_m f_{mhp} = \sum_b g_{hbp} & \forall h, p \quad \text{(hub balance)} \\
    & \sum_{m,p} w_p f_{mhp} \le Q_h y_h & \forall h \quad \text{(hub capacity)} \\
    & f_{mhp} \le \min(s_{mp}, Q_h / w_p)\, y_h & \forall m, h, p \quad \text{(linking)} \\
    & \sum_p w_p g_{hbp} \le L_{hb} t_{hb} & \forall h, b \quad \text{(trucks cover loads)} \\
    & t_{hb} \le \lceil Q_h / L_{hb} \rceil y_h & \forall h, b \\
    & \sum_h g_{hbp} + \sum_m d_{mbp} \le K_{bp} & \forall b, p \quad \text{(intake)} \\
    & y_h = 1 & \forall h \in E

The fixed cost of an existing hub is counted (it is paid each period) but cannot change the
plan. Direct arcs whose net value :math:`v_{bp} - \beta_p \delta_{mb}` does not beat the farm
gate are left out (selling at the farm gate is always at least as good). The model is always
feasible: everything can be sold at the farm gate.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
import pulp

from optimizer.models.hubs.data import HubData, HubPlan, HubResult, value_of_plan
from optimizer.solver import SolverName, solve_milp

__all__ = ["solve_hubs"]


def solve_hubs(
    data: HubData,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-4,
    solver: SolverName = "auto",
) -> HubResult:
    """Open hubs, route produce and size truckloads to maximise the net value.

    Parameters
    ----------
    data
        The network (see :class:`HubData`).
    time_limit
        Seconds the solver may run.
    gap
        Relative gap at which a plan is accepted as optimal.
    solver
        ``"auto"``, ``"highs"`` or ``"cbc"``.
    """
    start = time.perf_counter()
    model = _HubModel(data)
    build_s = time.perf_counter() - start
    report = solve_milp(model.problem, solver=solver, time_limit=time_limit, gap=gap)
    runtime = build_s + report.runtime_s
    if not report.status.has_solution:
        return HubResult(
            report.status, math.nan, math.nan, math.inf, runtime,
            solver=report.solver, message=report.message,
        )  # fmt: skip
    plan = model.read()
    return HubResult(
        status=report.status,
        objective=report.objective,
        bound=report.bound,
        gap=report.gap,
        runtime_s=runtime,
        value=value_of_plan(data, plan),
        solver=report.solver,
        message=report.message,
        **_plan_fields(data, plan),
    )


class _HubModel:
    """The MILP of the module docstring, with its variables kept for reading the plan."""

    def __init__(self, data: HubData) -> None:
        """Write the MILP: one formulation, written as maths (the module docstring's rows)."""
        self.data = data
        problem = pulp.LpProblem("hubs", pulp.LpMaximize)
        self.problem = problem
        n_p = data.n_products
        w = data.weight_kg
        supply = data.supply
        cap = data.hub_capacity_kg
        self.y = [
            problem.add_variable(f"y_{h}", 1 if data.existing_mask[h] else 0, 1, cat="Integer")
            for h in range(data.n_hubs)
        ]
        objective: list[tuple[pulp.LpVariable, float]] = [
            (self.y[h], -float(data.hub_fixed_cost[h])) for h in range(data.n_hubs)
        ]
        supply_terms: dict[tuple[int, int], list[tuple[pulp.LpVariable, float]]] = {}
        hub_in: dict[tuple[int, int], list[tuple[pulp.LpVariable, float]]] = {}
        hub_kg: dict[int, list[tuple[pulp.LpVariable, float]]] = {}
        intake: dict[tuple[int, int], list[tuple[pulp.LpVariable, float]]] = {}
        rows: list[pulp.LpConstraint] = []

        # first mile f[m,h,p]
        self.f: dict[tuple[int, int, int], pulp.LpVariable] = {}
        reach = np.isfinite(data.distance_member_hub_km) & (cap[None, :] > 0)
        for m, h, p in np.argwhere(reach[:, :, None] & (supply[:, None, :] > 0)):
            var = problem.add_variable(f"f_{m}_{h}_{p}", 0)
            self.f[m, h, p] = var
            unit = (
                data.first_mile_cost_per_unit_km[p] * data.distance_member_hub_km[m, h]
                + data.handling_per_unit[h, p]
            )
            objective.append((var, -float(unit)))
            supply_terms.setdefault((m, p), []).append((var, 1.0))
            hub_in.setdefault((h, p), []).append((var, 1.0))
            hub_kg.setdefault(h, []).append((var, float(w[p])))
            bound = min(float(supply[m, p]), float(cap[h] / w[p]))
            rows.append(_row([(var, 1.0), (self.y[h], -bound)], pulp.LpConstraintLE, 0.0))

        # corridors g[h,b,p] and trucks t[h,b]
        self.g: dict[tuple[int, int, int], pulp.LpVariable] = {}
        self.t: dict[tuple[int, int], pulp.LpVariable] = {}
        hubs_used = {h for (h, _p) in hub_in}
        total_kg = float((supply * w[None, :]).sum())
        for h, b in np.argwhere(np.isfinite(data.distance_hub_buyer_km)):
            if h not in hubs_used:
                continue
            payload = float(data.truck_payload_kg[h, b])
            most = math.ceil(min(float(cap[h]), total_kg) / payload - 1e-9)
            truck = problem.add_variable(f"t_{h}_{b}", 0, most, cat="Integer")
            self.t[h, b] = truck
            objective.append((truck, -float(data.truck_cost[h, b])))
            load: list[tuple[pulp.LpVariable, float]] = [(truck, -payload)]
            for p in range(n_p):
                if (h, p) not in hub_in or data.intake_units[b, p] <= 0:
                    continue
                var = problem.add_variable(f"g_{h}_{b}_{p}", 0)
                self.g[h, b, p] = var
                objective.append((var, float(data.value_per_unit[b, p])))
                hub_in[h, p].append((var, -1.0))
                intake.setdefault((b, p), []).append((var, 1.0))
                load.append((var, float(w[p])))
            rows.append(_row(load, pulp.LpConstraintLE, 0.0))
            rows.append(_row([(truck, 1.0), (self.y[h], -float(most))], pulp.LpConstraintLE, 0.0))

        # direct d[m,b,p], only where it beats the farm gate
        self.d: dict[tuple[int, int, int], pulp.LpVariable] = {}
        net = (
            data.value_per_unit[None, :, :]
            - data.direct_cost_per_unit_km[None, None, :]
            * data.distance_member_buyer_km[:, :, None]
        )
        worth = (
            np.isfinite(net)
            & (net > data.farm_gate_per_unit[:, None, :])
            & (supply[:, None, :] > 0)
            & (data.intake_units[None, :, :] > 0)
        )
        for m, b, p in np.argwhere(worth):
            var = problem.add_variable(f"d_{m}_{b}_{p}", 0)
            self.d[m, b, p] = var
            objective.append((var, float(net[m, b, p])))
            supply_terms.setdefault((m, p), []).append((var, 1.0))
            intake.setdefault((b, p), []).append((var, 1.0))

        # farm gate u[m,p]
        self.u: dict[tuple[int, int], pulp.LpVariable] = {}
        for m, p in np.argwhere(supply > 0):
            var = problem.add_variable(f"u_{m}_{p}", 0)
            self.u[m, p] = var
            objective.append((var, float(data.farm_gate_per_unit[m, p])))
            supply_terms.setdefault((m, p), []).append((var, 1.0))

        problem += pulp.LpAffineExpression(objective)
        for (m, p), terms in supply_terms.items():
            rows.append(_row(terms, pulp.LpConstraintEQ, float(supply[m, p])))
        for terms in hub_in.values():
            rows.append(_row(terms, pulp.LpConstraintEQ, 0.0))
        for h, terms in hub_kg.items():
            rows.append(_row([*terms, (self.y[h], -float(cap[h]))], pulp.LpConstraintLE, 0.0))
        for (b, p), terms in intake.items():
            if math.isfinite(data.intake_units[b, p]):
                rows.append(_row(terms, pulp.LpConstraintLE, float(data.intake_units[b, p])))
        for row in rows:
            problem += row

    def read(self) -> HubPlan:
        """The plan as dense arrays ``f, g, d, u, t, open_mask`` (tiny values cleaned)."""
        data = self.data
        n_m, n_h, n_b, n_p = data.n_members, data.n_hubs, data.n_buyers, data.n_products
        f = _values(self.f, (n_m, n_h, n_p))
        g = _values(self.g, (n_h, n_b, n_p))
        d = _values(self.d, (n_m, n_b, n_p))
        u = _values(self.u, (n_m, n_p))
        t = np.round(_values(self.t, (n_h, n_b)))
        open_mask = np.array([(v.varValue or 0.0) > 0.5 for v in self.y], dtype=bool)
        return HubPlan(f, g, d, u, t, open_mask)


def _row(terms: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float) -> pulp.LpConstraint:
    return pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs)


def _values(variables: dict[Any, pulp.LpVariable], shape: tuple[int, ...]) -> np.ndarray:
    array = np.zeros(shape)
    for index, var in variables.items():
        array[index] = var.varValue or 0.0
    array[np.abs(array) < 1e-9] = 0.0
    return array


def _plan_fields(data: HubData, plan: HubPlan) -> dict[str, Any]:
    f, g, t = plan.f, plan.g, plan.t
    first_mile = _table(f, ["member", "hub", "product"])
    first_mile["weight_kg"] = (
        first_mile["quantity"] * data.weight_kg[first_mile["product"].to_numpy(dtype=int)]
    )
    load_kg = np.einsum("hbp,p->hb", g, data.weight_kg)
    h_idx, b_idx = np.nonzero(t > 0)
    corridors = pd.DataFrame(
        {
            "hub": h_idx.astype(int),
            "buyer": b_idx.astype(int),
            "trucks": t[h_idx, b_idx].astype(int),
            "load_kg": load_kg[h_idx, b_idx],
            "payload_kg": data.truck_payload_kg[h_idx, b_idx],
            "truck_cost": t[h_idx, b_idx] * data.truck_cost[h_idx, b_idx],
        }
    )
    return {
        "open_hubs": tuple(int(h) for h in np.flatnonzero(plan.open_mask)),
        "first_mile": first_mile,
        "corridors": corridors,
        "corridor_flows": _table(g, ["hub", "buyer", "product"]),
        "direct": _table(plan.d, ["member", "buyer", "product"]),
        "unsold": _table(plan.u, ["member", "product"]),
    }


def _table(array: np.ndarray, index_names: list[str]) -> pd.DataFrame:
    where = np.nonzero(array > 0)
    table = pd.DataFrame(
        {name: idx.astype(int) for name, idx in zip(index_names, where, strict=True)}
    )
    table["quantity"] = array[where]
    return table
