"""Statements as HTML (Jinja2, user text autoescaped) and PDF (WeasyPrint).

:func:`write_statements` writes into ``out``:

* ``members.pdf``: every member's page, one after another, for the assembly;
* ``members/NNN-name.pdf`` and ``.html``: each member's page on its own;
* ``suppliers/NNN-name.pdf`` and ``.html``: an order sheet per supplier with an order;
* ``assembly.pdf`` and ``.html``: the one-page summary for the general assembly.

Everything is written into a temporary folder beside ``out`` and moved into place at the
end, so that a failure leaves nothing half-written. The member pages are laid out once and
each member's PDF is cut from that layout (WeasyPrint's ``Document.copy``).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from optimizer.io.write import check_targets, move_into
from optimizer.statements.charts import cost_chart, drop_map
from optimizer.statements.figures import StatementFigures, SupplierFigures
from optimizer.statements.language import Language
from optimizer.statements.words import (
    rule_sentence,
    stability_sentence,
    stable_means,
    terms_sentence,
)

__all__ = ["Written", "render_html", "write_statements"]


@dataclass(frozen=True)
class Written:
    """What :func:`write_statements` wrote, relative to ``out``, and how long it took."""

    files: tuple[Path, ...]
    seconds: float


def _environment(lang: Language, currency: str) -> Environment:
    env = Environment(
        loader=PackageLoader("optimizer.statements", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(lang.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        money=lambda v: lang.money(v, currency),
        price=lambda v: lang.price(v, currency),
        number=lambda v, decimals=2: lang.number(v, decimals),
        fixed=lang.fixed,
        percent=lang.percent,
        coordinate=lang.coordinate,
        month=lang.month,
        css_string=_css_string,
    )
    return env


def _css_string(text: object) -> Markup:
    """Text inside a CSS string in a ``<style>`` element: quotes, backslashes and ``<``
    written as CSS escapes (HTML escapes are not decoded there)."""
    escaped = "".join(f"\\{ord(c):x} " if c in '"\\<>\n\r' or ord(c) < 32 else c for c in str(text))
    return Markup(escaped)


def _slug(number: int, name: str) -> str:
    """A file name anyone can type: ``007-anna-muller``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return f"{number:03d}-{slug}" if slug else f"{number:03d}"


def _context(figures: StatementFigures, lang: Language, day: dt.date) -> dict[str, Any]:
    a = figures.assembly
    return {
        "scenario": figures.scenario,
        "date": lang.date(day),
        "buyer": ", ".join(c.name for c in a.cooperatives),
        "rule": rule_sentence(lang, a),
        "stability": stability_sentence(lang, a, figures.currency),
        "stable_means": stable_means(lang),
    }


def render_html(
    figures: StatementFigures, lang: Language, *, day: dt.date | None = None
) -> dict[str, str]:
    """Every document as HTML: ``members`` (all pages), ``member:ID``, ``suppliers``,
    ``supplier:ID`` and ``assembly``."""
    day = day or dt.date.today()
    env = _environment(lang, figures.currency)
    ctx = _context(figures, lang, day)
    _ = lang.gettext
    footer = f"{ctx['buyer']} · {figures.scenario}"
    members = env.get_template("members.html")
    pages: dict[str, str] = {
        "members": members.render(
            members=figures.members, ctx=ctx, lang=lang, footer=footer,
            title=_("Statements of the pooled input order"),
        ),
    }  # fmt: skip
    for m in figures.members:
        pages[f"member:{m.member_id}"] = members.render(
            members=[m], ctx=ctx, lang=lang, footer=footer, title=f"{m.name} · {m.cooperative}"
        )
    sheets = env.get_template("supplier.html")
    maps = {s.supplier_id: _map(s, lang) for s in figures.suppliers}
    terms = {s.supplier_id: _terms(s, lang) for s in figures.suppliers}
    common = {"ctx": ctx, "lang": lang, "footer": footer, "maps": maps, "terms": terms}
    pages["suppliers"] = sheets.render(
        suppliers=figures.suppliers, title=_("Order sheets"), **common
    )
    for s in figures.suppliers:
        pages[f"supplier:{s.supplier_id}"] = sheets.render(
            suppliers=[s], title=f"{_('Order sheet')} · {s.name}", **common
        )
    a = figures.assembly
    chart = cost_chart(
        [c.name for c in a.cooperatives],
        [c.standalone_cost for c in a.cooperatives],
        [c.bill for c in a.cooperatives],
        alone_label=_("Alone"),
        pooled_label=_("Bills"),
        axis_label=figures.currency,
        number=lambda v: lang.number(v, 0),
    )
    pages["assembly"] = env.get_template("assembly.html").render(
        a=a, chart=chart, ctx=ctx, lang=lang, footer=footer,
        title=_("Summary for the general assembly"),
    )  # fmt: skip
    return pages


