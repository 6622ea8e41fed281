"""The market-allocation input (:class:`MarketData`), its feasible pairs and its result type.

Private to :mod:`optimizer.models.markets.solve`, which documents the model and re-exports these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.results import Status

__all__ = ["FARM_GATE", "FLOW_COLUMNS", "MarketData", "MarketResult", "Pairs"]

FARM_GATE = "farm_gate"
FLOW_COLUMNS = [
    "member",
    "product",
    "buyer",
    "quantity",
    "price",
    "handling_fee",
    "transport_cost_per_unit",
    "net_per_unit",
    "revenue",
    "distance_km",
    "time_h",
]
_SOURCE = "market data"
_FloatArray = np.ndarray


@dataclass(frozen=True)
class Pairs:
    """The member → buyer pairs that may carry a product, one entry per (m, b, p).

    A pair is feasible when the member supplies p, the buyer takes p (``max_intake > 0``),
    the buyer is reachable (finite distance and time) and the travel time is within p's
    perishability. Entries are sorted by product, then member, then buyer.
    """

    member: np.ndarray
    buyer: np.ndarray
    product: np.ndarray
    transport: _FloatArray  # transport cost per unit
    net: _FloatArray  # price - handling - transport, per unit
    margin: _FloatArray  # net - farm-gate price, per unit

    @property
    def size(self) -> int:
        return int(self.member.size)


@dataclass(frozen=True, eq=False)
class MarketData:
    """Everything the market-allocation model needs, as arrays (m members, b buyers, p products).

    Parameters
    ----------
    supply
        ``[m, p]`` quantity each member has to sell per period, in the product's unit (0 = none).
    farm_gate_price
        ``[m, p]`` price per unit a middleman pays at the farm gate (the always-open fallback).
    price
        ``[b, p]`` price per unit the buyer pays (ignored where ``max_intake`` is 0).
    min_contract
        ``[b, p]`` minimum quantity per period: the buyer takes either 0 or at least this much.
    max_intake
        ``[b, p]`` maximum quantity the buyer takes per period; 0 = the buyer does not buy p.
    handling_fee
        ``[b, p]`` fee per unit the buyer deducts.
    weight_per_unit_kg
        ``[p]`` weight of one unit.
    perishability_h
        ``[p]`` maximum hours from farm to buyer; ``nan`` = not perishable.
    distance_km
        ``[m, b]`` road distance member → buyer; ``inf`` where the buyer cannot be reached.
    time_h
        ``[m, b]`` travel time member → buyer; ``inf`` where the buyer cannot be reached.
    transport_cost_per_unit_km
        ``[p]`` transport cost of one unit over one km of the one-way distance. The scenario
        adapter fills it with the one transport rule of :mod:`optimizer.models.transport`
        (``docs/transport-cost.md``: farm vehicle, empty return, load factor).
    member_ids, buyer_ids, product_ids
        Names used in the result tables; ``m0, m1, …`` (``b…``, ``p…``) when not given.
    """

    supply: _FloatArray
    farm_gate_price: _FloatArray
    price: _FloatArray
    min_contract: _FloatArray
    max_intake: _FloatArray
    handling_fee: _FloatArray
    weight_per_unit_kg: _FloatArray
    perishability_h: _FloatArray
    distance_km: _FloatArray
    time_h: _FloatArray
    transport_cost_per_unit_km: _FloatArray
    member_ids: tuple[str, ...] = ()
    buyer_ids: tuple[str, ...] = ()
    product_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        arrays = {}
        for name in _ARRAY_FIELDS:
            try:
                value = np.array(getattr(self, name), dtype=float)
            except (TypeError, ValueError):
                problems.append(Problem(_SOURCE, "an array of numbers", column=name))
                value = np.zeros(0)
            value.setflags(write=False)
            arrays[name] = value
        if problems:
            raise InputError(problems)
        n_m, n_p = _shape2(arrays["supply"], "supply", problems)
        n_b = arrays["price"].shape[0] if arrays["price"].ndim == 2 else 0
        expected_shapes = {
            "supply": (n_m, n_p),
            "farm_gate_price": (n_m, n_p),
            "price": (n_b, n_p),
            "min_contract": (n_b, n_p),
            "max_intake": (n_b, n_p),
            "handling_fee": (n_b, n_p),
            "weight_per_unit_kg": (n_p,),
            "perishability_h": (n_p,),
            "distance_km": (n_m, n_b),
            "time_h": (n_m, n_b),
            "transport_cost_per_unit_km": (n_p,),
        }
        for name, shape in expected_shapes.items():
            if arrays[name].shape != shape:
                problems.append(
                    Problem(_SOURCE, f"shape {shape}", column=name, value=arrays[name].shape)
                )
        if problems:
            raise InputError(problems)
        _value_problems(arrays, problems)
        ids = {
            name: self._names(name, count, prefix, problems)
            for name, count, prefix in (
                ("member_ids", n_m, "m"),
                ("buyer_ids", n_b, "b"),
                ("product_ids", n_p, "p"),
            )
        }
        if problems:
            raise InputError(problems)
        for name, array in arrays.items():
            object.__setattr__(self, name, array)
        for name, names in ids.items():
            object.__setattr__(self, name, names)

    def _names(
        self, name: str, count: int, prefix: str, problems: list[Problem]
    ) -> tuple[str, ...]:
        """The ``count`` names given in field ``name``, or ``prefix0, prefix1, ...``."""
        given = tuple(str(v) for v in getattr(self, name))
        if not given:
            given = tuple(f"{prefix}{i}" for i in range(count))
        if len(given) != count:
            problems.append(Problem(_SOURCE, f"{count} names", column=name, value=len(given)))
        elif len(set(given)) != count:
            problems.append(Problem(_SOURCE, "distinct names", column=name))
        elif FARM_GATE in given and name == "buyer_ids":
            problems.append(Problem(_SOURCE, f"no buyer named {FARM_GATE!r}", column=name))
        return given

    @property
    def n_members(self) -> int:
        return int(self.supply.shape[0])

    @property
    def n_buyers(self) -> int:
        return int(self.price.shape[0])

    @property
    def n_products(self) -> int:
        return int(self.supply.shape[1])

    @property
    def farm_gate_income(self) -> float:
        """Income if every member sold everything at the farm gate (the status quo)."""
        return float(np.sum(self.supply * self.farm_gate_price))

    def transport_cost_per_unit(self) -> _FloatArray:
        """``[m, b, p]`` transport cost per unit (``inf`` where unreachable)."""
        return self.distance_km[:, :, None] * self.transport_cost_per_unit_km[None, None, :]

    def allowed(self) -> np.ndarray:
        """``[m, b, p]`` True where member m may deliver product p to buyer b (any supply)."""
        reach = np.isfinite(self.distance_km) & np.isfinite(self.time_h)
        limit = np.where(np.isnan(self.perishability_h), np.inf, self.perishability_h)
        in_time = self.time_h[:, :, None] <= limit[None, None, :]
        buys = self.max_intake[None, :, :] > 0
        return reach[:, :, None] & in_time & buys

    @cached_property
    def pairs(self) -> Pairs:
        """The feasible member → buyer pairs for products the member supplies."""
        limit = np.where(np.isnan(self.perishability_h), np.inf, self.perishability_h)
        reach = np.isfinite(self.distance_km) & np.isfinite(self.time_h)
        parts: list[tuple[np.ndarray, ...]] = []
        for p in range(self.n_products):
            mask = reach & (self.time_h <= limit[p])
            mask &= self.supply[:, p, None] > 0
            mask &= self.max_intake[None, :, p] > 0
            parts.append(np.nonzero(mask))
        member = np.concatenate([m for m, _ in parts]).astype(np.int64)
        buyer = np.concatenate([b for _, b in parts]).astype(np.int64)
        product = np.concatenate(
            [np.full(m.size, p, dtype=np.int64) for p, (m, _) in enumerate(parts)]
        )
        transport = self.distance_km[member, buyer] * self.transport_cost_per_unit_km[product]
        net = self.price[buyer, product] - self.handling_fee[buyer, product] - transport
        margin = net - self.farm_gate_price[member, product]
        return Pairs(member, buyer, product, transport, net, margin)

    def stranded(self) -> list[tuple[str, str]]:
        """(member, product) with supply but no buyer they may deliver to."""
        has_pair = np.zeros(self.supply.shape, dtype=bool)
        pairs = self.pairs
        has_pair[pairs.member, pairs.product] = True
        m_idx, p_idx = np.nonzero((self.supply > 0) & ~has_pair)
        return [
            (self.member_ids[m], self.product_ids[p]) for m, p in zip(m_idx, p_idx, strict=True)
        ]


_ARRAY_FIELDS = (
    "supply",
    "farm_gate_price",
    "price",
    "min_contract",
    "max_intake",
    "handling_fee",
    "weight_per_unit_kg",
    "perishability_h",
    "distance_km",
    "time_h",
    "transport_cost_per_unit_km",
)


def _shape2(value: np.ndarray, name: str, problems: list[Problem]) -> tuple[int, int]:
    if value.ndim != 2:
        problems.append(Problem(_SOURCE, "a 2-d array [members, products]", column=name))
        return 0, 0
    return int(value.shape[0]), int(value.shape[1])


def _check_values(
    value: np.ndarray, name: str, expected: str, problems: list[Problem], *, bad: np.ndarray
) -> None:
    if np.any(bad):
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        first = value[where]
        count = int(np.count_nonzero(bad))
        more = f" ({count} entries, first at index {where})" if value.ndim else ""
        problems.append(Problem(_SOURCE, expected + more, column=name, value=float(first)))


@dataclass(frozen=True, eq=False)
class MarketResult:
    """A market plan: who sells how much of what to whom, and what it earns.

    ``objective`` is the members' total income (buyers' net prices × quantities, plus what
    is left sold at the farm gate); ``bound`` the best proven upper bound on it; ``gap`` the
    relative difference. With contracts or one buyer per member the bound is the MILP's
    over its candidate pairs, and ``relaxation_bound`` the contract-free, split-allowed
    optimum (a bound always valid for the whole problem). ``flows`` has one row per
    member × product × buyer (or ``"farm_gate"``) with a positive quantity, columns
    :data:`FLOW_COLUMNS`.
    """

    status: Status
    objective: float
    bound: float
    gap: float
    runtime_s: float
    flows: pd.DataFrame
    single_buyer: bool = False
    solver: str = ""
    message: str = ""
    farm_gate_income: float = math.nan
    stranded: tuple[tuple[str, str], ...] = field(default=())
    relaxation_bound: float = math.nan

    @property
    def gain(self) -> float:
        """Income above selling everything at the farm gate."""
        return self.objective - self.farm_gate_income

    def summary(self) -> str:
        if not self.status.has_solution:
            text = f"markets: {self.status.value} ({self.solver}, {self.runtime_s:.2f} s)"
            return f"{text} {self.message}".strip()
        gap = f", gap {self.gap:.3%}" if self.gap > 5e-6 else ""  # 0.000 % not shown
        sold = self.flows[self.flows["buyer"] != FARM_GATE]
        lines = [
            f"markets: {self.status.value}{gap} ({self.solver}, {self.runtime_s:.2f} s)",
            f"  income {self.objective:,.2f} vs {self.farm_gate_income:,.2f} at the farm gate"
            f" (+{self.gain:,.2f})",
            f"  {sold['member'].nunique()} members sell to {sold['buyer'].nunique()} buyers",
        ]
        if self.stranded:
            names = ", ".join(f"{m}/{p}" for m, p in self.stranded[:10])
            more = f" and {len(self.stranded) - 10} more" if len(self.stranded) > 10 else ""
            lines.append(f"  no reachable buyer (farm gate only): {names}{more}")
        return "\n".join(lines)


def _value_problems(arrays: dict[str, np.ndarray], problems: list[Problem]) -> None:
    """Every array's values in range: no negative prices or quantities, positive weights,
    positive or NaN perishability, inf in the same places in distances and times, and
    minimum contracts within maximum intakes."""
    for name in (
        "supply",
        "farm_gate_price",
        "price",
        "min_contract",
        "max_intake",
        "handling_fee",
        "transport_cost_per_unit_km",
    ):
        _check_values(
            arrays[name],
            name,
            "finite numbers ≥ 0",
            problems,
            bad=~np.isfinite(arrays[name]) | (arrays[name] < 0),
        )
    weight = arrays["weight_per_unit_kg"]
    _check_values(
        weight,
        "weight_per_unit_kg",
        "finite numbers > 0",
        problems,
        bad=~np.isfinite(weight) | (weight <= 0),
    )
    perish = arrays["perishability_h"]
    _check_values(
        perish,
        "perishability_h",
        "hours > 0 or nan (not perishable)",
        problems,
        bad=~np.isnan(perish) & ~(perish > 0),
    )
    for name in ("distance_km", "time_h"):
        value = arrays[name]
        _check_values(
            value,
            name,
            "numbers ≥ 0 (inf = unreachable)",
            problems,
            bad=np.isnan(value) | (value < 0),
        )
    reach_d, reach_t = np.isfinite(arrays["distance_km"]), np.isfinite(arrays["time_h"])
    if reach_d.shape == reach_t.shape and np.any(reach_d != reach_t):
        problems.append(Problem(_SOURCE, "inf in the same places as distance_km", column="time_h"))
    over = arrays["min_contract"] > arrays["max_intake"]
    _check_values(
        arrays["min_contract"], "min_contract", "min_contract ≤ max_intake", problems, bad=over
    )
