"""What a credit plan says in tables and words: schedules, balances, who cannot repay and why.

:func:`repayable` is the pre-check the model relies on (the most each member's deliveries can
repay, in time); :func:`unpaid_reasons` says in words why a member cannot repay;
:func:`financing_cost` prices a plan's decisions; :func:`credit_tables` turns them into the
result's tables.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.models.credit.data import (
    BALANCE_COLUMNS,
    MEMBER_COLUMNS,
    PAYMENT_COLUMNS,
    SCHEDULE_COLUMNS,
    CreditData,
)

__all__ = ["credit_tables", "financing_cost", "repayable", "unpaid_reasons"]

Plan = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# debts below this (currency units) count as repaid
CENT = 0.005
_LINE_COLUMNS = ["line", "lender", "month", "balance", "interest", "fees"]


def repayable(data: CreditData, *, rounded: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The most each member's deliveries can repay within the season, and what is left.

    Withholding in month t is at most ``cap[i,t]``, and in total by month t never more than
    the member owes then or later (``U[i,t]``, see :mod:`optimizer.models.credit.model`);
    taking as much as allowed each month is the most possible. Returns ``(most, shortfall)``,
    both ``(n,)``: ``shortfall = max(0, owed at the end − most)``, below half a cent counted
    as 0 when ``rounded`` (as the members are told); the model allows it unrounded (asked to
    repay what the deliveries cannot, a member 0.003 short made the whole season infeasible).
    """
    owed = data.owed_before
    ceiling = np.minimum.accumulate(np.maximum(owed, 0.0)[:, ::-1], axis=1)[:, ::-1]
    capacity = data.capacity
    most = np.zeros(len(data.member_ids))
    for t in range(data.n_months):
        most = np.minimum(most + capacity[:, t], ceiling[:, t])
    shortfall = np.maximum(owed[:, -1] - most, 0.0)
    if rounded:
        shortfall[shortfall < CENT] = 0.0
    return most, shortfall


def unpaid_reasons(data: CreditData) -> dict[int, str]:
    """Why each member who cannot repay within the season cannot, in words, by member index.

    For example ``Dairy farm Alt Rehse 7 delivers 3,200 EUR of milk by December 2026, owes
    4,100 EUR, at most 30 % = 960 EUR may be withheld``.
    """
    from optimizer.scenario.credit_checks import month_name

    most, shortfall = repayable(data)
    owed = data.owed_before[:, -1]
    capacity_total = data.capacity.sum(axis=1)
    delivered = np.asarray(data.deliveries, float).sum(axis=2)
    c = data.currency
    by = month_name(data.months[-1])
    reasons: dict[int, str] = {}
    for i in np.nonzero(shortfall > 0)[0]:
        sold = [
            (name, delivered[i, p], data.max_share[p])
            for p, name in enumerate(data.produce)
            if delivered[i, p] > 0
        ]
        if not sold:
            text = (
                f"{data.member_names[i]} sells nothing to the buyers by {by} (what it sells "
                f"goes to the farm gate), owes {owed[i]:,.0f} {c}: nothing may be withheld"
            )
        else:
            values = " and ".join(f"{v:,.0f} {c} of {p}" for p, v, _ in sold)
            shares = " + ".join(f"{100 * s:g} %" for _, _, s in sold)
            text = (
                f"{data.member_names[i]} delivers {values} by {by}, owes {owed[i]:,.0f} {c}, "
                f"at most {shares} = {capacity_total[i]:,.0f} {c} may be withheld"
            )
        if most[i] < capacity_total[i] - CENT and most[i] < owed[i] - CENT:
            text += f" ({most[i]:,.0f} {c} of it after the inputs are received)"
        reasons[int(i)] = text + f": {shortfall[i]:,.0f} {c} left unpaid"
    return reasons


def financing_cost(
    data: CreditData, settled: np.ndarray, line_balance: np.ndarray, line_used: np.ndarray
) -> float:
    """Interest, fees and supplier credit less cash discounts, of these decisions."""
    cost = 0.0
    for o, t in zip(*np.nonzero(settled), strict=True):
        cost += (data.settle_factor(int(o), int(t)) - 1.0) * settled[o, t]
    for line in range(len(data.line_ids)):
        open_months = min(int(data.term[line]), data.n_months)
        unused = data.limit[line] * line_used[line] * open_months - line_balance[line].sum()
        cost += data.annual_rate[line] / 12 * line_balance[line].sum()
        cost += data.commitment_rate[line] / 12 * unused + data.fee[line] * line_used[line]
    return float(cost)


