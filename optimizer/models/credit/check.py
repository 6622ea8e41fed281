"""Independent check of a credit plan: balances recomputed month by month from its decisions.

Reads only the data and the plan's decisions (``settled``, ``line_balance``, ``line_used``,
``withheld``), and the figures the plan reports (its financing cost, each member's unpaid
debt and cost share, the cooperative's cash); never the solver's objective or the model's
cost function.
"""

from __future__ import annotations

import math

import numpy as np

from optimizer.models.credit.data import CreditData, CreditResult
from optimizer.results import Check

__all__ = ["check_credit"]


def check_credit(data: CreditData, result: CreditResult, *, tolerance: float = 1e-6) -> Check:
    """Check every order paid in its window, every line within its limit and term, withholding
    within deliveries and debts, debts repaid (or reported unpaid with a reason), cash never
    below zero before the season's settlement; recompute the financing cost.

    ``tolerance`` is absolute per currency unit, relative on totals. ``cost`` of the returned
    :class:`Check` is the recomputed financing cost; ``figures`` holds ``interest``, ``fees``,
    ``supplier_credit``, ``discounts``, ``withheld`` and ``unpaid``.
    """
    if not result.status.has_solution:
        return Check(("the result has no plan",), math.nan)
    problems: list[str] = []
    t_count = data.n_months
    scale = max(1.0, float(np.asarray(data.order_value, float).sum()))
    tol = tolerance * scale
    months = data.months
    out = np.zeros(t_count)
    supplier_credit, discounts = _orders(data, result, tol, out, problems)
    interest, fees = _lines(data, result, tol, out, problems)
    withheld_total = _members(data, result, tol, problems)
    received = result.withheld.sum(axis=0) + np.asarray(data.cash, float).sum(axis=0)
    cash = 0.0
    for t in range(t_count):
        drawn = float(result.line_balance[:, t].sum()) if result.line_balance.size else 0.0
        before = (
            float(result.line_balance[:, t - 1].sum()) if t and result.line_balance.size else 0.0
        )
        cash += float(received[t]) - out[t] + drawn - before
        if t < t_count - 1 and cash < -tol:
            problems.append(f"the cooperative's cash is {cash:,.2f} at the end of {months[t]}")
        if not result.balance.empty:
            shown = float(result.balance["cash"].iloc[t])
            if abs(shown - cash) > tol:
                problems.append(
                    f"cash at the end of {months[t]} is {cash:,.2f}, shown {shown:,.2f}"
                )
    cost = interest + fees + supplier_credit - discounts
    if not math.isclose(cost, result.objective, rel_tol=tolerance, abs_tol=tol):
        problems.append(f"financing cost is {cost:,.2f}, reported {result.objective:,.2f}")
    shares = float(result.members["financing_cost"].sum()) if not result.members.empty else 0.0
    if not math.isclose(shares, cost, rel_tol=tolerance, abs_tol=tol) and shares != 0.0:
        problems.append(
            f"members' shares of the financing cost sum to {shares:,.2f}, not {cost:,.2f}"
        )
    unpaid = float(result.members["unpaid"].sum()) if not result.members.empty else 0.0
    return Check(
        tuple(problems),
        cost,
        {
            "interest": interest,
            "fees": fees,
            "supplier_credit": supplier_credit,
            "discounts": discounts,
            "withheld": withheld_total,
            "unpaid": unpaid,
        },
    )


def _orders(
    data: CreditData, result: CreditResult, tol: float, out: np.ndarray, problems: list[str]
) -> tuple[float, float]:
    """Every order settled in full within its terms; the cash paid added to ``out`` by month.
    Returns the supplier credit interest paid and the cash discounts taken."""
    supplier_credit = discounts = 0.0
    months = data.months
    for o in range(len(data.order_supplier)):
        needed = int(data.order_month[o])
        net = int(data.net_months[o])
        total = 0.0
        for t in range(data.n_months):
            value = float(result.settled[o, t])
            if abs(value) <= tol:
                continue
            lag = t - needed
            if value < 0 or lag < 0 or lag > net + int(data.credit_months[o]):
                problems.append(
                    f"order of {data.order_product[o]} from {data.order_supplier[o]} "
                    f"({months[needed]}): {value:,.2f} settled in {months[t]}, outside its terms"
                )
                continue
            total += value
            if lag == 0:
                paid = value * (1 - float(data.discount[o]))
                discounts += value - paid
            elif lag <= net:
                paid = value
            else:
                paid = value * (1 + float(data.credit_rate[o]) * (lag - net) / 12)
                supplier_credit += paid - value
            out[t] += paid
        if abs(total - float(data.order_value[o])) > tol:
            problems.append(
                f"order of {data.order_product[o]} from {data.order_supplier[o]} "
                f"({months[needed]}): {total:,.2f} settled of {float(data.order_value[o]):,.2f}"
            )
    return supplier_credit, discounts


