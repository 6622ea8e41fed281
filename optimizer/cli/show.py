"""How a model run looks in the terminal: its summary, KPIs and the most telling table rows.

Used by ``optimizer solve`` and ``optimizer runs show`` alike; numbers are formatted by
:mod:`optimizer.io.format`, user text is printed as written (never as Rich markup).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from optimizer.cli._text import user_text as _user
from optimizer.io.format import format_cell, format_number

__all__ = ["frame_table", "kpi_table", "print_comparison", "print_run"]

_console = Console()

_SHOWN: dict[str, tuple[tuple[str, str], ...]] = {
    "hubs": (
        ("hubs", "Open hubs"),
        ("corridors", "Corridors: whole trucks per period"),
        ("cost_by_echelon", "Value and cost by echelon"),
        ("sharing", "Value of sharing: each cooperative alone and its share together"),
        (
            "sharing_stability",
            "Is the split stable? (stable: no group of cooperatives would pay less on its own)",
        ),
    ),
    "procurement": (
        ("orders", "Orders: supplier, product, quantity, bracket reached"),
        ("trucks", "Truckloads"),
        ("split", "Each member's bill and savings"),
        (
            "stability",
            "Is the split stable? (stable: no group of members would pay less ordering alone)",
        ),
        ("equity", "Equity of the split"),
        ("equity_by_tag", "Tagged groups: share of volume and of savings"),
    ),
    "routes": (("routes", "Collection routes"), ("skipped", "Members not collected")),
    "credit": (
        ("balance", "The cooperative's cash and credit balance by month"),
        ("payments", "How each order is paid"),
        ("unpaid", "Members who cannot repay within the season, and why"),
    ),
    "markets": (
        ("plan", "Plan: who sells what to whom, and what it earns"),
        ("own_best_vs_plan", "Each member's own best buyer against the plan"),
        ("income_by_cooperative", "Income by cooperative"),
        ("income_by_tag", "Income by member tag"),
    ),
}


def print_run(run: Any, *, member: str | None = None, console: Console | None = None) -> None:
    """A model run in the terminal: its summary, KPIs and the most telling table rows."""
    console = console or _console
    console.print(
        f"\n[bold]{run.model}[/bold] on {_user(run.scenario)}: {run.status.value} "
        f"({run.runtime_s:.1f} s)"
    )
    console.print(run.summary, markup=False, highlight=False)
    for note in run.warnings:
        console.print(f"[yellow]note[/yellow]: {_user(note, 2000)}", highlight=False)
    rows = [[_user(k.label), format_number(k.value), _user(k.unit)] for k in run.kpis]
    if rows:  # a run without a plan has none
        console.print(
            FrameView("Key figures", ["figure", "value", "unit"], rows, [False, True, False])
        )
    for name, title in _SHOWN.get(run.model, ()):
        frame = run.tables.get(name)
        if frame is not None and not frame.empty:
            if name == "hubs":
                frame = frame[frame["open"]]
            console.print(frame_table(frame, title))
    if run.model == "markets" and "route_comparison" in run.tables:
        table = run.tables["route_comparison"]
        if member is not None:
            shown = table[table["member"] == member]
            title = f"Every reachable buyer for {_user(member)}"
        else:
            shown = table[table["rank"] <= 2].head(30)
            title = "Best two buyers per member and product (first 30 rows; --member ID for one)"
        columns = {
            "member": "member",
            "product": "product",
            "buyer": "buyer",
            "distance_km": "km",
            "time_h": "hours",
            "transport_cost_per_unit": "transport/unit",
            "net_per_unit": "net/unit",
            "rank": "rank",
            "perishability_ok": "fresh enough",
            "planned_quantity": "planned qty",
        }
        shown = shown[list(columns)].rename(columns=columns)
        console.print(frame_table(shown, title))


def frame_table(frame: Any, title: str, *, max_rows: int = 25) -> FrameView:
    """A DataFrame as a terminal table: its first ``max_rows`` rows, cells formatted, the
    columns' words apart (``unit price``).

    Numbers are never cut: when the columns do not fit the terminal the table is drawn
    without borders, and when even that does not fit each row is shown as a list of
    ``column: value`` lines (:class:`FrameView`).
    """
    if len(frame) > max_rows:
        title = f"{title} (first {max_rows} of {len(frame)} rows; all of them in the files)"
        frame = frame.head(max_rows)
    cols = [str(c) for c in frame.columns]
    columns = [_user(c.replace("_", " ")) for c in cols]
    rows = [
        [_user(format_cell(v, str(c)), _CELL_CHARS) for v, c in zip(row, cols, strict=True)]
        for row in frame.itertuples(index=False)
    ]
    numeric = [
        bool(rows) and all(_NUMBER.fullmatch(r[i]) for r in rows) for i in range(len(columns))
    ]
    return FrameView(title, columns, rows, numeric)


_CELL_CHARS = 300  # a cell's text at most (a long group's names); the files hold all of it
_RECORDS_UP_TO = 3  # rows up to which a table too wide for the terminal reads as lists
_NUMBER = re.compile(r"[-+–]?[\d,.]*\d[\d,.]*( ?%)?|–")


def _narrowest(header: str, cells: list[str], *, whole: bool) -> int:
    """The narrowest a column goes with no word cut: its longest word, a number's cell whole
    even with its unit (``+12.5 %``)."""
    words = [cell_len(w) for c in ([header] if whole else [header, *cells]) for w in c.split()]
    return max([1, *words, *(cell_len(c) for c in cells if whole)])


class FrameView:
    """A table that picks its layout when printed, by the width it is given."""

    def __init__(
        self, title: str, columns: list[str], rows: list[list[str]], numeric: list[bool]
    ) -> None:
        self.title, self.columns, self.rows, self.numeric = title, columns, rows, numeric

    def widths(self, room: int) -> list[int] | None:
        """Column widths for ``room`` characters of cells with no word cut (a number is one
        word), the rest shared among the columns that can use it; None if they do not fit."""
        cells = [[self.columns[i], *(r[i] for r in self.rows)] for i in range(len(self.columns))]
        most = [max(cell_len(c) for c in col) for col in cells]
        least = [
            _narrowest(col[0], col[1:], whole=number)
            for col, number in zip(cells, self.numeric, strict=True)
        ]
        spare = room - sum(least)
        if spare < 0:
            return None
        wanted = [m - n for m, n in zip(most, least, strict=True)]
        if sum(wanted) <= spare:
            return most
        return [n + w * spare // sum(wanted) for n, w in zip(least, wanted, strict=True)]

    def table(self, widths: list[int], *, boxed: bool) -> Table:
        if boxed:
            table = Table(title=self.title, box=box.HEAVY_HEAD)
        else:  # one space between columns, the header underlined
            table = Table(
                title=self.title,
                box=None,
                padding=(0, 1),
                collapse_padding=True,
                pad_edge=False,
                header_style="bold underline",
            )
        for column, width, number in zip(self.columns, widths, self.numeric, strict=True):
            justify: Literal["left", "right"] = "right" if number else "left"
            table.add_column(column, justify=justify, overflow="fold", width=width)
        for row in self.rows:
            table.add_row(*row)
        return table

    def records(self) -> Group:
        """Each row as ``column: value`` lines (for tables too wide for the terminal)."""
        parts: list[Any] = [Text.from_markup(self.title, style="italic", justify="center")]
        for n, row in enumerate(self.rows, 1):
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(overflow="fold")
            for column, cell in zip(self.columns, row, strict=True):
                grid.add_row(column, cell)
            parts += [Text(f"row {n}", style="dim"), grid]
        if not self.rows:
            parts.append(Text(f"no rows ({', '.join(self.columns)})", style="dim"))
        return Group(*parts)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Boxed if every word fits, else without borders (many rows), else as lists: a
        table whose words do not fit would cut numbers."""
        n = len(self.columns)
        boxed = self.widths(options.max_width - 3 * n - 1)
        if boxed is not None:
            yield self.table(boxed, boxed=True)
            return
        bare = self.widths(options.max_width - (n - 1))
        if bare is not None and len(self.rows) > _RECORDS_UP_TO:
            yield self.table(bare, boxed=False)
            return
        yield self.records()


def kpi_table(kpis: Any, names: Sequence[str], title: str) -> FrameView:
    """A comparison's KPI rows as a terminal table: values per run, then changes in %."""
    from optimizer.pipeline.compare import change_columns

    columns = ["KPI", "unit", *(_user(n) for n in names), *(_user(f"{n} %") for n in names[1:])]
    rows = []
    for row in kpis.to_dict(orient="records"):
        cells = [_user(row["kpi"]), _user(row["unit"])]
        cells += [format_number(row[name]) for name in names]
        cells += [format_number(row[change_columns(name)[1]], "%", sign=True) for name in names[1:]]
        rows.append(cells)
    return FrameView(_user(title), columns, rows, [False, False] + [True] * (len(columns) - 2))


def print_comparison(comparison: Any, model: str) -> None:
    """A comparison in the terminal: the KPI table and the summary in words."""
    title = f"{model}: variants against {comparison.base}"
    _console.print(kpi_table(comparison.kpis, comparison.names, title))
    _console.print(comparison.summary(), markup=False, highlight=False)
