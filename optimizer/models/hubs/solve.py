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
from dataclasses import asdict, dataclass, field, fields
from typing import Any, cast

import numpy as np
import pandas as pd
import pulp

from optimizer.errors import InputError, Problem
from optimizer.results import Check, Status
from optimizer.solver import SolverName, solve

__all__ = ["HubData", "HubResult", "HubValue", "check_hubs", "solve_hubs"]

_SOURCE = "hub data"
_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class HubData:
    """A two-echelon hub network, validated on creation (arrays are copied and frozen).

    Shapes: ``M`` members, ``H`` hubs, ``B`` buyers, ``P`` products. Scalars and smaller arrays
    are broadcast where a per-hub, per-corridor or per-product value is allowed. Distances are
    in km; ``inf`` means no road.

    Parameters
    ----------
    supply
        Units of each product each member has to sell, ``(M, P)``.
    weight_kg
        Weight of one unit of each product, ``(P,)``.
    value_per_unit
        What a buyer pays per unit, net of its handling fee, ``(B, P)``.
    distance_member_hub_km, distance_member_buyer_km, distance_hub_buyer_km
        Road distances ``(M, H)``, ``(M, B)``, ``(H, B)``.
    first_mile_cost_per_unit_km, direct_cost_per_unit_km
        Transport cost per unit and km, member→hub and member→buyer, ``(P,)``.
    hub_fixed_cost, hub_capacity_kg
        Cost of running each hub for the period and the weight it can handle, ``(H,)``.
    truck_payload_kg, truck_fixed_cost, truck_cost_per_km
        Trunk trucks per corridor, ``(H, B)`` (or one number for all).
    hub_handling_cost_per_unit
        Handling at the hub, ``(H, P)``; zero when omitted.
    hub_existing
        Hubs already open, ``(H,)``; none when omitted.
    intake_max
        Most units each buyer takes, ``(B, P)``; unlimited (``inf``) when omitted.
    farm_gate_value
        Value per unit of produce not shipped, ``(M, P)``; zero when omitted.
    """

    supply: np.ndarray
    weight_kg: np.ndarray
    value_per_unit: np.ndarray
    distance_member_hub_km: np.ndarray
    distance_member_buyer_km: np.ndarray
    distance_hub_buyer_km: np.ndarray
    first_mile_cost_per_unit_km: np.ndarray
    direct_cost_per_unit_km: np.ndarray
    hub_fixed_cost: np.ndarray
    hub_capacity_kg: np.ndarray
    truck_payload_kg: np.ndarray
    truck_fixed_cost: np.ndarray
    truck_cost_per_km: np.ndarray
    hub_handling_cost_per_unit: np.ndarray | float = 0.0
    hub_existing: np.ndarray | bool = False
    intake_max: np.ndarray | float = math.inf
    farm_gate_value: np.ndarray | float = 0.0

    def __post_init__(self) -> None:
        supply = np.asarray(self.supply, dtype=float)
        if supply.ndim != 2:
            raise InputError(
                Problem(_SOURCE, "a (members, products) table", column="supply", value=supply.shape)
            )
        n_m, n_p = supply.shape
        n_h = np.asarray(self.hub_fixed_cost).size
        value = np.asarray(self.value_per_unit)
        if value.ndim != 2:
            raise InputError(
                Problem(
                    _SOURCE,
                    "a (buyers, products) table",
                    column="value_per_unit",
                    value=value.shape,
                )
            )
        n_b = value.shape[0]
        shapes = {
            "supply": (n_m, n_p),
            "weight_kg": (n_p,),
            "value_per_unit": (n_b, n_p),
            "distance_member_hub_km": (n_m, n_h),
            "distance_member_buyer_km": (n_m, n_b),
            "distance_hub_buyer_km": (n_h, n_b),
            "first_mile_cost_per_unit_km": (n_p,),
            "direct_cost_per_unit_km": (n_p,),
            "hub_fixed_cost": (n_h,),
            "hub_capacity_kg": (n_h,),
            "truck_payload_kg": (n_h, n_b),
            "truck_fixed_cost": (n_h, n_b),
            "truck_cost_per_km": (n_h, n_b),
            "hub_handling_cost_per_unit": (n_h, n_p),
            "hub_existing": (n_h,),
            "intake_max": (n_b, n_p),
            "farm_gate_value": (n_m, n_p),
        }
        may_be_inf = {
            "distance_member_hub_km",
            "distance_member_buyer_km",
            "distance_hub_buyer_km",
            "intake_max",
        }
        may_be_negative = {"value_per_unit", "farm_gate_value"}
        for item in fields(self):
            name = item.name
            dtype = bool if name == "hub_existing" else float
            array = _broadcast(name, getattr(self, name), shapes[name], dtype)
            if dtype is float:
                if np.isnan(array).any() or (name not in may_be_inf and np.isinf(array).any()):
                    want = (
                        "numbers or inf (no road / no limit)" if name in may_be_inf else "numbers"
                    )
                    raise InputError(Problem(_SOURCE, want, column=name, value="NaN or inf"))
                if name not in may_be_negative and (array < 0).any():
                    bad = float(array[array < 0].flat[0])
                    raise InputError(Problem(_SOURCE, "numbers ≥ 0", column=name, value=bad))
            array.setflags(write=False)
            object.__setattr__(self, name, array)
        if (self.weight_kg <= 0).any():
            raise InputError(
                Problem(_SOURCE, "a positive weight per unit", column="weight_kg", value=0)
            )
        if (self.truck_payload_kg <= 0).any():
            raise InputError(
                Problem(_SOURCE, "a positive truck payload", column="truck_payload_kg", value=0)
            )

    # The optional fields, typed as the arrays they are after validation.
    @property
    def handling_per_unit(self) -> np.ndarray:
        return cast(np.ndarray, self.hub_handling_cost_per_unit)

    @property
    def existing_mask(self) -> np.ndarray:
        return cast(np.ndarray, self.hub_existing)

    @property
    def intake_units(self) -> np.ndarray:
        return cast(np.ndarray, self.intake_max)

    @property
    def farm_gate_per_unit(self) -> np.ndarray:
        return cast(np.ndarray, self.farm_gate_value)

    @property
    def n_members(self) -> int:
        return int(self.supply.shape[0])

    @property
    def n_products(self) -> int:
        return int(self.supply.shape[1])

    @property
    def n_hubs(self) -> int:
        return int(self.hub_fixed_cost.size)

    @property
    def n_buyers(self) -> int:
        return int(self.value_per_unit.shape[0])

    @property
    def truck_cost(self) -> np.ndarray:
        """Cost of one truck on each corridor, ``(H, B)`` (``inf`` where there is no road)."""
        return np.asarray(
            self.truck_fixed_cost + self.truck_cost_per_km * self.distance_hub_buyer_km
        )