def _lines(
    data: CreditData, result: CreditResult, tol: float, out: np.ndarray, problems: list[str]
) -> tuple[float, float]:
    """Limits and terms of the lines; their interest and fees added to ``out`` by month."""
    interest = fees = 0.0
    for line in range(len(data.line_ids)):
        used = float(result.line_used[line])
        if used not in (0.0, 1.0):
            problems.append(f"line {data.line_ids[line]} used {used}, expected 0 or 1")
        limit = float(data.limit[line]) * used
        end = min(int(data.term[line]), data.n_months)
        for t, month in enumerate(data.months):
            balance = float(result.line_balance[line, t])
            if balance < -tol or balance > limit + tol:
                problems.append(
                    f"line {data.line_ids[line]} ({data.line_lenders[line]}) stands at "
                    f"{balance:,.2f} at the end of {month}, limit {limit:,.2f}"
                )
            if t >= end - 1 and balance > tol:
                problems.append(
                    f"line {data.line_ids[line]} stands at {balance:,.2f} at the end of {month}, "
                    f"after its term or the season"
                )
            if t > 0:
                rate = float(data.annual_rate[line]) / 12
                charge = rate * float(result.line_balance[line, t - 1])
                interest += charge
                out[t] += charge
            fee = float(data.fee[line]) * used if t == 0 else 0.0
            if t < end:
                fee += float(data.commitment_rate[line]) / 12 * (limit - balance)
            fees += fee
            out[t] += fee
    return interest, fees


_HALF_CENT = 0.005  # a debt below it counts as repaid (docs/credit.md)


def _members(data: CreditData, result: CreditResult, tol: float, problems: list[str]) -> float:
    """Withholding within deliveries and debts; debts repaid or reported unpaid with a reason."""
    capacity = np.einsum("npt,p->nt", np.asarray(data.deliveries, float), data.max_share)
    unpaid_of = dict(zip(result.members["member_id"], result.members["unpaid"], strict=True))
    reason_of = dict(zip(result.members["member_id"], result.members["reason"], strict=True))
    total = 0.0
    for i, member in enumerate(data.member_names):
        debt = 0.0
        for t, month in enumerate(data.months):
            w = float(result.withheld[i, t])
            total += w
            if w < -tol or w > capacity[i, t] + tol:
                problems.append(
                    f"{member}: {w:,.2f} withheld in {month}, at most {capacity[i, t]:,.2f}"
                )
            before = debt + float(data.inputs[i, t]) - float(data.cash[i, t])
            debt = before - w
            floor = min(0.0, float(np.cumsum(data.inputs[i] - data.cash[i])[t]))
            if debt < floor - tol:
                problems.append(f"{member}: withheld beyond what it owes in {month}")
        unpaid = float(unpaid_of.get(data.member_ids[i], 0.0))
        reason = str(reason_of.get(data.member_ids[i], "") or "")
        if debt > max(tol, _HALF_CENT) and (abs(unpaid - debt) > tol or not reason):
            problems.append(
                f"{member} owes {debt:,.2f} at the season's end, reported {unpaid:,.2f} unpaid"
                + ("" if reason else " without a reason")
            )
        if debt <= tol and unpaid > tol:
            problems.append(f"{member} has repaid, reported {unpaid:,.2f} unpaid")
        least = _least_left(data, capacity, i)
        if debt > max(least, _HALF_CENT) + tol:
            problems.append(
                f"{member} owes {debt:,.2f} at the season's end; its deliveries could repay all "
                f"but {least:,.2f}"
            )
    return total


def _least_left(data: CreditData, capacity: np.ndarray, i: int) -> float:
    """The least debt member ``i`` can be left with: each month withhold all its deliveries
    allow, never so much that it would have paid more than it owes then or in a later month
    (cash it pays later counts)."""
    owed = np.cumsum(np.asarray(data.inputs[i], float) - np.asarray(data.cash[i], float))
    ceiling = np.minimum.accumulate(np.maximum(owed, 0.0)[::-1])[::-1]
    withheld = 0.0
    for t in range(len(owed)):
        withheld = min(withheld + float(capacity[i, t]), float(ceiling[t]))
    return max(float(owed[-1]) - withheld, 0.0)
