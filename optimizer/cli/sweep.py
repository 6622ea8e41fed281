"""The ``optimizer sweep`` command (registered in ``cli.main``): one model on many futures.

It parses the spec and flags, runs :func:`optimizer.sweep.run.run_sweep` with a progress bar,
prints the distributions and the largest sensitivities, and writes the results with
:func:`optimizer.sweep.output.write_sweep`. Bad input ends in one ``error:`` line and exit
code 2; Ctrl+C in exit code 130 with the finished samples kept in the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from optimizer.cli._text import out_path
from optimizer.cli._text import user_text as _user
from optimizer.errors import InputError
from optimizer.io.format import format_number

__all__ = ["sweep_command"]

EXIT_BAD_INPUT = 2
EXIT_STOPPED = 130

_out = Console()
_err = Console(stderr=True)


def sweep_command(
    spec: Annotated[
        Path,
        typer.Argument(help="A sweep file (YAML with vary/draw), or a scenario to vary by flags."),
    ],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="procurement, markets, hubs or routes.")
    ] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", help="Number of samples.", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draws.", min=0)] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="KEY=a:b:n (a grid) or KEY=x,y (a list); repeatable."),
    ] = None,
    draw: Annotated[
        list[str] | None,
        typer.Option(
            "--draw",
            help="prices=0.2, supply=0.3, 'closure=NAME@P', buyer_missing=P; repeatable.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Local Dask worker processes (0: no Dask).", min=0)
    ] = 2,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="A running Dask scheduler, tcp://HOST:PORT.")
    ] = None,
    resume: Annotated[
        int | None, typer.Option("--resume", help="Finish the stopped sweep with this id.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", parser=out_path, help="Folder for tables (CSV, XLSX) and charts."),
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="Run store URL (default: the user's store).")
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Keep nothing: a throw-away sweep.")
    ] = False,
    label: Annotated[str | None, typer.Option("--label", help="A label for the sweep.")] = None,
    robust: Annotated[
        bool, typer.Option("--robust", help="Then the hubs to open for all samples (-m hubs).")
    ] = False,
) -> None:
    """Run one model on many samples of a scenario (grids, lists, random draws) on Dask."""
    from optimizer.sweep.run import SweepStopped

    try:
        run, sweep, base = _run(
            spec,
            model,
            vary or [],
            draw or [],
            samples=samples,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            out=out,
            store=None if no_store else (store or ""),
            label=label,
            robust=robust,
        )
    except InputError as exc:
        _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SweepStopped as stop:
        _err.print(
            f"stopped: {stop.done} of {stop.total} samples kept in sweep {stop.sweep_id}; "
            f"finish it with --resume {stop.sweep_id}",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(EXIT_STOPPED) from None
    _show(run, out)
    if robust:
        _robust(run, sweep, base, seed, out)


def _robust(run: Any, sweep: Any, base: Any, seed: int | None, out: Path | None) -> None:
    """The robust hubs plan over the sweep's samples (those the model solved), as
    ``optimizer robust`` makes and shows it."""
    from optimizer.cli.robust import show_robust
    from optimizer.pipeline.robust import robust_hubs
    from optimizer.sweep.samples import samples

    indices = [r.index for r in run.results]
    if not indices:
        _err.print("note: no sample was solved: no robust plan", markup=False)
        return
    chosen = seed if seed is not None else (sweep.seed or 0)
    try:
        futures = [s.scenario for s in samples(sweep, base, seed=chosen, indices=indices)]
        with _out.status(f"planning hubs for {len(futures)} futures of {base.name} ..."):
            plan = robust_hubs(futures)
    except InputError as exc:
        _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _out.print("\n[bold]The hubs to open once for all the samples[/bold]")
    show_robust(plan, None if out is None else out / "robust")


def _run(
    path: Path,
    model: str | None,
    vary: list[str],
    draw: list[str],
    *,
    samples: int | None,
    seed: int | None,
    workers: int,
    scheduler: str | None,
    resume: int | None,
    out: Path | None,
    store: str | None,
    label: str | None,
    robust: bool = False,
) -> tuple[Any, Any, Any]:
    """The sweep, its spec and base scenario; with a progress bar. ``store`` None keeps
    nothing, "" the default store.

    A default store that cannot be made is said in a note and the sweep goes on unrecorded,
    as a solve does; a store named on purpose, or one a resume reads, must open.
    """
    from optimizer.cli.runs import open_cli_store
    from optimizer.io.write import check_out_folder
    from optimizer.sweep.record import MemoryRecorder, StoreRecorder
    from optimizer.sweep.run import run_sweep

    if out is not None:
        check_out_folder(out)
    if store is None and resume is not None:
        raise InputError("--resume needs the store (it reads the finished samples there)")
    sweep, base, chosen = _prepare(path, model, vary, draw)
    if robust and chosen != "hubs":
        raise InputError(f"--robust: expected -m hubs (the robust plan chooses hubs), not {chosen}")
    opened = None
    if store is not None:
        opened = open_cli_store(store or None, False, recording=resume is None)
    recorder = MemoryRecorder() if opened is None else StoreRecorder(opened)
    with _bar() as bar:
        task = bar.add_task(f"{chosen} samples", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        run = run_sweep(
            sweep,
            base,
            chosen,
            n=samples,
            seed=seed if seed is not None else (sweep.seed or 0),
            workers=workers,
            scheduler=scheduler,
            recorder=recorder,
            resume=resume,
            label=label,
            progress=progress,
        )
    return run, sweep, base


def _prepare(path: Path, model: str | None, vary: list[str], draw: list[str]) -> tuple[Any, ...]:
    """The spec (file and flags merged), the base scenario and the model."""
    from optimizer.scenario.load import load_scenario
    from optimizer.sweep.spec import SweepSpec, load_spec, looks_like_spec, spec_from_options

    flags = spec_from_options(vary, draw)
    if looks_like_spec(path):
        sweep = load_spec(path).merged(flags)
        if sweep.base is None:
            raise InputError(f"{path}: key 'base': expected the path of the base scenario")
        base = load_scenario(sweep.base)
    else:
        base = load_scenario(path)
        sweep = SweepSpec(source=str(path)).merged(flags)
    chosen = model or sweep.model
    if chosen is None:
        raise InputError("--model: expected a model (procurement, markets, hubs or routes)")
    if not sweep.axes and not sweep.draws.any():
        raise InputError(
            f"{path}: expected something to vary (vary/draw in a sweep file, or --vary/--draw)"
        )
    return sweep, base, chosen


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=_out,
        transient=False,
    )


def _show(run: Any, out: Path | None) -> None:
    from optimizer.sweep.output import write_sweep
    from optimizer.sweep.results import sweep_tables

    if out is not None:
        tables, written = write_sweep(run, out)
    else:
        tables, written = sweep_tables(run.results), []
    _out.print(
        f"\nsweep [bold]{run.sweep_id}[/bold]: {run.model}, {run.done} samples"
        + (f" ({run.resumed} finished before)" if run.resumed else "")
    )
    if not tables.kpis.empty:
        table = Table(title="Each KPI over the samples")
        for column in ("KPI", "unit", "5 %", "median", "95 %", "mean"):
            table.add_column(column, justify="left" if column in ("KPI", "unit") else "right")
        for row in tables.kpis.to_dict(orient="records"):
            table.add_row(
                _user(row["kpi"]),
                _user(row["unit"]),
                *(format_number(row[c]) for c in ("p05", "p50", "p95", "mean")),
            )
        _out.print(table)
    if not tables.sensitivity.empty:
        first = tables.sensitivity["kpi"].iloc[0]
        top = tables.sensitivity[tables.sensitivity["kpi"] == first].head(8)
        table = Table(title=_user(f"What moves '{first}' most (mean at the input's low / high)"))
        for column in ("input", "low", "high", "KPI at low", "KPI at high"):
            table.add_column(column, justify="left" if column == "input" else "right")
        for row in top.to_dict(orient="records"):
            table.add_row(
                _user(row["input"]),
                _user(row["low"]),
                _user(row["high"]),
                format_number(row["kpi_at_low"]),
                format_number(row["kpi_at_high"]),
            )
        _out.print(table)
    if not tables.hubs.empty:
        shares = ", ".join(
            f"{_user(h)} {s:.0%}"
            for h, s in zip(tables.hubs["hub"], tables.hubs["share_open"], strict=True)
        )
        _out.print(f"hubs open (share of samples): {shares}", highlight=False)
    for index, _, error in run.failed[:5]:
        _out.print(f"[yellow]note[/yellow]: sample {index} failed: {_user(error, 500)}")
    if run.failed:
        _out.print(
            f"[yellow]note[/yellow]: {len(run.failed)} of {run.total} samples failed "
            "(a bug in the model, not in the spec: please report it); they are left out of "
            "the results and not stored, so --resume tries them again",
            highlight=False,
        )
    if written:
        _out.print(f"\n{len(written)} files written to [bold]{_user(out, 1000)}[/bold]")