def _map(sheet: SupplierFigures, lang: Language) -> str:
    return drop_map(
        (sheet.name, sheet.lat, sheet.lon),
        [(d.name, d.lat, d.lon) for d in sheet.drops],
        km_label=lang.gettext("km"),
    )


def _terms(sheet: SupplierFigures, lang: Language) -> str:
    return terms_sentence(lang, sheet.terms)


# what the statements' folder holds: name -> whether it is a folder
_WRITTEN = {
    "members.pdf": False,
    "members": True,
    "suppliers": True,
    "assembly.html": False,
    "assembly.pdf": False,
}


def write_statements(
    figures: StatementFigures,
    lang: Language,
    out: Path,
    *,
    day: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Written:
    """Write every statement (HTML and PDF) into ``out``; nothing half-written."""
    import time

    from weasyprint import HTML

    started = time.perf_counter()
    say = progress or (lambda _: None)
    pages = render_html(figures, lang, day=day)
    out = Path(out)
    check_targets(out, _WRITTEN)  # before the layout's seconds, as when moving in
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        say("laying out the members' pages")
        document = HTML(string=pages["members"]).render()
        document.write_pdf(tmp / "members.pdf")
        # each page is found by its position (ids may hold any character)
        count = len(figures.members)
        starts = _first_pages(document.pages, (f"member-{n}" for n in range(1, count + 1)))
        for i, m in enumerate(figures.members):
            name = _slug(i + 1, m.name or m.member_id)
            own = document.pages[starts[i] : starts[i + 1]]
            _write_text(tmp / "members" / f"{name}.html", pages[f"member:{m.member_id}"])
            document.copy(own).write_pdf(tmp / "members" / f"{name}.pdf")
        say("laying out the order sheets")
        sheets = HTML(string=pages["suppliers"]).render()
        starts = _first_pages(
            sheets.pages, (f"supplier-{n}" for n in range(1, len(figures.suppliers) + 1))
        )
        for i, s in enumerate(figures.suppliers):
            name = _slug(i + 1, s.name or s.supplier_id)
            _write_text(tmp / "suppliers" / f"{name}.html", pages[f"supplier:{s.supplier_id}"])
            sheets.copy(sheets.pages[starts[i] : starts[i + 1]]).write_pdf(
                tmp / "suppliers" / f"{name}.pdf"
            )
        say("laying out the assembly's summary")
        _write_text(tmp / "assembly.html", pages["assembly"])
        HTML(string=pages["assembly"]).write_pdf(tmp / "assembly.pdf")
        files = tuple(sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file()))
        move_into(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Written(files, time.perf_counter() - started)


def _first_pages(pages: list[Any], anchors: Iterable[str]) -> list[int]:
    """The index of the page each anchor is on, and the number of pages at the end."""
    where: dict[str, int] = {}
    for index, page in enumerate(pages):
        for anchor in page.anchors:
            where.setdefault(anchor, index)
    return [where[a] for a in anchors] + [len(pages)]


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
