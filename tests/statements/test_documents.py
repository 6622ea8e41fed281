"""Every figure of every statement equals the procurement run's, in every language offered.

The tiny scenario's run is written as statements in each language and the PDFs are read
back as text (pypdf): each member's page holds the member's and the cooperative's names,
every product ordered with its quantity and the price reached, the member's bill, what they
would pay alone and their savings; the order sheet holds the supplier's order, its bracket,
drop point and trucks; the assembly's summary the run's key figures and sums by cooperative.
The expected text is written from the run's tables with Babel directly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

from optimizer.scenario.scenario import Scenario
from optimizer.statements import LANGUAGES, language, statement_figures, write_statements
from optimizer.statements.catalogue import po_path
from tests.statements.conftest import LOCALES, flat, money, pdf_text, quantity

DAY = dt.date(2026, 12, 7)


def _words(code: str) -> dict[str, str]:
    """The catalogue's translations of ``code`` (English: the messages themselves)."""
    if code == "en":
        return {}
    with po_path(code).open("rb") as file:
        return {m.id: m.string for m in read_po(file) if m.id}


def _tr(code: str, message: str) -> str:
    return flat(_words(code).get(message, message))


def _price(value: float, currency: str, code: str) -> str:
    digits = 4 if abs(value) < 10 else 2
    return flat(
        format_currency(
            round(value, digits), currency, locale=LOCALES[code], decimal_quantization=False
        )
    )


@pytest.fixture(scope="module", params=LANGUAGES)
def written(
    request: pytest.FixtureRequest, tiny: Scenario, tiny_run: Any, tmp_path_factory: Any
) -> tuple[str, Path]:
    code = request.param
    out = tmp_path_factory.mktemp(f"statements-{code}") / "out"
    figures = statement_figures(tiny_run, tiny)
    write_statements(figures, language(code), out, day=DAY)
    return code, out


def test_each_member_page_holds_the_runs_figures(
    written: tuple[str, Path], tiny: Scenario, tiny_run: Any
) -> None:
    code, out = written
    currency = tiny.parameters.currency
    split = tiny_run.tables["split"]
    purchases = tiny_run.tables["purchases"]
    orders = tiny_run.tables["orders"]
    hubs = {h.id: h.name for h in tiny.hubs}
    files = sorted((out / "members").glob("*.pdf"))
    assert len(files) == len(split) == 3
    combined = pdf_text(out / "members.pdf")
    assert len(combined) == len(split)  # one page per member
    for path, page, row in zip(files, combined, split.itertuples(index=False), strict=True):
        own = pdf_text(path)
        assert own == [page]  # the member's own PDF is the same page
        member = tiny.member(row.member)
        expected = [
            member.name,
            tiny.cooperative(member.cooperative).name,
            hubs[row.drop_point],
            money(row.alone, currency, code),
            money(row.bill, currency, code),
            money(row.savings, currency, code),
            flat(format_date(DAY, format="long", locale=LOCALES[code])),
            _tr(code, "Your bill"),
            _tr(code, "How the bill was split"),
            _tr(code, "Signature"),
        ]
        for p in purchases[purchases["member"] == row.member].itertuples(index=False):
            expected += [tiny.product(p.product).name, _price(p.local_price, currency, code)]
            if p.pooled > 0:
                bought = orders[orders["product"] == p.product]
                reached = bought["goods_cost"].sum() / bought["quantity"].sum()
                expected += [quantity(p.pooled, code), _price(reached, currency, code)]
            if p.local > 0:
                expected.append(quantity(p.local, code))
        missing = [text for text in expected if text not in page]
        assert not missing, (code, row.member, missing, page)