@dataclass(frozen=True)
class HubValue:
    """Where the value goes: revenue at buyers and the farm gate, and each cost."""

    revenue: float = 0.0
    farm_gate_revenue: float = 0.0
    first_mile_cost: float = 0.0
    handling_cost: float = 0.0
    truck_cost: float = 0.0
    hub_fixed_cost: float = 0.0
    direct_cost: float = 0.0

    @property
    def total_cost(self) -> float:
        return (
            self.first_mile_cost
            + self.handling_cost
            + self.truck_cost
            + self.hub_fixed_cost
            + self.direct_cost
        )

    @property
    def net_value(self) -> float:
        return self.revenue + self.farm_gate_revenue - self.total_cost


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


@dataclass(frozen=True, eq=False)
class HubResult:
    """A hub network plan. Indices are 0-based positions in :class:`HubData`'s arrays.

    ``objective`` is the net value (revenue − costs, the maximised quantity) and ``bound`` the
    best upper bound on it. Tables:

    - ``first_mile``: member, hub, product, quantity, weight_kg
    - ``corridors``: hub, buyer, trucks, load_kg, payload_kg, truck_cost
    - ``corridor_flows``: hub, buyer, product, quantity
    - ``direct``: member, buyer, product, quantity
    - ``unsold``: member, product, quantity (sold at the farm gate)
    """

    status: Status
    objective: float
    bound: float
    gap: float
    runtime_s: float
    open_hubs: tuple[int, ...] = ()
    first_mile: pd.DataFrame = field(
        default_factory=lambda: _empty(["member", "hub", "product", "quantity", "weight_kg"])
    )
    corridors: pd.DataFrame = field(
        default_factory=lambda: _empty(
            ["hub", "buyer", "trucks", "load_kg", "payload_kg", "truck_cost"]
        )
    )
    corridor_flows: pd.DataFrame = field(
        default_factory=lambda: _empty(["hub", "buyer", "product", "quantity"])
    )
    direct: pd.DataFrame = field(
        default_factory=lambda: _empty(["member", "buyer", "product", "quantity"])
    )
    unsold: pd.DataFrame = field(default_factory=lambda: _empty(["member", "product", "quantity"]))
    value: HubValue = field(default_factory=HubValue)
    solver: str = ""
    message: str = ""

    def summary(self) -> str:
        if not self.status.has_solution:
            return f"hubs: {self.status.value}. {self.message}".strip()
        gap = "" if self.status is Status.OPTIMAL else f", gap {self.gap:.3%}"
        v = self.value
        return (
            f"hubs: {self.status.value}, net value {self.objective:,.2f}{gap}; "
            f"{len(self.open_hubs)} hubs open, {int(self.corridors['trucks'].sum())} trucks on "
            f"{len(self.corridors)} corridors; revenue {v.revenue + v.farm_gate_revenue:,.2f}, "
            f"first mile {v.first_mile_cost:,.2f}, handling {v.handling_cost:,.2f}, "
            f"trucks {v.truck_cost:,.2f}, hubs {v.hub_fixed_cost:,.2f}, "
            f"direct {v.direct_cost:,.2f}; {self.runtime_s:.2f} s ({self.solver})"
        )


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
    report = solve(model.problem, solver=solver, time_limit=time_limit, gap=gap)
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
        value=_value_of_plan(data, plan),
        solver=report.solver,
        message=report.message,
        **_plan_fields(data, plan),
    )


