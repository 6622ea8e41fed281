"""``optimizer runs``: the stored runs listed, shown, compared, exported, rerun and deleted;
and the ``--store``/``--no-store`` options with which ``solve``, ``demo`` and ``compare``
record their runs.

The store is :mod:`optimizer.store`; a bad URL, an unreadable store or an unknown id ends in
one ``error:`` line and exit code 2, like any bad input.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from optimizer.cli._text import out_path
from optimizer.cli._text import user_text as _user
from optimizer.errors import InputError, Problem
from optimizer.io.format import format_number

__all__ = [
    "NoStoreOption",
    "StoreOption",
    "open_cli_store",
    "record_run",
    "runs_app",
]

EXIT_BAD_INPUT = 2
_out = Console()
_err = Console(stderr=True)

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The run store: a SQLAlchemy URL (default $COOP_OPTIMIZER_STORE, else SQLite in "
        "the user's data folder).",
    ),
]
NoStoreOption = Annotated[
    bool, typer.Option("--no-store", help="A throw-away run: record nothing in the run store.")
]

runs_app = typer.Typer(
    help="Stored runs: list, show, compare, export, rerun, delete.", no_args_is_help=True
)


@contextlib.contextmanager
def _guard() -> Iterator[None]:
    try:
        yield
    except InputError as exc:
        _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def open_cli_store(url: str | None, no_store: bool, *, recording: bool = False) -> Any:
    """The run store to record in or read from (None with ``--no-store``).

    When a command only records (``recording``) in the default store that nobody named (no
    ``--store``, no ``$COOP_OPTIMIZER_STORE``) and that store cannot be made, say so and go on
    without recording: a solve never fails for want of a writable data folder.

    Raises
    ------
    InputError
        For ``--store`` with ``--no-store``, or a named store that cannot be opened.
    """
    if no_store:
        if url is not None:
            raise InputError(Problem("--no-store", "either --store URL or --no-store, not both"))
        return None
    from optimizer.store import STORE_ENV, open_store

    try:
        return open_store(url)
    except InputError as error:
        if not recording or url is not None or os.environ.get(STORE_ENV):
            raise
        _err.print(
            f"note: this run is not recorded: {error.first_line}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return None


def record_run(
    store: Any,
    run: Any,
    scenario: Any,
    *,
    options: Mapping[str, Any] | None = None,
    label: str | None = None,
    console: Console | None = None,
) -> int | None:
    """Record ``run`` in ``store`` (nothing when None) and say its id."""
    if store is None:
        return None
    run_id = int(store.record(run, scenario, options=options, label=label))
    (console or _out).print(
        f"[dim]stored as run {run_id} (optimizer runs show {run_id})[/dim]", highlight=False
    )
    return run_id


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            Problem("--since", "a date or time such as 2026-11-28 or 2026-11-28T09:30", value=text)
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@runs_app.command("list")
def list_command(
    scenario: Annotated[str | None, typer.Option("--scenario", help="Only this scenario.")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only runs since this date or time (UTC).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    store: StoreOption = None,
) -> None:
    """The stored runs, newest first, with their first key figure."""
    with _guard():
        opened = open_cli_store(store, False)
        found = opened.list(scenario=scenario, model=model, since=_since(since), limit=limit + 1)
    table = Table(title="Stored runs", caption=_user(opened.url, 1000))
    # fits 80 columns: model, status and seconds share a column, the time takes two lines,
    # and long names wrap onto more lines (a word longer than its column folds), never cut
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    table.add_column("model, status", no_wrap=True)
    for column in ("scenario", "label", "first KPI"):
        table.add_column(column, overflow="fold", ratio=1)
    for row in found[:limit]:
        first = next(iter(row.kpis.items()), None)
        sweep = f" (sweep {row.sweep_id} #{row.sample})" if row.sweep_id is not None else ""
        table.add_row(
            str(row.id),
            row.created_at.strftime("%Y-%m-%d\n%H:%M:%S"),
            f"{row.model}\n{row.status.value}, {row.runtime_s:.1f} s",
            _user(row.scenario),
            _user((row.label or "") + sweep),
            "" if first is None else _user(f"{first[0]}: {format_number(first[1])}"),
        )
    _out.print(table)
    if len(found) > limit:
        _out.print(f"the {limit} newest shown; --limit N for more")


@runs_app.command("show")
def show_command(
    run_id: Annotated[int, typer.Argument(help="The run's id (optimizer runs list).")],
    store: StoreOption = None,
) -> None:
    """One stored run: what it ran on, how it ended, its key figures and tables."""
    from optimizer.cli.show import print_run

    with _guard():
        stored = open_cli_store(store, False).get(run_id)
    head = Table(title=f"Run {stored.id}", show_header=False)
    head.add_column("what")
    head.add_column("value")
    gap = "none proven" if stored.gap is None else format_number(100 * stored.gap, "%")
    sweep = "" if stored.sweep_id is None else f"sweep {stored.sweep_id}, sample {stored.sample}"
    shown = (
        ("recorded (UTC)", stored.created_at.strftime("%Y-%m-%d %H:%M:%S")),
        ("label", stored.label or ""),
        ("scenario", f"{stored.scenario_name} (inputs {stored.scenario_hash[:12]})"),
        ("model", stored.model),
        ("options", _plain(stored.options)),
        ("what-ifs", _plain(stored.overrides)),
        ("status", stored.status.value),
        ("gap", gap),
        ("check", stored.verdict),
        ("sweep", sweep),
        ("versions", ", ".join(f"{k} {v}" for k, v in stored.versions.items())),
    )
    for what, value in shown:
        if value:
            head.add_row(what, _user(value, 2000))
    _out.print(head)
    print_run(stored.run)


def _plain(value: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in value.items())


@runs_app.command("compare")
def compare_command(
    run_ids: Annotated[
        list[int], typer.Argument(help="Two or more run ids; the first is the base.")
    ],
    store: StoreOption = None,
) -> None:
    """Stored runs of one model side by side (as ``optimizer compare`` shows variants)."""
    from optimizer.cli.show import print_comparison

    with _guard():
        comparison = open_cli_store(store, False).compare(run_ids)
    print_comparison(comparison, comparison.model)


@runs_app.command("export")
def export_command(
    run_id: Annotated[int, typer.Argument(help="The run's id.")],
    out: Annotated[
        Path, typer.Option("--out", parser=out_path, help="Folder for the result files.")
    ],
    store: StoreOption = None,
) -> None:
    """Write a stored run's files (CSV, XLSX, GeoJSON, JSON), as ``optimizer solve --out``."""
    from optimizer.io.write import check_out_folder

    with _guard():
        check_out_folder(out)
        stored = open_cli_store(store, False).get(run_id)
        written = stored.run.write(out)
    _out.print(f"{len(written)} files written to [bold]{_user(out.resolve(), 1000)}[/bold]")


