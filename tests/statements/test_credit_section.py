"""With the scenario's credit data, each member's page holds the credit plan's repayment
schedule and share of the financing cost, and each order sheet the supplier's payment terms.

The Liechtenstein scenario has credit data; its procurement and credit runs are made once,
and three members' pages (one of them a member whose deliveries cannot repay) are written in
every language and read back as text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_skeleton

from optimizer import load_scenario, run_model
from optimizer.scenario.scenario import Scenario
from optimizer.statements import LANGUAGES, language, statement_figures, write_statements
from optimizer.statements.figures import Terms
from optimizer.statements.words import terms_sentence
from tests.conftest import LIECHTENSTEIN
from tests.statements.conftest import LOCALES, flat, money, pdf_text


@pytest.fixture(scope="module")
def liechtenstein() -> tuple[Scenario, Any, Any]:
    scenario = load_scenario(LIECHTENSTEIN)
    credit = run_model(scenario, "credit")  # checked by the credit model's own checker
    assert credit.status.has_solution
    return scenario, run_model(scenario, "procurement"), credit


@pytest.fixture(scope="module")
def chosen(liechtenstein: tuple[Scenario, Any, Any]) -> list[str]:
    """Two members who repay and one who cannot."""
    members = liechtenstein[2].tables["members"]
    unpaid = members[members["unpaid"] > 0]["member_id"]
    assert len(unpaid) > 0
    return [*members[members["unpaid"] == 0]["member_id"][:2], unpaid.iloc[0]]


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_members_schedule_is_the_credit_plans(
    code: str, liechtenstein: tuple[Scenario, Any, Any], chosen: list[str], tmp_path: Path
) -> None:
    scenario, procurement, credit = liechtenstein
    figures = statement_figures(procurement, scenario, credit)
    figures = dataclasses.replace(
        figures, members=tuple(m for m in figures.members if m.member_id in chosen)
    )
    write_statements(figures, language(code), tmp_path / "out", day=dt.date(2026, 9, 1))
    pages = pdf_text(tmp_path / "out" / "members.pdf")
    assert len(pages) == 3
    schedule, season = credit.tables["schedule"], credit.tables["members"].set_index("member_id")
    currency = scenario.parameters.currency
    for member, page in zip(figures.members, pages, strict=True):
        rows = schedule[schedule["member_id"] == member.member_id]
        # a negative share (cash discounts worth more than the credit) is written as a gain
        share = season.at[member.member_id, "financing_cost"]
        expected = [money(abs(share), currency, code)]
        if share < -0.005:
            assert money(share, currency, code) not in page
        for r in rows.itertuples(index=False):
            if not (r.inputs or r.cash_paid or r.delivery_value or r.withheld or r.debt):
                continue
            year, month = (int(p) for p in r.month.split("-"))
            expected.append(
                flat(format_skeleton("yMMMM", dt.date(year, month, 1), locale=LOCALES[code]))
            )
            for value in (r.inputs, r.delivery_value, r.withheld, r.paid_out, r.debt):
                expected.append(money(value, currency, code))
        unpaid = season.at[member.member_id, "unpaid"]
        if unpaid > 0:
            expected.append(money(unpaid, currency, code))
        missing = [text for text in expected if text not in page]
        assert not missing, (code, member.member_id, missing, page)
    [summary] = pdf_text(tmp_path / "out" / "assembly.pdf")
    kpis = credit.kpi_values()
    assert money(abs(kpis["financing cost"]), currency, code) in summary
    unpaid = language(code).gettext(
        "Members whose deliveries cannot repay within the season: %(n)s."
    )
    assert flat(unpaid % {"n": int(kpis["members who cannot repay"])}) in summary
    [sheet] = (tmp_path / "out" / "suppliers").glob("*.pdf")
    terms = next(t for t in scenario.payment_terms if t.supplier == "S1")
    assert f"{terms.discount_days}" in pdf_text(sheet)[0]
    sentence = terms_sentence(language(code), figures.suppliers[0].terms)
    # compared without spaces: pypdf reads a kerned pair ("Ta" in "Tagen") as two words
    assert flat(sentence).replace(" ", "") in pdf_text(sheet)[0].replace(" ", "")


@pytest.mark.parametrize(
    ("terms", "code", "sentence"),
    [
        # no terms in the scenario: the offer's
        (None, "en", "As in the supplier's offer: the scenario gives no payment terms"),
        # net only
        (Terms(0.0, 0, 30, 0, 0.0), "en", "Payment due within 30 days."),
        # a cash discount and supplier credit after the net term
        (
            Terms(0.02, 10, 30, 6, 0.06),
            "de",
            "2,0 % Skonto bei Zahlung innerhalb von 10 Tagen, sonst der volle Preis innerhalb "
            "von 30 Tagen. Danach Lieferantenkredit bis zu 6 Monate zu 6,0 % im Jahr.",
        ),
    ],
)
def test_payment_terms_in_words(terms: Terms | None, code: str, sentence: str) -> None:
    assert flat(terms_sentence(language(code), terms)).startswith(flat(sentence))
