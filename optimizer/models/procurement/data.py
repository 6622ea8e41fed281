"""The numeric input of the pooled-procurement model, checked once when it is built."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.errors import InputError, Problem

__all__ = ["ProcurementData"]

_FILE = "procurement data"


def _frozen(values: Any, dtype: Any = float) -> np.ndarray:
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ProcurementData:
    """Members' needs, suppliers' offers and delivery costs, as plain arrays.

    Shapes use ``M`` members, ``P`` products, ``S`` suppliers, ``B`` brackets (the most any
    offer has; unused brackets are ``nan``) and ``D`` drop points.

    Parameters
    ----------
    demand
        ``(M, P)`` units each member needs per period (0 = none).
    local_price
        ``(M, P)`` price per unit when the member buys alone at the local dealer; it must be
        positive wherever the demand is.
    offered
        ``(S, P)`` True where the supplier sells the product.
    thresholds
        ``(S, P, B)`` quantity from which each bracket's price applies; the first is 0, the
        rest rise; ``nan`` past an offer's last bracket.
    unit_price
        ``(S, P, B)`` price per unit of each bracket; not rising.
    incremental
        ``(S, P)`` True for incremental discounts (each bracket's price for the units inside
        it), False for all-units discounts (the reached bracket's price for every unit).
    min_order, capacity
        ``(S, P)`` smallest order the supplier accepts (when ordering at all) and the most it
        can deliver per period.
    weight_kg
        ``(P,)`` weight of one unit.
    drop_point
        ``(M,)`` index of the drop point (hub or farm gate) each member's pooled goods go to.
    distance_km
        ``(S, D)`` road distance from each supplier to each drop point; ``inf`` when there is
        no road.
    payload_kg, cost_per_trip, cost_per_km
        ``(S,)`` the supplier's truck: payload, fixed cost per truckload, cost per km.
    fuel_price_factor
        Multiplies every per-km cost.
    """

    demand: np.ndarray
    local_price: np.ndarray
    offered: np.ndarray
    thresholds: np.ndarray
    unit_price: np.ndarray
    incremental: np.ndarray
    min_order: np.ndarray
    capacity: np.ndarray
    weight_kg: np.ndarray
    drop_point: np.ndarray
    distance_km: np.ndarray
    payload_kg: np.ndarray
    cost_per_trip: np.ndarray
    cost_per_km: np.ndarray
    fuel_price_factor: float = 1.0
    member_ids: tuple[str, ...] = field(default=())
    product_ids: tuple[str, ...] = field(default=())
    supplier_ids: tuple[str, ...] = field(default=())
    drop_point_ids: tuple[str, ...] = field(default=())
    currency: str = "EUR"

    def __post_init__(self) -> None:
        put = object.__setattr__
        for name in (
            "demand",
            "local_price",
            "thresholds",
            "unit_price",
            "min_order",
            "capacity",
            "weight_kg",
            "distance_km",
            "payload_kg",
            "cost_per_trip",
            "cost_per_km",
        ):
            put(self, name, _frozen(getattr(self, name)))
        put(self, "offered", _frozen(self.offered, bool))
        put(self, "incremental", _frozen(self.incremental, bool))
        put(self, "drop_point", _frozen(self.drop_point, np.int64))
        if self.thresholds.ndim == 2:  # one bracket per offer
            put(self, "thresholds", _frozen(self.thresholds[:, :, None]))
        if self.unit_price.ndim == 2:
            put(self, "unit_price", _frozen(self.unit_price[:, :, None]))
        problems = self._shape_problems()
        if problems:
            raise InputError(problems)
        m, p, s, d = self.n_members, self.n_products, self.n_suppliers, self.n_drop_points
        for name, size, prefix in (
            ("member_ids", m, "M"),
            ("product_ids", p, "P"),
            ("supplier_ids", s, "S"),
            ("drop_point_ids", d, "D"),
        ):
            ids = tuple(str(i) for i in getattr(self, name))
            if not ids:
                ids = tuple(f"{prefix}{i}" for i in range(size))
            put(self, name, ids)
        problems = self._id_problems() + self._value_problems()
        if problems:
            raise InputError(problems)

    # sizes -------------------------------------------------------------------------------
    @property
    def n_members(self) -> int:
        return int(self.demand.shape[0])

    @property
    def n_products(self) -> int:
        return int(self.demand.shape[1])

    @property
    def n_suppliers(self) -> int:
        return int(self.offered.shape[0])

    @property
    def n_drop_points(self) -> int:
        return int(self.distance_km.shape[1])

    @property
    def n_brackets(self) -> np.ndarray:
        """``(S, P)`` number of brackets of each offer (0 where nothing is offered)."""
        return np.where(self.offered, np.sum(~np.isnan(self.thresholds), axis=2), 0)

    @property
    def trip_cost(self) -> np.ndarray:
        """``(S, D)`` cost of one truckload from each supplier to each drop point (``inf``
        where there is no road, even at no cost per km: 0 x inf would be nan)."""
        road = np.isfinite(self.distance_km)
        km = np.where(road, self.distance_km, 0.0)
        per_km = self.fuel_price_factor * self.cost_per_km[:, None] * km
        return np.where(road, self.cost_per_trip[:, None] + per_km, np.inf)

    def member_index(self, member: str) -> int:
        return self.member_ids.index(member)

    def members_only(self, members: np.ndarray) -> ProcurementData:
        """The same offers and roads for the members ``members`` (a mask or indices) alone."""
        return dataclasses.replace(
            self,
            demand=np.asarray(self.demand)[members],
            local_price=np.asarray(self.local_price)[members],
            drop_point=np.asarray(self.drop_point)[members],
            member_ids=tuple(np.asarray(self.member_ids)[members].tolist()),
        )

    # checks ------------------------------------------------------------------------------
    def _shape_problems(self) -> list[Problem]:
        problems: list[Problem] = []

        def want(name: str, shape: tuple[int, ...]) -> None:
            got = getattr(self, name).shape
            if got != shape:
                problems.append(Problem(_FILE, f"shape {shape}", column=name, value=got))

        if self.demand.ndim != 2 or self.offered.ndim != 2 or self.distance_km.ndim != 2:
            return [Problem(_FILE, "2-d demand (M, P), offered (S, P), distance_km (S, D)")]
        m, p = self.demand.shape
        s = self.offered.shape[0]
        d = self.distance_km.shape[1]
        want("local_price", (m, p))
        want("offered", (s, p))
        want("incremental", (s, p))
        want("min_order", (s, p))
        want("capacity", (s, p))
        want("weight_kg", (p,))
        want("drop_point", (m,))
        want("distance_km", (s, d))
        for name in ("payload_kg", "cost_per_trip", "cost_per_km"):
            want(name, (s,))
        if self.thresholds.ndim != 3 or self.thresholds.shape[:2] != (s, p):
            problems.append(
                Problem(
                    _FILE, f"shape ({s}, {p}, B)", column="thresholds", value=self.thresholds.shape
                )
            )
        elif self.unit_price.shape != self.thresholds.shape:
            want("unit_price", self.thresholds.shape)
        return problems

    def _id_problems(self) -> list[Problem]:
        problems = []
        sizes = (self.n_members, self.n_products, self.n_suppliers, self.n_drop_points)
        for name, size in zip(
            ("member_ids", "product_ids", "supplier_ids", "drop_point_ids"), sizes, strict=True
        ):
            ids = getattr(self, name)
            if len(ids) != size:
                problems.append(Problem(_FILE, f"{size} ids", column=name, value=len(ids)))
            elif len(set(ids)) != len(ids):
                problems.append(Problem(_FILE, "unique ids", column=name))
        return problems

    def _value_problems(self) -> list[Problem]:
        """Out-of-range values of members, products, suppliers and roads; then offers."""
        problems: list[Problem] = []

        def bad(column: str, mask: np.ndarray, expected: str, label: Any) -> None:
            for index in zip(*np.nonzero(mask), strict=True):
                where = label(*index) if callable(label) else label
                problems.append(Problem(_FILE, f"{expected} ({where})", column=column))

        def mp(m: int, p: int) -> str:
            return f"member {self.member_ids[m]}, product {self.product_ids[p]}"

        def one(ids: tuple[str, ...], kind: str) -> Any:
            return lambda i: f"{kind} {ids[i]}"

        bad("demand", ~(self.demand >= 0), "a quantity >= 0", mp)
        needs = self.demand > 0
        bad(
            "local_price",
            needs & ~(self.local_price > 0) | needs & ~np.isfinite(self.local_price),
            "a finite local price > 0 where there is demand",
            mp,
        )
        bad(
            "weight_kg",
            ~((self.weight_kg > 0) & np.isfinite(self.weight_kg)),
            "a weight > 0 per unit",
            one(self.product_ids, "product"),
        )
        bad(
            "drop_point",
            (self.drop_point < 0) | (self.drop_point >= self.n_drop_points),
            f"a drop point index in 0..{self.n_drop_points - 1}",
            one(self.member_ids, "member"),
        )
        bad(
            "distance_km",
            np.isnan(self.distance_km) | (self.distance_km < 0),
            "a distance >= 0 (inf when there is no road)",
            "supplier x drop point",
        )
        bad(
            "payload_kg",
            ~((self.payload_kg > 0) & np.isfinite(self.payload_kg)),
            "a payload > 0",
            one(self.supplier_ids, "supplier"),
        )
        for name in ("cost_per_trip", "cost_per_km"):
            arr = getattr(self, name)
            bad(
                name,
                ~((arr >= 0) & np.isfinite(arr)),
                "a cost >= 0",
                one(self.supplier_ids, "supplier"),
            )
        if not (np.isfinite(self.fuel_price_factor) and self.fuel_price_factor >= 0):
            problems.append(
                Problem(
                    _FILE, "a factor >= 0", column="fuel_price_factor", value=self.fuel_price_factor
                )
            )
        return problems + self._offer_problems()

    def _offer_problems(self) -> list[Problem]:
        """Out-of-range capacities, minimum orders, thresholds and prices of the offers."""
        problems: list[Problem] = []

        def bad(column: str, mask: np.ndarray, expected: str, label: Any) -> None:
            for index in zip(*np.nonzero(mask), strict=True):
                where = label(*index) if callable(label) else label
                problems.append(Problem(_FILE, f"{expected} ({where})", column=column))

        def sp(s: int, p: int, *_: int) -> str:
            return f"supplier {self.supplier_ids[s]}, product {self.product_ids[p]}"

        off = self.offered
        bad("capacity", off & ~(self.capacity > 0), "a capacity > 0", sp)
        bad(
            "min_order",
            off & ~((self.min_order >= 0) & (self.min_order <= self.capacity)),
            "a minimum order between 0 and the capacity",
            sp,
        )
        t, c = self.thresholds, self.unit_price
        has = ~np.isnan(t)
        bad(
            "thresholds",
            off & ~(has[:, :, 0] & (np.nan_to_num(t[:, :, 0], nan=1) == 0)),
            "a first bracket from 0",
            sp,
        )
        gaps = has[:, :, 1:] & ~has[:, :, :-1]
        bad("thresholds", off & gaps.any(axis=2), "brackets without gaps", sp)
        with np.errstate(invalid="ignore"):
            rising = ~(np.diff(t, axis=2) > 0) & has[:, :, 1:]
            cheaper = (np.diff(c, axis=2) > 1e-12) & has[:, :, 1:]
            price_ok = ~(has & ~((c > 0) & np.isfinite(c)))
        bad("thresholds", off & rising.any(axis=2), "thresholds that rise", sp)
        bad("unit_price", off & cheaper.any(axis=2), "prices that do not rise", sp)
        bad("unit_price", off & ~price_ok.all(axis=2), "prices > 0", sp)
        return problems
