"""The credit page's sentence on the season's last month of cash."""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer import load_scenario
from optimizer.app.credit_words import season_end_note
from optimizer.pipeline.registry import run_model
from tests.conftest import MECKLENBURG


def frames(cash: float, financing: list[float], unpaid: list[float]) -> tuple[pd.DataFrame, ...]:
    balance = pd.DataFrame({"month": ["2027-07", "2027-08"], "cash": [0.0, cash]})
    members = pd.DataFrame({"financing_cost": financing, "unpaid": unpaid})
    return balance, members


def test_nothing_to_explain_when_the_season_ends_at_zero() -> None:
    assert season_end_note(*frames(0.0, [10.0, -10.0], [0.0, 0.0]), "EUR") is None
    assert season_end_note(*frames(0.001, [0.0], [0.0]), "EUR") is None


@pytest.mark.parametrize(
    ("financing", "unpaid", "words"),
    [
        # cost 300, debt 1,000: cash -1,300
        (
            [100.0, 200.0],
            [1000.0, 0.0],
            [
                "1 member cannot repay",
                "1,000.00 EUR",
                "and the financing cost (300.00 EUR)",
                "-1,300.00 EUR",
            ],
        ),
        # surplus 300, two debtors owing 1,500: cash -1,200
        (
            [-100.0, -200.0],
            [1000.0, 500.0],
            [
                "2 members cannot repay",
                "1,500.00 EUR",
                "less the financing surplus (300.00 EUR",
                "-1,200.00 EUR",
            ],
        ),
        # cost only: cash -300
        ([100.0, 200.0], [0.0, 0.0], ["the financing cost (300.00 EUR)", "-300.00 EUR"]),
        # surplus only: cash +300
        ([-100.0, -200.0], [0.0, 0.0], ["the financing surplus (300.00 EUR", "is 300.00 EUR"]),
    ],
)
def test_the_last_months_cash_is_named_by_its_parts(
    financing: list[float], unpaid: list[float], words: list[str]
) -> None:
    cash = -sum(financing) - sum(unpaid)
    note = season_end_note(*frames(cash, financing, unpaid), "EUR")
    assert note is not None and "end of 2027-08" in note
    for word in words:
        assert word in note, (word, note)
    if not any(unpaid):
        assert "cannot repay" not in note


def test_the_default_scenarios_note_adds_up_to_its_cash() -> None:
    run = run_model(load_scenario(MECKLENBURG), "credit")
    balance, members = run.tables["balance"], run.tables["members"]
    cash = float(balance["cash"].iloc[-1])
    # the identity the sentence rests on: cash = -(financing cost) - (debt left unpaid)
    assert cash == pytest.approx(
        -members["financing_cost"].sum() - members["unpaid"].sum(), abs=0.01
    )
    note = season_end_note(balance, members, "EUR")
    assert note is not None and f"{cash:,.2f} EUR" in note