@runs_app.command("rerun")
def rerun_command(
    run_id: Annotated[int, typer.Argument(help="The run's id.")],
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Run a stored run again on its stored inputs: the same answer, or what differs and why."""
    from optimizer.cli.show import kpi_table
    from optimizer.store.rerun import RERUN_TOLERANCE, rerun

    with _guard():
        opened = open_cli_store(store, False)
        with _out.status(f"running run {run_id} again ..."):
            again = rerun(opened, run_id)
        if not no_store:
            scenario = opened.scenario(run_id)
            label = f"rerun of {run_id}"
            record_run(opened, again.fresh, scenario, options=again.stored.options, label=label)
    if again.same:
        _out.print(
            f"same answer: status {again.fresh.status.value}, every key figure within "
            f"{RERUN_TOLERANCE:g} of run {run_id}"
        )
        return
    _out.print(f"[yellow]the answer differs[/yellow] from run {run_id}:")
    if not again.differences.empty:
        _out.print(kpi_table(again.differences, again.comparison.names, "Key figures that differ"))
    for reason in again.reasons:
        _out.print(f"  because {_user(reason, 2000)}", highlight=False)


@runs_app.command("delete")
def delete_command(
    run_ids: Annotated[list[int], typer.Argument(help="The ids of the runs to delete.")],
    store: StoreOption = None,
) -> None:
    """Delete stored runs (and the inputs no other run uses)."""
    with _guard():
        deleted = open_cli_store(store, False).delete(run_ids)
    _out.print(f"{deleted} run(s) deleted")