def test_the_order_sheet_holds_the_suppliers_order(
    written: tuple[str, Path], tiny: Scenario, tiny_run: Any
) -> None:
    code, out = written
    currency = tiny.parameters.currency
    sheets = sorted((out / "suppliers").glob("*.pdf"))
    assert len(sheets) == 1 and (out / "suppliers" / sheets[0].with_suffix(".html").name).exists()
    [page] = pdf_text(sheets[0])
    supplier = tiny.supplier("s1")
    expected = [supplier.name, _tr(code, "Payment terms")]
    for o in tiny_run.tables["orders"].itertuples(index=False):
        expected += [
            tiny.product(o.product).name,
            quantity(o.quantity, code),
            quantity(o.threshold, code),
            _price(o.unit_price, currency, code),
            money(o.goods_cost, currency, code),
        ]
    for t in tiny_run.tables["trucks"].itertuples(index=False):
        hub = next(h for h in tiny.hubs if h.id == t.drop_point)
        expected += [
            hub.name,
            flat(format_decimal(hub.lat, format="0.00000", locale=LOCALES[code])),
            flat(format_decimal(hub.lon, format="0.00000", locale=LOCALES[code])),
            quantity(t.load_kg, code, 0),
            quantity(t.distance_km, code, 1),
            money(t.transport_cost, currency, code),
        ]
    expected.append(quantity(supplier.truck_payload_kg, code, 0))
    missing = [text for text in expected if text not in page]
    assert not missing, (code, missing, page)


def _percent(value_pct: float, code: str) -> str:
    from babel import Locale

    pattern = Locale.parse(LOCALES[code]).percent_formats[None].pattern
    one_decimal = pattern.replace("0%", "0.0%").replace("0\u00a0%", "0.0\u00a0%")
    return flat(format_percent(value_pct / 100, format=one_decimal, locale=LOCALES[code]))


def test_the_assembly_summary_holds_the_runs_key_figures(
    written: tuple[str, Path], tiny: Scenario, tiny_run: Any
) -> None:
    code, out = written
    currency = tiny.parameters.currency
    [page] = pdf_text(out / "assembly.pdf")
    kpis = tiny_run.kpi_values()
    expected = [
        money(kpis["pooled cost"], currency, code),
        money(kpis["cost if every member buys alone"], currency, code),
        money(kpis["savings"], currency, code),
        money(kpis["transport cost"], currency, code),
        _percent(kpis["savings (%)"], code),
        _tr(code, "Stable: no group of cooperatives can buy cheaper on its own."),
        _tr(code, "Equity by group"),
    ]
    split = tiny_run.tables["split"]
    for coop, frame in split.groupby("cooperative"):
        expected += [
            tiny.cooperative(str(coop)).name,
            money(frame["bill"].sum(), currency, code),
            money(frame["alone"].sum(), currency, code),
            money(frame["savings"].sum(), currency, code),
        ]
    for r in tiny_run.tables["equity_by_tag"].itertuples(index=False):
        expected += [
            r.tag,
            _percent(r.volume_share_pct, code),
            _percent(r.savings_share_pct, code),
            flat(format_decimal(r.ratio, format="#,##0.00", locale=LOCALES[code])),
        ]
    missing = [text for text in expected if text not in page]
    assert not missing, (code, missing, page)
    assert (out / "assembly.html").read_text(encoding="utf-8").count("<img") == 1  # the chart


def test_the_html_says_the_same_as_the_pdf(written: tuple[str, Path], tiny_run: Any) -> None:
    code, out = written
    html = sorted((out / "members").glob("*.html"))
    assert len(html) == 3
    text = html[1].read_text(encoding="utf-8")
    assert f'lang="{code}"' in text
    assert flat(text).count(money(tiny_run.tables["split"]["bill"][1], "EUR", code)) == 1


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_summary_stays_one_page_when_many_members_would_leave(
    tiny: Scenario, tiny_run: Any, tmp_path: Path, code: str
) -> None:
    # the members' least core of a large cooperative can leave an 80-member group gaining:
    # the summary names its size and six of them, says no split can be stable, on one page
    import dataclasses

    from weasyprint import HTML

    from optimizer.statements import render_html

    figures = statement_figures(tiny_run, tiny)
    names = tuple(f"Dairy farm Neu Wustrow {i}" for i in range(80))
    assembly = dataclasses.replace(
        figures.assembly,
        rule="member_least_core",
        level="member",
        stable=False,
        gaining_group=names,
        gain=195.74,
        least_gain=117.81,
    )
    html = render_html(dataclasses.replace(figures, assembly=assembly), language(code))
    out = tmp_path / "assembly.pdf"
    HTML(string=html["assembly"]).write_pdf(out)
    pages = pdf_text(out)
    assert len(pages) == 1
    assert "80" in pages[0] and names[5] in pages[0] and names[6] not in pages[0]
    assert money(117.81, figures.currency, code) in pages[0]