def check_hubs(data: HubData, result: HubResult) -> Check:
    """Verify a hub plan from its decisions alone and recompute its net value.

    Checks supply conservation (shipped + unsold = supply), flow balance at every hub,
    flows only through open hubs and over existing roads, existing hubs open, hub capacities,
    whole trucks covering every corridor's load, buyers' intake, and that the recomputed net
    value matches the reported objective.

    Returns
    -------
    Check
        ``cost`` is the recomputed net value (the maximised objective); ``figures`` holds its
        parts, named as the fields of :class:`HubValue`.
    """
    problems: list[str] = []
    n_m, n_h, n_b, n_p = data.n_members, data.n_hubs, data.n_buyers, data.n_products
    f = _dense(result.first_mile, ["member", "hub", "product"], (n_m, n_h, n_p))
    g = _dense(result.corridor_flows, ["hub", "buyer", "product"], (n_h, n_b, n_p))
    d = _dense(result.direct, ["member", "buyer", "product"], (n_m, n_b, n_p))
    u = _dense(result.unsold, ["member", "product"], (n_m, n_p))
    t = _dense(result.corridors, ["hub", "buyer"], (n_h, n_b), column="trucks")
    open_mask = np.zeros(n_h, dtype=bool)
    open_mask[list(result.open_hubs)] = True

    for name, array in (("first-mile", f), ("corridor", g), ("direct", d), ("unsold", u)):
        if (array < -_TOL).any():
            problems.append(f"negative {name} quantity")
    if (np.abs(t - np.round(t)) > 1e-6).any() or (t < 0).any():
        problems.append("truck counts must be whole and non-negative")
    tol = 1e-6 * max(1.0, float(data.supply.max(initial=0.0)))
    balance = f.sum(axis=1) + d.sum(axis=1) + u - data.supply
    for m, p in np.argwhere(np.abs(balance) > tol):
        problems.append(
            f"member {m} product {p}: shipped + unsold differs from supply by {balance[m, p]:g}"
        )
    hub_gap = f.sum(axis=0) - g.sum(axis=1)
    for h, p in np.argwhere(np.abs(hub_gap) > tol):
        problems.append(f"hub {h} product {p}: in and out differ by {hub_gap[h, p]:g}")
    used = (f.sum(axis=(0, 2)) > _TOL) | (g.sum(axis=(1, 2)) > _TOL) | (t.sum(axis=1) > 0)
    for h in np.flatnonzero(used & ~open_mask):
        problems.append(f"hub {h} is used but not open")
    for h in np.flatnonzero(data.existing_mask & ~open_mask):
        problems.append(f"existing hub {h} is not open")
    load_in_kg = np.einsum("mhp,p->h", f, data.weight_kg)
    for h in np.flatnonzero(load_in_kg > data.hub_capacity_kg * (1 + 1e-9) + tol):
        problems.append(
            f"hub {h} handles {load_in_kg[h]:g} kg, capacity {data.hub_capacity_kg[h]:g} kg"
        )
    load_kg = np.einsum("hbp,p->hb", g, data.weight_kg)
    over = load_kg > data.truck_payload_kg * t * (1 + 1e-9) + tol
    for h, b in np.argwhere(over):
        problems.append(
            f"corridor hub {h} → buyer {b}: load {load_kg[h, b]:g} kg needs more than "
            f"{int(t[h, b])} trucks of {data.truck_payload_kg[h, b]:g} kg"
        )
    received = g.sum(axis=0) + d.sum(axis=0)
    for b, p in np.argwhere(received > data.intake_units * (1 + 1e-9) + tol):
        problems.append(
            f"buyer {b} product {p}: receives {received[b, p]:g}, "
            f"intake {data.intake_units[b, p]:g}"
        )
    for name, flows, dist in (
        ("member→hub", f.sum(axis=2), data.distance_member_hub_km),
        ("member→buyer", d.sum(axis=2), data.distance_member_buyer_km),
        ("hub→buyer", g.sum(axis=2) + t, data.distance_hub_buyer_km),
    ):
        if ((flows > _TOL) & ~np.isfinite(dist)).any():
            problems.append(f"a {name} flow uses a road that does not exist")
    value = _value_of_plan(data, _Plan(f, g, d, u, t, open_mask))
    cost = value.net_value
    claimed = result.objective
    if math.isfinite(claimed) and abs(cost - claimed) > 1e-6 * max(1.0, abs(cost)):
        problems.append(
            f"recomputed net value {cost:,.6f} differs from the reported {claimed:,.6f}"
        )
    return Check(tuple(problems), cost, {**asdict(value), "total_cost": value.total_cost})


