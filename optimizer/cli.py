"""The ``optimizer`` command line: validate, demo, solve, compare, network, app.

Every command turns bad input into one clear message on standard error and exit code 2;
nothing here holds model logic (that is :mod:`optimizer.pipeline`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from optimizer import __version__
from optimizer.errors import InputError
from optimizer.scenario import Scenario, load_scenario

__all__ = ["app", "default_scenario_path", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Pooled procurement, market access, shared hubs and collection routing for cooperatives.",
)
console = Console()
errors = Console(stderr=True)

EXIT_BAD_INPUT = 2


def default_scenario_path(name: str = "mecklenburg") -> Path:
    """Where a bundled scenario lives: ``scenarios/NAME`` here or beside the package."""
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        candidate = root / "scenarios" / name
        if (candidate / "scenario.yaml").is_file():
            return candidate
    raise InputError(f"the bundled scenario '{name}' (scenarios/{name}/scenario.yaml) is missing")


@contextlib.contextmanager
def _guard(*, all_problems: bool = False) -> Iterator[None]:
    """Bad input becomes a message and exit code 2, never a traceback."""
    try:
        yield
    except InputError as exc:
        if all_problems:
            for problem in exc.problems:
                errors.print(f"error: {problem}", markup=False, highlight=False, soft_wrap=True)
        else:
            errors.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _version(value: bool) -> None:
    if value:
        console.print(f"coop-optimizer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Pooled procurement, market access, shared hubs and collection routing for cooperatives."""


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="Scenario folder, .xlsx workbook or variant .yaml.")],
) -> None:
    """Check a scenario and print what it holds, or every problem found in it."""
    with _guard(all_problems=True):
        scenario = load_scenario(path)
    print_summary(scenario)
    console.print("[green]valid[/green]: no problems found")


def print_summary(scenario: Scenario) -> None:
    """The scenario's members, products, partners and totals as terminal tables."""
    summary = scenario.summary()
    console.print(f"[bold]{scenario.name}[/bold]")
    if scenario.description:
        console.print(scenario.description)
    counts = Table(title="Scenario", show_header=True)
    counts.add_column("what")
    counts.add_column("count", justify="right")
    for coop in scenario.cooperatives:
        n = summary["members_per_cooperative"][coop.id]
        counts.add_row(f"members of {coop.name} ({coop.id})", str(n))
    counts.add_row("members in all", str(summary["members"]))
    counts.add_row("products", str(summary["products"]))
    counts.add_row("suppliers", str(summary["suppliers"]))
    counts.add_row("buyers", str(summary["buyers"]))
    counts.add_row("hubs (existing)", f"{summary['hubs']} ({summary['existing_hubs']})")
    counts.add_row("vehicles", str(summary["vehicles"]))
    counts.add_row(
        "road network",
        Path(summary["network_file"]).name
        if summary["network_file"]
        else "none (straight lines x detour factor)",
    )
    console.print(counts)
    totals = Table(title=f"Quantities per {scenario.parameters.planning_period}")
    totals.add_column("product")
    totals.add_column("kind")
    totals.add_column("demand", justify="right")
    totals.add_column("supply", justify="right")
    totals.add_column("unit")
    for product in scenario.products:
        demand = summary["demand"].get(product.id)
        supply = summary["supply"].get(product.id)
        totals.add_row(
            f"{product.name} ({product.id})",
            product.kind,
            "" if demand is None else f"{demand:,.0f}",
            "" if supply is None else f"{supply:,.0f}",
            product.unit,
        )
    console.print(totals)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "demo-output"
    ),
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Another scenario instead of the bundled default."),
    ] = None,
) -> None:
    """Run the bundled default scenario (Mecklenburg) end to end and write its results."""
    from optimizer.pipeline import run_demo

    with _guard():
        path = scenario or default_scenario_path()
        loaded = load_scenario(path)
        print_summary(loaded)
        written = run_demo(loaded, out, console=console)
    console.print(f"\nResults written to [bold]{out.resolve()}[/bold]:")
    for file in written:
        console.print(f"  {file.relative_to(out) if file.is_relative_to(out) else file}")


def main() -> None:
    """Entry point of the ``optimizer`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        errors.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
