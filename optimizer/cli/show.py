"""How a model run looks in the terminal: its summary, KPIs and the most telling table rows.

Used by ``optimizer solve`` and ``optimizer runs show`` alike; numbers are formatted by
:mod:`optimizer.io.format`, user text is printed as written (never as Rich markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

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
    kpis = Table(title="Key figures")
    kpis.add_column("figure")
    kpis.add_column("value", justify="right")
    kpis.add_column("unit")
    for kpi in run.kpis:
        kpis.add_row(kpi.label, format_number(kpi.value), kpi.unit)
    console.print(kpis)
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


def frame_table(frame: Any, title: str, *, max_rows: int = 25) -> Table:
    """A DataFrame as a terminal table: its first ``max_rows`` rows, cells formatted."""
    if len(frame) > max_rows:
        title = f"{title} (first {max_rows} of {len(frame)} rows; all of them in the files)"
        frame = frame.head(max_rows)
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(_user(column))
    for row in frame.itertuples(index=False):
        table.add_row(
            *[_user(format_cell(v, str(c))) for v, c in zip(row, frame.columns, strict=True)]
        )
    return table


def kpi_table(kpis: Any, names: Sequence[str], title: str) -> Table:
    """A comparison's KPI rows as a terminal table: values per run, then changes in %."""
    from optimizer.pipeline.compare import change_columns

    table = Table(title=_user(title))
    table.add_column("KPI")
    table.add_column("unit")
    for name in names:
        table.add_column(_user(name), justify="right")
    for name in names[1:]:
        table.add_column(_user(f"{name} %"), justify="right")
    for row in kpis.to_dict(orient="records"):
        cells = [_user(row["kpi"]), _user(row["unit"])]
        cells += [format_number(row[name]) for name in names]
        cells += [format_number(row[change_columns(name)[1]], "%", sign=True) for name in names[1:]]
        table.add_row(*cells)
    return table


def print_comparison(comparison: Any, model: str) -> None:
    """A comparison in the terminal: the KPI table and the summary in words."""
    title = f"{model}: variants against {comparison.base}"
    _console.print(kpi_table(comparison.kpis, comparison.names, title))
    _console.print(comparison.summary(), markup=False, highlight=False)