def credit_tables(
    data: CreditData, plan: Plan | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The result's tables: ``schedule``, ``payments``, ``balance``, ``lines``, ``members``
    (empty tables with their columns when there is no plan)."""
    if plan is None:
        return (
            pd.DataFrame(columns=SCHEDULE_COLUMNS),
            pd.DataFrame(columns=PAYMENT_COLUMNS),
            pd.DataFrame(columns=BALANCE_COLUMNS),
            pd.DataFrame(columns=_LINE_COLUMNS),
            pd.DataFrame(columns=MEMBER_COLUMNS),
        )
    settled, line_balance, line_used, withheld = plan
    debt = data.owed_before - np.cumsum(withheld, axis=1)
    debt[np.abs(debt) < CENT] = 0.0
    schedule = _schedule(data, withheld, debt)
    payments = _payments(data, settled)
    lines = _lines(data, line_balance, line_used)
    balance = _balance(data, payments, withheld, lines, line_balance)
    cost = financing_cost(data, settled, line_balance, line_used)
    members = _members(data, withheld, debt, cost)
    return schedule, payments, balance, lines, members


def _schedule(data: CreditData, withheld: np.ndarray, debt: np.ndarray) -> pd.DataFrame:
    n, t_count = withheld.shape
    delivered = data.delivery_value
    return pd.DataFrame(
        {
            "member_id": np.repeat(data.member_ids, t_count),
            "member": np.repeat(data.member_names, t_count),
            "month": np.tile(data.months, n),
            "inputs": np.asarray(data.inputs, float).ravel(),
            "cash_paid": np.asarray(data.cash, float).ravel(),
            "delivery_value": delivered.ravel(),
            "withheld": withheld.ravel(),
            "paid_out": (delivered - withheld).ravel(),
            "debt": debt.ravel(),
        },
        columns=SCHEDULE_COLUMNS,
    )


def _payments(data: CreditData, settled: np.ndarray) -> pd.DataFrame:
    rows = []
    for o, t in zip(*np.nonzero(settled > CENT), strict=True):
        lag = int(t) - int(data.order_month[o])
        factor = data.settle_factor(int(o), int(t))
        if lag == 0 and data.discount[o] > 0:
            how = f"cash with {100 * data.discount[o]:g} % discount"
        elif lag <= data.net_months[o]:
            how = "at the net term"
        else:
            extra = lag - int(data.net_months[o])
            how = f"on supplier credit ({extra} month{'s' if extra > 1 else ''})"
        value = float(settled[o, t])
        rows.append(
            {
                "supplier": data.order_supplier[o],
                "product": data.order_product[o],
                "month_needed": data.months[int(data.order_month[o])],
                "month_paid": data.months[int(t)],
                "value": value,
                "paid": value * factor,
                "how": how,
                "cost": value * (factor - 1.0),
            }
        )
    return pd.DataFrame(rows, columns=PAYMENT_COLUMNS)


def _lines(data: CreditData, line_balance: np.ndarray, line_used: np.ndarray) -> pd.DataFrame:
    rows = []
    for line in range(len(data.line_ids)):
        rate = data.annual_rate[line] / 12
        commit = data.commitment_rate[line] / 12
        open_months = min(int(data.term[line]), data.n_months)
        for t, month in enumerate(data.months):
            before = line_balance[line, t - 1] if t > 0 else 0.0
            fees = data.fee[line] * line_used[line] if t == 0 else 0.0
            if t < open_months:
                fees += commit * (data.limit[line] * line_used[line] - line_balance[line, t])
            rows.append(
                {
                    "line": data.line_ids[line],
                    "lender": data.line_lenders[line],
                    "month": month,
                    "balance": float(line_balance[line, t]),
                    "interest": float(rate * before),
                    "fees": float(fees),
                }
            )
    return pd.DataFrame(rows, columns=_LINE_COLUMNS)


def _balance(
    data: CreditData,
    payments: pd.DataFrame,
    withheld: np.ndarray,
    lines: pd.DataFrame,
    line_balance: np.ndarray,
) -> pd.DataFrame:
    paid = payments.groupby("month_paid")["paid"].sum() if not payments.empty else pd.Series()
    charges = lines.assign(c=lines["interest"] + lines["fees"]).groupby("month")["c"].sum()
    received = withheld.sum(axis=0) + np.asarray(data.cash, float).sum(axis=0)
    rows = []
    cash = 0.0
    for t, month in enumerate(data.months):
        out = float(paid.get(month, 0.0))
        charge = float(charges.get(month, 0.0)) if not lines.empty else 0.0
        drawn = float(line_balance[:, t].sum()) if line_balance.size else 0.0
        before = float(line_balance[:, t - 1].sum()) if t > 0 and line_balance.size else 0.0
        cash += received[t] - out - charge + drawn - before
        rows.append(
            {
                "month": month,
                "paid_to_suppliers": out,
                "received_from_members": float(received[t]),
                "interest_and_fees": charge,
                "credit_balance": drawn,
                "cash": 0.0 if abs(cash) < CENT else cash,
            }
        )
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)


def _members(data: CreditData, withheld: np.ndarray, debt: np.ndarray, cost: float) -> pd.DataFrame:
    used = np.maximum(debt, 0.0).sum(axis=1)
    total = used.sum()
    share = used / total if total > 0 else np.zeros_like(used)
    reasons = unpaid_reasons(data)
    unpaid = np.maximum(debt[:, -1], 0.0)
    return pd.DataFrame(
        {
            "member_id": list(data.member_ids),
            "member": list(data.member_names),
            "inputs": np.asarray(data.inputs, float).sum(axis=1),
            "cash_paid": np.asarray(data.cash, float).sum(axis=1),
            "withheld": withheld.sum(axis=1),
            "unpaid": unpaid,
            "debt_months": used,
            "financing_cost": cost * share if math.isfinite(cost) else np.nan,
            "reason": [reasons.get(i, "") for i in range(len(data.member_ids))],
        },
        columns=MEMBER_COLUMNS,
    )