@dataclass(frozen=True, eq=False)
class _Plan:
    """A plan as dense arrays: ``f (M,H,P)``, ``g (H,B,P)``, ``d (M,B,P)``, ``u (M,P)``,
    ``t (H,B)`` and the open hubs ``open_mask (H,)``."""

    f: np.ndarray
    g: np.ndarray
    d: np.ndarray
    u: np.ndarray
    t: np.ndarray
    open_mask: np.ndarray


def _value_of_plan(data: HubData, plan: _Plan) -> HubValue:
    """Revenue and costs of a plan, from the data and the decisions alone."""
    f, g, d, u, t, open_mask = plan.f, plan.g, plan.d, plan.u, plan.t, plan.open_mask

    def finite(x: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(x), x, 0.0)

    first_mile = np.einsum("mhp,mh,p->", f, finite(data.distance_member_hub_km),
                           data.first_mile_cost_per_unit_km)  # fmt: skip
    direct = np.einsum("mbp,mb,p->", d, finite(data.distance_member_buyer_km),
                       data.direct_cost_per_unit_km)  # fmt: skip
    return HubValue(
        revenue=float(np.einsum("hbp,bp->", g, data.value_per_unit))
        + float(np.einsum("mbp,bp->", d, data.value_per_unit)),
        farm_gate_revenue=float((u * data.farm_gate_per_unit).sum()),
        first_mile_cost=float(first_mile),
        handling_cost=float(np.einsum("mhp,hp->", f, data.handling_per_unit)),
        truck_cost=float((t * finite(data.truck_cost)).sum()),
        hub_fixed_cost=float(data.hub_fixed_cost[open_mask].sum()),
        direct_cost=float(direct),
    )


class _HubModel:
    """The MILP of the module docstring, with its variables kept for reading the plan."""

    def __init__(self, data: HubData) -> None:
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

    def read(self) -> _Plan:
        """The plan as dense arrays ``f, g, d, u, t, open_mask`` (tiny values cleaned)."""
        data = self.data
        n_m, n_h, n_b, n_p = data.n_members, data.n_hubs, data.n_buyers, data.n_products
        f = _values(self.f, (n_m, n_h, n_p))
        g = _values(self.g, (n_h, n_b, n_p))
        d = _values(self.d, (n_m, n_b, n_p))
        u = _values(self.u, (n_m, n_p))
        t = np.round(_values(self.t, (n_h, n_b)))
        open_mask = np.array([(v.varValue or 0.0) > 0.5 for v in self.y], dtype=bool)
        return _Plan(f, g, d, u, t, open_mask)


def _row(terms: list[tuple[pulp.LpVariable, float]], sense: int, rhs: float) -> pulp.LpConstraint:
    return pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs)


def _values(variables: dict[Any, pulp.LpVariable], shape: tuple[int, ...]) -> np.ndarray:
    array = np.zeros(shape)
    for index, var in variables.items():
        array[index] = var.varValue or 0.0
    array[np.abs(array) < 1e-9] = 0.0
    return array


def _plan_fields(data: HubData, plan: _Plan) -> dict[str, Any]:
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


def _dense(
    table: pd.DataFrame, index_names: list[str], shape: tuple[int, ...], column: str = "quantity"
) -> np.ndarray:
    array = np.zeros(shape)
    if len(table):
        index = tuple(table[name].to_numpy(dtype=int) for name in index_names)
        np.add.at(array, index, table[column].to_numpy(dtype=float))
    return array


def _broadcast(name: str, value: object, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    array: np.ndarray = np.asarray(value, dtype=dtype)
    try:
        return np.broadcast_to(array, shape).copy()
    except ValueError:
        raise InputError(
            Problem(
                _SOURCE,
                f"an array of shape {shape} (or one that broadcasts to it)",
                column=name,
                value=f"shape {array.shape}",
            )
        ) from None
