"""Equity figures on hand-computed cases."""

from __future__ import annotations

import pytest

from optimizer.models.equity import equity_figures, gini


def test_gini_by_hand() -> None:
    assert gini([5, 5, 5, 5]) == pytest.approx(0.0)
    # one of four holds everything: (2*4 - 4 - 1) * x / (4 * x) = 3/4
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
    # [1, 3]: (2*1-3)*1 + (2*2-3)*3 = -1 + 3 = 2; 2 / (2 * 4) = 0.25
    assert gini([3, 1]) == pytest.approx(0.25)
    assert gini([]) == 0.0


def test_equity_figures_by_hand() -> None:
    # three members; the women-led member buys half the volume and gets 60 % of the savings
    eq = equity_figures(
        savings=[60, 30, 10],
        standalone=[600, 300, 200],
        volume=[50, 30, 20],
        tags=[["women_led"], ["smallholder"], ["smallholder"]],
    )
    rows = dict(zip(eq.summary["figure"], eq.summary["value"], strict=True))
    assert rows["members better off (%)"] == pytest.approx(100)
    assert rows["median saving"] == pytest.approx(30)
    assert rows["smallest saving (%)"] == pytest.approx(5)  # 10 / 200
    tags = eq.by_tag.set_index("tag")
    assert tags.loc["women_led", "volume_share_pct"] == pytest.approx(50)
    assert tags.loc["women_led", "savings_share_pct"] == pytest.approx(60)
    assert tags.loc["smallholder", "ratio"] == pytest.approx(40 / 50)
    assert "women_led: 1 members" in eq.text()


def test_a_member_worse_off_is_counted() -> None:
    eq = equity_figures([5, -1], [10, 10], [1, 1], [[], []])
    rows = dict(zip(eq.summary["figure"], eq.summary["value"], strict=True))
    assert rows["members better off (%)"] == pytest.approx(50)
    assert rows["members paying no more than alone (%)"] == pytest.approx(50)
