"""The credit instance and plan: :class:`CreditData`, :class:`CreditResult`.

Money is in the scenario's currency (``CreditData.currency``); months are ``YYYY-MM`` and
arrays run over the season's months in order. The formulation is in
:mod:`optimizer.models.credit.model`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.results import Status

__all__ = [
    "BALANCE_COLUMNS",
    "MEMBER_COLUMNS",
    "PAYMENT_COLUMNS",
    "SCHEDULE_COLUMNS",
    "CreditData",
    "CreditResult",
]

_SOURCE = "credit data"

#: each member's month: inputs received, cash paid up front, delivery value, withheld, paid out,
#: debt at the month's end (all in the currency)
SCHEDULE_COLUMNS = [
    "member_id",
    "member",
    "month",
    "inputs",
    "cash_paid",
    "delivery_value",
    "withheld",
    "paid_out",
    "debt",
]
#: each order's settlement: list value settled in a month, cash paid for it, how, its cost
PAYMENT_COLUMNS = [
    "supplier",
    "product",
    "month_needed",
    "month_paid",
    "value",
    "paid",
    "how",
    "cost",
]
#: the cooperative's month: money out and in, credit drawn (end of month), cash (end of month)
BALANCE_COLUMNS = [
    "month",
    "paid_to_suppliers",
    "received_from_members",
    "interest_and_fees",
    "credit_balance",
    "cash",
]
#: each member over the season
MEMBER_COLUMNS = [
    "member_id",
    "member",
    "inputs",
    "cash_paid",
    "withheld",
    "unpaid",
    "debt_months",
    "financing_cost",
    "reason",
]


def _array(name: str, value: object, shape: tuple[int, ...], *, nonnegative: bool = True) -> None:
    array = np.asarray(value, dtype=float)
    if array.shape != shape:
        raise InputError(
            Problem(_SOURCE, f"an array of shape {shape}", column=name, value=f"{array.shape}")
        )
    if not np.isfinite(array).all() or (nonnegative and (array < 0).any()):
        raise InputError(
            Problem(_SOURCE, "finite numbers of 0 or more", column=name, value="a bad entry")
        )


@dataclass(frozen=True, eq=False)
class CreditData:
    """One season of input credit, validated on creation.

    Parameters
    ----------
    months
        The season's months in order, ``T`` of them.
    member_ids, member_names
        The members, ``n`` of them.
    inputs
        Value of the inputs each member receives in each month, ``(n, T)``: its debt grows by it.
    cash
        Cash each member pays up front in each month, ``(n, T)``.
    produce, max_share
        The produce delivered (names, ``P``) and the largest share of a delivery's value that may
        be withheld, ``(P,)``.
    deliveries
        Value of each member's deliveries of each produce in each month, ``(n, P, T)``.
    order_supplier, order_product, order_month
        The orders: supplier and product names, month needed (index into ``months``), ``O``.
    order_value
        List value of each order, ``(O,)``.
    discount, net_months, credit_months, credit_rate
        Each order's terms: cash discount when paid in its month, months until the full value is
        due, months of supplier credit after that, and its annual rate; ``(O,)`` each.
    line_ids, line_lenders
        The credit lines, ``L`` of them.
    limit, annual_rate, fee, commitment_rate, term
        Each line's limit, annual rate, one-off fee (when used), annual rate on its unused
        limit, and term in months from the season's start; ``(L,)`` each.
    """

    months: tuple[str, ...]
    member_ids: tuple[str, ...]
    member_names: tuple[str, ...]
    inputs: np.ndarray
    cash: np.ndarray
    produce: tuple[str, ...]
    max_share: np.ndarray
    deliveries: np.ndarray
    order_supplier: tuple[str, ...] = ()
    order_product: tuple[str, ...] = ()
    order_month: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    order_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    discount: np.ndarray = field(default_factory=lambda: np.zeros(0))
    net_months: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    credit_months: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    credit_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    line_ids: tuple[str, ...] = ()
    line_lenders: tuple[str, ...] = ()
    limit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    annual_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fee: np.ndarray = field(default_factory=lambda: np.zeros(0))
    commitment_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    term: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    currency: str = "EUR"

    def __post_init__(self) -> None:
        t, n, p = len(self.months), len(self.member_ids), len(self.produce)
        o, k = len(self.order_supplier), len(self.line_ids)
        if t == 0:
            raise InputError(Problem(_SOURCE, "at least one month in the season", column="months"))
        if len(self.member_names) != n:
            raise InputError(Problem(_SOURCE, f"{n} member names", column="member_names"))
        _array("inputs", self.inputs, (n, t))
        _array("cash", self.cash, (n, t))
        _array("max_share", self.max_share, (p,))
        _array("deliveries", self.deliveries, (n, p, t))
        if (np.asarray(self.max_share) > 1).any():
            raise InputError(Problem(_SOURCE, "shares of at most 1", column="max_share"))
        if len(self.order_product) != o:
            raise InputError(Problem(_SOURCE, f"{o} order products", column="order_product"))
        for name in ("order_value", "discount", "credit_rate"):
            _array(name, getattr(self, name), (o,))
        for name in ("order_month", "net_months", "credit_months"):
            _array(name, getattr(self, name), (o,))
        months = np.asarray(self.order_month)
        if o and (months.max() >= t or (months != np.round(months)).any()):
            raise InputError(
                Problem(_SOURCE, f"month indexes from 0 to {t - 1}", column="order_month")
            )
        if (np.asarray(self.discount) >= 1).any():
            raise InputError(Problem(_SOURCE, "discounts below 1", column="discount"))
        if len(self.line_lenders) != k:
            raise InputError(Problem(_SOURCE, f"{k} lenders", column="line_lenders"))
        for name in ("limit", "annual_rate", "fee", "commitment_rate", "term"):
            _array(name, getattr(self, name), (k,))

    @property
    def n_months(self) -> int:
        return len(self.months)

    @property
    def capacity(self) -> np.ndarray:
        """The most that may be withheld from each member in each month, ``(n, T)``."""
        return np.einsum("npt,p->nt", np.asarray(self.deliveries, float), self.max_share)

    @property
    def delivery_value(self) -> np.ndarray:
        """Each member's deliveries in each month, all produce, ``(n, T)``."""
        return np.asarray(self.deliveries, float).sum(axis=1)

    @property
    def owed_before(self) -> np.ndarray:
        """What each member owes at each month's end before any withholding, ``(n, T)``:
        inputs received less cash paid, so far. Withholding never takes a member below
        ``min(0, owed_before)`` (a member who paid ahead is not charged for others)."""
        return np.cumsum(np.asarray(self.inputs, float) - np.asarray(self.cash, float), axis=1)

    def settle_factor(self, order: int, month: int) -> float:
        """Cash paid per unit of list value when ``order`` is settled in ``month`` (index);
        ``nan`` outside the order's window."""
        lag = month - int(self.order_month[order])
        net = int(self.net_months[order])
        if lag < 0 or lag > net + int(self.credit_months[order]):
            return math.nan
        if lag == 0:
            return 1.0 - float(self.discount[order])
        if lag <= net:
            return 1.0
        return 1.0 + float(self.credit_rate[order]) / 12 * (lag - net)

    def line_last_month(self, line: int) -> int:
        """The last month index at whose end line ``line`` may still be drawn (−1: none)."""
        return min(int(self.term[line]), self.n_months) - 2


