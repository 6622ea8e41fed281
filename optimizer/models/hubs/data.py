"""The hub network instance and plan: :class:`HubData`, :class:`HubValue`, :class:`HubResult`.

Also :class:`HubPlan`, a plan as dense arrays, and :func:`value_of_plan`, its revenue and costs
recomputed from the data and the decisions alone (used by the solve and by the check). The
formulation is in :mod:`optimizer.models.hubs.solve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import cast

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.results import Status

__all__ = ["HubData", "HubPlan", "HubResult", "HubValue", "value_of_plan"]

_SOURCE = "hub data"


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

    def summary(self, currency: str = "") -> str:
        """The plan in one line; its money in ``currency`` when given."""
        if not self.status.has_solution:
            return f"hubs: {self.status.value}. {self.message}".strip()
        gap = "" if self.status is Status.OPTIMAL else f", gap {self.gap:.3%}"
        v = self.value

        def money(x: float) -> str:
            return f"{x:,.2f} {currency}" if currency else f"{x:,.2f}"

        return (
            f"hubs: {self.status.value}, net value {money(self.objective)}{gap}; "
            f"{len(self.open_hubs)} hubs open, {int(self.corridors['trucks'].sum())} trucks on "
            f"{len(self.corridors)} corridors; revenue {money(v.revenue + v.farm_gate_revenue)}, "
            f"first mile {money(v.first_mile_cost)}, handling {money(v.handling_cost)}, "
            f"trucks {money(v.truck_cost)}, hubs {money(v.hub_fixed_cost)}, "
            f"direct {money(v.direct_cost)}; {self.runtime_s:.2f} s ({self.solver})"
        )


@dataclass(frozen=True, eq=False)
class HubPlan:
    """A plan as dense arrays: ``f (M,H,P)``, ``g (H,B,P)``, ``d (M,B,P)``, ``u (M,P)``,
    ``t (H,B)`` and the open hubs ``open_mask (H,)``."""

    f: np.ndarray
    g: np.ndarray
    d: np.ndarray
    u: np.ndarray
    t: np.ndarray
    open_mask: np.ndarray


def value_of_plan(data: HubData, plan: HubPlan) -> HubValue:
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
