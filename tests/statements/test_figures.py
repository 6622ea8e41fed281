"""The statements' figures are the run's: bills, savings and totals read, never recomputed."""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.errors import InputError
from optimizer.scenario.scenario import Scenario
from optimizer.statements import statement_figures


def test_members_figures_are_the_runs_split(tiny: Scenario, tiny_run: Any) -> None:
    figures = statement_figures(tiny_run, tiny)
    split = tiny_run.tables["split"]
    assert [m.member_id for m in figures.members] == list(split["member"])
    for m, row in zip(figures.members, split.itertuples(index=False), strict=True):
        assert (m.standalone_cost, m.bill, m.savings, m.savings_pct) == (
            row.alone, row.bill, row.savings, row.savings_pct,
        )  # fmt: skip
        assert m.name == tiny.member(m.member_id).name  # names, not ids
        assert m.cooperative == tiny.cooperative(row.cooperative).name
    # Farm Three's 20 bags of fertiliser have no pooled offer (demand.csv): bought locally
    [local] = figures.members[2].purchases
    assert (local.product, local.pooled, local.local) == ("Fertiliser", 0.0, 20.0)


def test_price_reached_is_the_orders_average(tiny: Scenario, tiny_run: Any) -> None:
    figures = statement_figures(tiny_run, tiny)
    [order] = tiny_run.tables["orders"].itertuples(index=False)
    feed = figures.members[0].purchases[0]
    assert feed.product == "Dairy feed"
    assert feed.price_reached == pytest.approx(order.goods_cost / order.quantity, rel=1e-12)


def test_assembly_figures_are_the_runs_key_figures(tiny: Scenario, tiny_run: Any) -> None:
    a = statement_figures(tiny_run, tiny).assembly
    kpis = tiny_run.kpi_values()
    assert (a.pooled_cost, a.alone_cost, a.savings, a.transport_cost) == (
        kpis["pooled cost"], kpis["cost if every member buys alone"], kpis["savings"],
        kpis["transport cost"],
    )  # fmt: skip
    assert (a.rule, a.level, a.stable) == ("shapley", "cooperative", True)
    assert sum(c.bill for c in a.cooperatives) == pytest.approx(kpis["pooled cost"], rel=1e-9)
    assert [c.name for c in a.cooperatives] == ["Dairy group", "Grain group"]


def test_only_a_procurement_run_has_statements(tiny: Scenario) -> None:
    from optimizer import run_model

    with pytest.raises(InputError, match="a procurement plan"):
        statement_figures(run_model(tiny, "markets"), tiny)
