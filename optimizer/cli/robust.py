"""``optimizer robust``: the hubs to open once for many sampled futures of a scenario.

The futures are a sweep's samples (:func:`optimizer.sweep.samples`): a sweep file
(``--spec``) or ``--vary``/``--draw`` flags around the base scenario, ``--samples`` of them
from ``--seed``. Bad input is one ``error:`` line and exit code 2, before any solve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from optimizer.cli._text import out_path
from optimizer.errors import InputError, Problem

__all__ = ["robust_command", "show_robust"]

EXIT_BAD_INPUT = 2
_out = Console()
_err = Console(stderr=True)


def robust_command(
    base: Annotated[
        Path, typer.Argument(help="The base scenario (folder, .xlsx or variant .yaml).")
    ],
    samples: Annotated[int, typer.Option("--samples", help="How many futures.")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random draws.")] = 0,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="A sweep file saying what varies.")
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option("--vary", help="KEY=VALUES, e.g. fuel_price_factor=0.8:1.6:5."),
    ] = None,
    draw: Annotated[
        list[str] | None, typer.Option("--draw", help="KIND=VALUE, e.g. prices=0.2.")
    ] = None,
    objective: Annotated[
        str, typer.Option("--objective", help="expected (net value) or regret (worst).")
    ] = "expected",
    gap: Annotated[float | None, typer.Option("--gap", help="Relative gap.")] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds for the whole plan.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", parser=out_path, help="Folder for the result files.")
    ] = None,
) -> None:
    """Choose the hubs to open once for many futures; corridors and trucks adapt to each."""
    from optimizer.io.write import check_out_folder
    from optimizer.pipeline.robust import robust_hubs
    from optimizer.scenario.load import load_scenario
    from optimizer.sweep import samples as sweep_samples
    from optimizer.sweep.spec import load_spec, spec_from_options

    try:
        if objective not in ("expected", "regret"):
            raise InputError(Problem("--objective", "expected or regret", value=objective))
        if samples < 1:
            raise InputError(Problem("--samples", "at least 1", value=samples))
        if out is not None:
            check_out_folder(out)
        scenario = load_scenario(base)
        flags = spec_from_options(vary or [], draw or [])
        sweep = load_spec(spec).merged(flags) if spec is not None else flags
        futures = [s.scenario for s in sweep_samples(sweep, scenario, samples, seed)]
        with _out.status(f"planning hubs for {len(futures)} futures of {scenario.name} ..."):
            run = robust_hubs(
                futures,
                objective="regret" if objective == "regret" else "expected",
                gap=gap,
                time_limit=time_limit,
            )
    except InputError as exc:
        _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    show_robust(run, out)


def show_robust(run: Any, out: Path | None) -> None:
    """Print a robust hubs run (summary, key figures, hubs, each future) and write its files
    to ``out`` when given (shared by ``optimizer robust`` and ``optimizer sweep --robust``)."""
    from optimizer.cli.show import frame_table

    _out.print(run.summary, markup=False, highlight=False)
    if run.tables:
        _out.print(frame_table(run.kpi_table(), "key figures"))
        _out.print(frame_table(run.tables["hub_frequency"], "hubs: robust plan, own plans"))
        columns = ["sample", "own_hubs", "robust_net_value", "own_net_value", "regret",
                   "regret_pct", "hubs_added", "hubs_dropped"]  # fmt: skip
        _out.print(frame_table(run.tables["comparison"][columns], "each future"))
    if out is not None:
        try:  # a folder where a result file goes: nothing is written
            written = run.write(out)
        except InputError as exc:
            _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        _out.print(f"{len(written)} files written to {out.resolve()}", markup=False)
