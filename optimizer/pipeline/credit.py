"""The credit model as the faces see it: how the season's inputs are financed and repaid.

The orders come from the procurement plan (goods and delivery, per period), each member's
deliveries from the markets plan (sales to buyers, net of transport); the credit tables say
when, on what terms and with which credit lines (``docs/credit.md``).
"""

from __future__ import annotations

import io

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.models.credit import CreditResult, check_credit, solve_credit
from optimizer.models.credit.scenario import require_credit_tables, scenario_credit_data
from optimizer.pipeline._common import _checked, _no_plan
from optimizer.pipeline.markets import run_markets
from optimizer.pipeline.procurement import run_procurement
from optimizer.pipeline.run import ModelRun
from optimizer.results import Check, Kpi
from optimizer.scenario.scenario import Scenario

__all__ = ["balance_chart", "run_credit"]


def run_credit(
    scenario: Scenario,
    *,
    rule: str = "shapley",
    level: str = "cooperative",
    procurement: ModelRun | None = None,
) -> ModelRun:
    """The season's financing plan: payments, credit drawn, withholding, each member's schedule.

    Each member owes the bill the procurement run's split gives it (``rule`` and ``level`` as
    in :func:`optimizer.pipeline.procurement.run_procurement`), less what it buys locally
    itself: the same figure its statement prints. ``procurement``, a procurement run of the
    same scenario, is used as it is (no second solve).
    """
    require_credit_tables(scenario)
    if not scenario.demand or not scenario.suppliers:
        raise InputError(Problem(scenario.name, "demand and suppliers for the credit model"))
    params = scenario.parameters
    if procurement is None:
        procurement = run_procurement(scenario, rule=rule, level=level)
    if procurement.model != "procurement":
        raise ValueError(f"a procurement run is needed, got a {procurement.model} run")
    if not procurement.status.has_solution:
        return _no_plan("credit", scenario, procurement.result, procurement.warnings)
    plan = procurement.result
    markets = run_markets(scenario)
    if not markets.status.has_solution:
        return _no_plan("credit", scenario, markets.result, markets.warnings)
    data, notes = scenario_credit_data(
        scenario,
        purchases=plan.purchases,
        orders=plan.orders,
        trucks=plan.trucks,
        flows=markets.result.flows,
        bills=procurement.tables["split"],
    )
    result = solve_credit(data, time_limit=params.time_limit_s, gap=params.mip_gap)
    warnings = tuple(dict.fromkeys((*procurement.warnings, *markets.warnings, *notes)))
    if not result.status.has_solution:
        return _no_plan("credit", scenario, result, warnings)
    check = check_credit(data, result)
    _checked(check, "credit")
    cooperative = {m.id: m.cooperative for m in scenario.members}
    members = result.members
    per_member = pd.DataFrame(
        {
            "member": members["member_id"],
            "cooperative": [cooperative[m] for m in members["member_id"]],
            "value": members["financing_cost"],
        }
    )
    currency = params.currency
    return ModelRun(
        model="credit",
        scenario=scenario.name,
        status=result.status,
        summary=result.summary(),
        kpis=_kpis(result, check, currency),
        tables={
            "schedule": result.schedule,
            "members": members,
            "unpaid": members[members["unpaid"] > 0][
                ["member_id", "member", "inputs", "withheld", "unpaid", "reason"]
            ],
            "payments": result.payments,
            "balance": result.balance,
            "credit_lines": result.lines,
        },
        per_member=per_member,
        value_label=f"share of the financing cost ({currency})",
        value_higher_is_better=False,
        warnings=warnings,
        result=result,
        charts={"balance": balance_chart(result.balance, currency)},
    )


def _kpis(result: CreditResult, check: Check, currency: str) -> tuple[Kpi, ...]:
    figures = check.figures
    balance = result.balance
    return (
        Kpi("financing cost", check.cost, currency, False),
        Kpi("interest on credit lines", figures["interest"], currency, False),
        Kpi("credit line fees", figures["fees"], currency, False),
        Kpi("supplier credit interest", figures["supplier_credit"], currency, False),
        Kpi("cash discounts taken", figures["discounts"], currency, True),
        Kpi("largest credit balance", float(balance["credit_balance"].max()), currency, False),
        Kpi("withheld from deliveries", figures["withheld"], currency, None),
        Kpi(
            "members who cannot repay",
            float((result.members["unpaid"] > 0).sum()),
            "members",
            False,
        ),
        Kpi("debt left unpaid", figures["unpaid"], currency, False),
    )


def balance_chart(balance: pd.DataFrame, currency: str) -> bytes:
    """The cooperative's credit balance (bars) and cash (line) by month, as PNG bytes."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    figure = Figure(figsize=(8, 3.6), layout="constrained")
    ax = figure.subplots()
    months = list(balance["month"])
    ax.bar(months, balance["credit_balance"], color="#c0504d", label="credit balance")
    ax.plot(months, balance["cash"], color="#1f77b4", marker="o", label="cash")
    ax.plot(
        months,
        balance["paid_to_suppliers"],
        color="#7f7f7f",
        linestyle="--",
        label="paid to suppliers",
    )
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel(currency)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_title("The cooperative's credit balance and cash at each month's end")
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(loc="upper right", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