@dataclass(frozen=True)
class CreditResult:
    """A financing plan for one season and what it costs.

    ``objective`` is the financing cost (interest, fees and supplier credit, less cash
    discounts), ``bound`` the best proven lower bound on it. The decisions are ``settled``
    (list value of each order settled in each month, ``(O, T)``), ``line_balance`` (each
    credit line's balance at each month's end, ``(L, T)``), ``line_used`` (``(L,)``) and
    ``withheld`` (``(n, T)``). Tables: ``schedule`` (:data:`SCHEDULE_COLUMNS`), ``payments``
    (:data:`PAYMENT_COLUMNS`), ``balance`` (:data:`BALANCE_COLUMNS`), ``lines`` (line,
    lender, month, balance, interest, fees) and ``members`` (:data:`MEMBER_COLUMNS`;
    ``unpaid`` > 0 with its ``reason`` for a member who cannot repay within the season).
    """

    status: Status
    objective: float
    bound: float
    gap: float
    runtime_s: float
    settled: np.ndarray
    line_balance: np.ndarray
    line_used: np.ndarray
    withheld: np.ndarray
    schedule: pd.DataFrame
    payments: pd.DataFrame
    balance: pd.DataFrame
    lines: pd.DataFrame
    members: pd.DataFrame
    unpaid_reasons: tuple[str, ...] = ()
    solver: str = ""
    message: str = ""
    currency: str = "EUR"

    @property
    def unpaid_total(self) -> float:
        """Debt left at the season's end by members who cannot repay."""
        if self.members.empty:
            return 0.0
        return float(self.members["unpaid"].sum())

    def summary(self) -> str:
        if not self.status.has_solution:
            text = f"credit: {self.status.value} ({self.solver}, {self.runtime_s:.2f} s)"
            return f"{text} {self.message}".strip()
        gap = f", gap {self.gap:.3%}" if self.gap > 5e-6 else ""
        c = self.currency
        drawn = float(self.balance["credit_balance"].max()) if not self.balance.empty else 0.0
        lines = [
            f"credit: financing cost {self.objective:,.2f} {c}{gap} "
            f"(interest, fees and supplier credit, less cash discounts); "
            f"{self.status.value} ({self.solver}, {self.runtime_s:.2f} s)",
            f"inputs financed {self.members['inputs'].sum():,.0f} {c}; "
            f"withheld from deliveries {self.members['withheld'].sum():,.0f} {c}; "
            f"largest credit balance {drawn:,.0f} {c}",
            "the financing cost is shared among members in proportion to the credit they "
            "used (debt × months) and settled at the season's end",
        ]
        if self.unpaid_reasons:
            lines.append(
                f"{len(self.unpaid_reasons)} members cannot repay within the season "
                f"({self.unpaid_total:,.0f} {c} left):"
            )
            lines += [f"  {reason}" for reason in self.unpaid_reasons[:10]]
            if len(self.unpaid_reasons) > 10:
                lines.append(f"  ... and {len(self.unpaid_reasons) - 10} more (table members)")
        else:
            lines.append("every member repays within the season")
        return "\n".join(lines)
