"""The credit season of a scenario: orders and debts from the procurement plan, deliveries from
the markets plan, timing, terms and lines from the scenario's credit tables.

The pooled order's cost per period (goods and delivery, :class:`ProcurementResult`) is needed
in each month of ``input_months`` times its ``factor``; each member owes its pooled quantity at
the product's delivered cost. Each member's sales to buyers per period (the markets plan's
revenue, net of transport; sales at the farm gate go to a middleman, out of the cooperative's
reach) arrive in each month of ``delivery_months`` times its ``factor``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.models.credit.data import CreditData
from optimizer.models.markets.data import FARM_GATE
from optimizer.scenario.credit_checks import month_index, season_months
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import CREDIT_TABLES, DeliveryMonth, InputMonth

__all__ = [
    "REQUIRED_CREDIT_TABLES",
    "incomplete_credit",
    "missing_credit_tables",
    "require_credit_tables",
    "scenario_credit_data",
]

#: the credit tables without which there is no season to plan
REQUIRED_CREDIT_TABLES = ("input_months", "delivery_months", "withholding")


def missing_credit_tables(scenario: Scenario) -> list[str]:
    """The required credit tables the scenario lacks (empty: the model can run)."""
    return [name for name in REQUIRED_CREDIT_TABLES if not getattr(scenario, name)]


def incomplete_credit(scenario: Scenario) -> str | None:
    """A warning when the scenario has some credit tables but not those the credit model
    needs (a misnamed file, say): without it, statements would go without schedules
    silently."""
    missing = missing_credit_tables(scenario)
    present = [name for name in CREDIT_TABLES if getattr(scenario, name)]
    if not missing or not present:
        return None
    return (
        f"the scenario has the credit tables {', '.join(present)} but not "
        f"{', '.join(missing)}, which the credit model needs: there is no credit plan and no "
        "repayment schedule (see docs/credit.md)"
    )


def require_credit_tables(scenario: Scenario) -> None:
    """An InputError naming the required credit tables the scenario lacks, if any."""
    missing = missing_credit_tables(scenario)
    if missing:
        raise InputError(
            Problem(
                scenario.name,
                f"the tables {', '.join(REQUIRED_CREDIT_TABLES)} for the credit model "
                f"(missing: {', '.join(missing)}; see docs/credit.md)",
            )
        )


def scenario_credit_data(
    scenario: Scenario,
    *,
    purchases: pd.DataFrame,
    orders: pd.DataFrame,
    trucks: pd.DataFrame,
    flows: pd.DataFrame,
    bills: pd.DataFrame | None = None,
) -> tuple[CreditData, tuple[str, ...]]:
    """The season to finance, and notes on inputs or produce left out (and why).

    ``purchases`` (member, product, pooled, local_cost), ``orders`` (supplier, product,
    goods_cost) and ``trucks`` (supplier, transport_cost) are the procurement plan's tables;
    ``flows`` (member, product, buyer, revenue) the markets plan's. ``bills`` (member, bill),
    the split of the plan's cost, sets what each member owes a period: its bill less what it
    buys locally itself, timed like its pooled inputs; without it a member owes its pooled
    quantities at each product's delivered cost.
    """
    require_credit_tables(scenario)
    notes: list[str] = []
    dated = [r.month for r in scenario.input_months] + [r.month for r in scenario.delivery_months]
    months = season_months(dated + [r.month for r in scenario.member_cash])
    first = month_index(months[0])
    index = {m.id: i for i, m in enumerate(scenario.members)}
    names = {p.id: p.name for p in scenario.products}
    values = _order_values(orders, trucks)
    timing = _timing(scenario.input_months, first)
    inputs = _inputs(purchases, values, timing, index, len(months))
    if bills is not None:
        notes.extend(_owe_bills(inputs, bills, purchases, values, index))
    for product in sorted({product for _, product in values} - set(timing)):
        notes.append(
            f"{names.get(product, product)} is ordered but has no month in input_months: "
            "not financed"
        )
    rows = _order_rows(scenario, values, timing, names)
    shares = {w.product: w.max_share for w in scenario.withholding}
    arrivals = _timing(scenario.delivery_months, first)
    produce = sorted(p for p in shares if p in arrivals)
    for product in sorted(set(shares) - set(arrivals)):
        notes.append(f"{names.get(product, product)} has no month in delivery_months: not withheld")
    deliveries = _deliveries(flows, produce, arrivals, index, len(months))
    cash = np.zeros((len(index), len(months)))
    for paid in scenario.member_cash:
        cash[index[paid.member], month_index(paid.month) - first] += paid.amount
    lines = scenario.credit_lines
    data = CreditData(
        months=months,
        member_ids=tuple(m.id for m in scenario.members),
        member_names=tuple(m.name for m in scenario.members),
        inputs=inputs,
        cash=cash,
        produce=tuple(names.get(p, p) for p in produce),
        max_share=np.array([shares[p] for p in produce], dtype=float),
        deliveries=deliveries,
        order_supplier=tuple(r[0] for r in rows),
        order_product=tuple(r[1] for r in rows),
        order_month=np.array([r[2] for r in rows], dtype=int),
        order_value=np.array([r[3] for r in rows], dtype=float),
        discount=np.array([r[4] for r in rows], dtype=float),
        net_months=np.array([r[5] for r in rows], dtype=int),
        credit_months=np.array([r[6] for r in rows], dtype=int),
        credit_rate=np.array([r[7] for r in rows], dtype=float),
        line_ids=tuple(line.id for line in lines),
        line_lenders=tuple(line.lender for line in lines),
        limit=np.array([line.limit for line in lines], dtype=float),
        annual_rate=np.array([line.annual_rate for line in lines], dtype=float),
        fee=np.array([line.fee for line in lines], dtype=float),
        commitment_rate=np.array([line.commitment_rate for line in lines], dtype=float),
        term=np.array([line.term_months or len(months) for line in lines], dtype=int),
        currency=scenario.parameters.currency,
    )
    return data, tuple(notes)


Timing = dict[str, list[tuple[int, float]]]
OrderRow = tuple[str, str, int, float, float, int, int, float]


def _timing(rows: tuple[InputMonth, ...] | tuple[DeliveryMonth, ...], first: int) -> Timing:
    """Each product's (month index, factor) pairs."""
    timing: Timing = defaultdict(list)
    for row in rows:
        timing[row.product].append((month_index(row.month) - first, row.factor))
    return dict(timing)


