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
    & \sum_m f_{mhp} \le \min\Big(\sum_{m:\, \delta_{mh} < \infty} s_{mp}, Q_h / w_p\Big)\, y_h
        & \forall h, p \quad \text{(linking)} \\
    & \sum_p w_p g_{hbp} \le L_{hb} t_{hb} & \forall h, b \quad \text{(trucks cover loads)} \\
    & t_{hb} \le \lceil Q_h / L_{hb} \rceil y_h & \forall h, b \\
    & \sum_h g_{hbp} + \sum_m d_{mbp} \le K_{bp} & \forall b, p \quad \text{(intake)} \\
    & y_h = 1 & \forall h \in E

With :math:`y` whole the linking rows follow from the supply and capacity rows; they are
there for the LP relaxation (a hub carrying any flow pays its fixed cost in proportion to
its share). One per hub and product, not per member: rows :math:`f_{mhp} \le s_{mp} y_h`
tighten the relaxation a little more but made the root LP about three times slower at
15,000 members, for the same optimum.

The MILP is written as arrays by :mod:`optimizer.models.hubs._milp`, where members at one
place (equal distances to every hub and buyer) share their flow variables, an exact
aggregation (proved there), and solved by :func:`~optimizer.solver_matrix.solve_matrix`.

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

from optimizer.models.hubs._milp import hub_milp
from optimizer.models.hubs.data import HubData, HubPlan, HubResult, value_of_plan
from optimizer.solver import SolverName
from optimizer.solver_matrix import solve_matrix, to_pulp

__all__ = ["solve_hubs"]

# HiGHS' feasibility jump runs before the root LP, whose rounding then finds the plan kept
# (ladder at 15,000 members, grand coalition: 2.5-2.6 s CPU without it against 3.0-3.3 s
# with it, the same plan)
_HIGHS = {"mip_heuristic_run_feasibility_jump": False}


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
    began = time.perf_counter()
    model = hub_milp(data)
    build_s = time.perf_counter() - began
    report, x = solve_matrix(
        model.milp, solver=solver, time_limit=time_limit, gap=gap, highs_options=_HIGHS
    )
    runtime = build_s + report.runtime_s
    if x is None or not report.status.has_solution:
        return HubResult(
            report.status, math.nan, math.nan, math.inf, runtime,
            solver=report.solver, message=report.message,
        )  # fmt: skip
    plan = model.plan(x)
    return HubResult(
        status=report.status,
        objective=report.objective,
        bound=report.bound,
        gap=report.gap,
        runtime_s=runtime,
        value=value_of_plan(data, plan),
        solver=report.solver,
        message=report.message,
        **plan_fields(data, plan),
    )


class _HubModel:
    """The MILP as a PuLP model, for models that join copies of it (robust hubs): ``y``
    holds the hub variables (a caller may replace them by shared ones), ``read`` the plan."""

    def __init__(self, data: HubData) -> None:
        self.model = hub_milp(data)
        self.problem, self.columns = to_pulp(self.model.milp, "hubs")
        self.y = [self.columns[j] for j in self.model.y]

    def read(self) -> HubPlan:
        """The plan as dense arrays ``f, g, d, u, t, open_mask`` (tiny values cleaned)."""
        x = np.array([v.varValue or 0.0 for v in self.columns])
        x[self.model.y] = [v.varValue or 0.0 for v in self.y]
        return self.model.plan(x)


def plan_fields(data: HubData, plan: HubPlan) -> dict[str, Any]:
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