def _order_values(orders: pd.DataFrame, trucks: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Each order's delivered cost per period: its goods and its share (by goods) of its
    supplier's trucks."""
    goods = orders.groupby("supplier")["goods_cost"].sum()
    transport: dict[str, float] = {}
    if not trucks.empty:
        totals = trucks.groupby("supplier")["transport_cost"].sum()
        transport = {str(k): float(v) for k, v in totals.items()}
    values: dict[tuple[str, str], float] = {}
    for supplier, product, cost in zip(
        orders["supplier"], orders["product"], orders["goods_cost"].astype(float), strict=True
    ):
        share = cost / goods[supplier] if goods[supplier] > 0 else 0.0
        values[(str(supplier), str(product))] = cost + transport.get(str(supplier), 0.0) * share
    return values


def _inputs(
    purchases: pd.DataFrame,
    values: dict[tuple[str, str], float],
    timing: Timing,
    index: dict[str, int],
    t_count: int,
) -> np.ndarray:
    """Each member's inputs by month: its pooled quantity at the product's delivered cost."""
    product_value: dict[str, float] = defaultdict(float)
    for (_, product), value in values.items():
        product_value[product] += value
    pooled = purchases.groupby("product")["pooled"].sum()
    inputs = np.zeros((len(index), t_count))
    for member, product, quantity in zip(
        purchases["member"], purchases["product"], purchases["pooled"].astype(float), strict=True
    ):
        if quantity <= 0 or product not in timing or pooled[product] <= 0:
            continue
        unit = product_value[product] / float(pooled[product])
        for t, factor in timing[product]:
            inputs[index[member], t] += quantity * unit * factor
    return inputs


def _owe_bills(
    inputs: np.ndarray,
    bills: pd.DataFrame,
    purchases: pd.DataFrame,
    values: dict[tuple[str, str], float],
    index: dict[str, int],
) -> list[str]:
    """Scale each member's inputs (in place) by its bill less its local purchases over its
    pooled inputs at cost, both for one period: the split moves money between members; when
    every input's months add up to the same number of periods, never the season's total."""
    product_value: dict[str, float] = defaultdict(float)
    for (_, product), value in values.items():
        product_value[product] += value
    pooled = purchases.groupby("product")["pooled"].sum()
    at_cost = np.zeros(len(index))
    local = np.zeros(len(index))
    for member, product, quantity, local_cost in zip(
        purchases["member"],
        purchases["product"],
        purchases["pooled"].astype(float),
        purchases["local_cost"].astype(float),
        strict=True,
    ):
        i = index[member]
        local[i] += local_cost
        if quantity > 0 and pooled[product] > 0:
            at_cost[i] += quantity * product_value[product] / float(pooled[product])
    notes: list[str] = []
    for member, bill in zip(bills["member"], bills["bill"].astype(float), strict=True):
        row = index.get(str(member))
        if row is None:
            continue
        owed = bill - local[row]
        if owed < -0.005:
            notes.append(
                f"member {member}'s bill is {-owed:,.2f} less than what it buys locally: the "
                "cooperative owes it that sum, outside the credit plan"
            )
        owed = max(owed, 0.0)
        if at_cost[row] > 0:
            inputs[row] *= owed / at_cost[row]
        elif owed > 0.005:
            notes.append(
                f"member {member}'s bill of {owed:,.2f} buys no pooled input: not financed"
            )
    return notes


def _order_rows(
    scenario: Scenario,
    values: dict[tuple[str, str], float],
    timing: Timing,
    names: dict[str, str],
) -> list[OrderRow]:
    """One order per supplier, input and month: names, month, value and the supplier's terms
    (none: paid in its month at the list price)."""
    suppliers = {s.id: s.name for s in scenario.suppliers}
    terms = {t.supplier: t for t in scenario.payment_terms}
    rows: list[OrderRow] = []
    for (supplier, product), value in sorted(values.items()):
        term = terms.get(supplier)
        for t, factor in sorted(timing.get(product, ())):
            rows.append(
                (
                    suppliers.get(supplier, supplier),
                    names.get(product, product),
                    t,
                    value * factor,
                    0.0 if term is None else term.cash_discount,
                    0 if term is None else term.days_to_pay // 30,
                    0 if term is None else term.credit_months,
                    0.0 if term is None else term.credit_rate,
                )
            )
    return rows


def _deliveries(
    flows: pd.DataFrame,
    produce: list[str],
    arrivals: Timing,
    index: dict[str, int],
    t_count: int,
) -> np.ndarray:
    """Each member's sales to buyers (not at the farm gate) of each produce by month."""
    sold = flows[flows["buyer"] != FARM_GATE]
    position = {product: p for p, product in enumerate(produce)}
    deliveries = np.zeros((len(index), len(produce), t_count))
    for member, product, revenue in zip(
        sold["member"], sold["product"], sold["revenue"].astype(float), strict=True
    ):
        if product in position and revenue > 0:
            for t, factor in arrivals[product]:
                deliveries[index[member], position[product], t] += revenue * factor
    return deliveries
