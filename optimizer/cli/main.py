"""The ``optimizer`` command line: validate, demo, solve, compare, network, app.

Every command turns bad input into one clear message on standard error and exit code 2;
nothing here holds model logic (that is :mod:`optimizer.pipeline`).
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from optimizer import __version__
from optimizer.cli._text import out_path
from optimizer.cli._text import user_text as _user
from optimizer.cli.runs import NoStoreOption, StoreOption, open_cli_store, record_run
from optimizer.errors import InputError

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario

# Each command imports what it needs (scenarios and pandas, the models, the solvers, the roads,
# the run store) when it runs: ``optimizer --help`` and ``optimizer runs list`` start fast.

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
    """Where a bundled scenario lives: inside the installed package, or the checkout's."""
    from optimizer.scenario.bundled import bundled_scenario

    return bundled_scenario(name)


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
    """Check a scenario and print what it holds, or every problem found in it.

    With a road network, every closure must close some road and the places are checked
    against the roads: those cut off by a closure or far from any road are warned about.
    """
    from optimizer.pipeline.registry import incomplete_tables
    from optimizer.pipeline.travel import check_roads
    from optimizer.scenario.load import load_scenario

    with _guard(all_problems=True):
        scenario = load_scenario(path)
        warnings = check_roads(scenario, source=str(path))
    warnings += incomplete_tables(scenario)
    print_summary(scenario)
    for warning in warnings:
        console.print(f"[yellow]warning[/yellow]: {_user(warning, 2000)}", highlight=False)
    console.print("[green]valid[/green]: no problems found")


def print_summary(scenario: Scenario) -> None:
    """The scenario's members, products, partners and totals as terminal tables."""
    summary = scenario.summary()
    console.print(f"[bold]{_user(scenario.name)}[/bold]")
    if scenario.description:
        console.print(_user(scenario.description, 2000), highlight=False)
    counts = Table(title="Scenario", show_header=True)
    counts.add_column("what")
    counts.add_column("count", justify="right")
    for coop in scenario.cooperatives:
        n = summary["members_per_cooperative"][coop.id]
        counts.add_row(_user(f"members of {coop.name} ({coop.id})"), str(n))
    counts.add_row("members in all", str(summary["members"]))
    counts.add_row("products", str(summary["products"]))
    counts.add_row("suppliers", str(summary["suppliers"]))
    counts.add_row("buyers", str(summary["buyers"]))
    counts.add_row("hubs (existing)", f"{summary['hubs']} ({summary['existing_hubs']})")
    counts.add_row("vehicles", str(summary["vehicles"]))
    counts.add_row(
        "road network",
        _user(Path(summary["network_file"]).name)
        if summary["network_file"]
        else "none (straight lines x detour factor)",
    )
    console.print(counts)
    totals = Table(title=_user(f"Quantities per {scenario.parameters.planning_period}"))
    totals.add_column("product")
    totals.add_column("kind")
    totals.add_column("demand", justify="right")
    totals.add_column("supply", justify="right")
    totals.add_column("unit")
    for product in scenario.products:
        demand = summary["demand"].get(product.id)
        supply = summary["supply"].get(product.id)
        totals.add_row(
            _user(f"{product.name} ({product.id})"),
            product.kind,
            "" if demand is None else f"{demand:,.0f}",
            "" if supply is None else f"{supply:,.0f}",
            _user(product.unit),
        )
    console.print(totals)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", parser=out_path, help="Folder for the results.")
    ] = Path("demo-output"),
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Another scenario instead of the bundled default."),
    ] = None,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Run the bundled default scenario (Mecklenburg) end to end and write its results."""
    from optimizer.io.write import check_out_folder
    from optimizer.pipeline.demo import run_demo
    from optimizer.scenario.load import load_scenario

    with _guard():
        check_out_folder(out)
        path = scenario or default_scenario_path()
        loaded = load_scenario(path)
        opened = open_cli_store(store, no_store, recording=True)
        print_summary(loaded)
        written = run_demo(
            loaded,
            out,
            console=console,
            on_run=lambda run: record_run(opened, run, loaded, label="demo", console=console),
        )
    console.print(f"\nResults written to [bold]{_user(out.resolve(), 1000)}[/bold]:")
    for file in written:
        console.print(
            _user(file.relative_to(out) if file.is_relative_to(out) else file, 1000),
            highlight=False,
        )


@app.command()
def solve(
    path: Annotated[Path, typer.Argument(help="Scenario folder, .xlsx workbook or variant .yaml.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="procurement, markets, hubs, routes or credit.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", parser=out_path, help="Folder for the result files.")
    ] = None,
    member: Annotated[
        str | None, typer.Option("--member", help="Show this member's alternatives (markets).")
    ] = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Routing engine: pyvrp or ortools (routes).")
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            help=(
                "Seconds of search per vehicle group (routes), or for the member-least-core "
                "split (procurement, default 25, at least 10)."
            ),
        ),
    ] = None,
    rule: Annotated[
        str | None,
        typer.Option(
            "--split",
            help=(
                "Split of the bill: shapley, least_core, proportional, volume, "
                "member-least-core (procurement)."
            ),
        ),
    ] = None,
    level: Annotated[
        str | None,
        typer.Option("--level", help="Split among cooperatives or members (procurement)."),
    ] = None,
    label: Annotated[
        str | None, typer.Option("--label", help="A label for the stored run.")
    ] = None,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Solve one model on a scenario; print the plan and write CSV, XLSX, GeoJSON and JSON."""
    from optimizer.io.write import check_out_folder
    from optimizer.pipeline.registry import run_model
    from optimizer.pipeline.travel import check_roads
    from optimizer.scenario.load import load_scenario

    with _guard():
        if out is not None:
            check_out_folder(out)
        scenario = load_scenario(path)
        check_roads(scenario, source=str(path))  # closures that close nothing: before any solve
        if member is not None:
            scenario.member(member) if member in {m.id for m in scenario.members} else _no_member(
                member
            )
        options = _solve_options(model, rule, level, engine, time_limit)
        opened = open_cli_store(store, no_store, recording=True)
        with console.status(f"solving {model} on {scenario.name} ..."):
            run = run_model(scenario, model, **options)
    print_run(run, member=member)
    with _guard():
        record_run(opened, run, scenario, options=options, label=label, console=console)
    if out is not None:
        with _guard():  # a folder where a result file goes: nothing is written
            written = run.write(out)
        console.print(
            f"\n{len(written)} files written to [bold]{_user(out.resolve(), 1000)}[/bold]"
        )


def _solve_options(
    model: str, rule: str | None, level: str | None, engine: str | None, time_limit: float | None
) -> dict[str, Any]:
    """The model's options from ``solve``'s flags, each checked against the model."""
    options: dict[str, Any] = {}
    if rule is not None or level is not None:
        if model not in ("procurement", "credit"):
            raise InputError("--split and --level apply to --model procurement or credit only")
        options = {k: v for k, v in (("rule", rule), ("level", level)) if v}
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise InputError(
            f"--time-limit {time_limit}: expected a positive, finite number of seconds"
        )
    if time_limit is not None and model == "procurement":
        if (rule or "").replace("-", "_") != "member_least_core":
            raise InputError("--time-limit applies to --split member-least-core only")
        options["time_limit"] = time_limit
    elif engine is not None or time_limit is not None:
        if model != "routes":
            raise InputError(
                "--engine applies to --model routes only; --time-limit to routes and to "
                "procurement's --split member-least-core"
            )
        if engine not in (None, "pyvrp", "ortools"):
            raise InputError(f"--engine {engine}: expected pyvrp or ortools")
        options = {k: v for k, v in (("engine", engine), ("time_limit", time_limit)) if v}
    return options


def print_run(run: Any, *, member: str | None = None) -> None:
    """A model run in the terminal (:func:`optimizer.cli.show.print_run` on this console)."""
    from optimizer.cli.show import print_run as show_run

    show_run(run, member=member, console=console)


def _no_member(member: str) -> None:
    raise InputError(f"--member {member}: no member with that id in the scenario")


def _register_app_commands() -> None:
    from optimizer.cli.commands import app_command, compare_command
    from optimizer.cli.robust import robust_command
    from optimizer.cli.runs import runs_app
    from optimizer.cli.statements import statements_command
    from optimizer.cli.sweep import sweep_command

    app.command("compare")(compare_command)
    app.command("sweep")(sweep_command)
    app.command("app")(app_command)
    app.command("robust")(robust_command)
    app.command("statements")(statements_command)
    app.add_typer(runs_app, name="runs")


_register_app_commands()

network_app = typer.Typer(
    help="Road networks from OpenStreetMap: summary, places, matrices.", no_args_is_help=True
)
app.add_typer(network_app, name="network")


@network_app.command("info")
def network_info(
    file: Annotated[
        Path, typer.Argument(help="An .osm, .osm.bz2, .osm.gz, .osm.pbf or .graphml file.")
    ],
    geojson: Annotated[Path | None, typer.Option("--geojson", help="Write the roads here.")] = None,
    season: Annotated[str, typer.Option("--season", help="dry or rainy.")] = "dry",
) -> None:
    """Load a road network and print its size, kilometres by road class and what was dropped."""
    from optimizer.geo import load_network, network_frame, to_geojson
    from optimizer.io.write import check_out_file

    with _guard():
        if geojson is not None:
            check_out_file(geojson, "--geojson")
        network = load_network(
            file, season=season, progress=lambda m: console.print(f"[dim]{_user(m, 1000)}")
        )
    console.print(network.summary(), markup=False)
    console.print(network.km_by_class().round(1).to_string(), markup=False)
    if geojson is not None:
        from optimizer.io.write import OSM_ATTRIBUTION

        geojson.write_text(to_geojson(network_frame(network)), encoding="utf-8")
        console.print(f"roads written to {_user(geojson, 1000)} ({OSM_ATTRIBUTION})")


@network_app.command("places")
def network_places(
    file: Annotated[Path, typer.Argument(help="An OSM file.")],
    out: Annotated[Path, typer.Option("--out", parser=out_path, help="GeoJSON file to write.")],
) -> None:
    """Towns, villages, suburbs, markets, works and crafts of an OSM file: a new scenario's start.

    A marketplace drawn twice (node and area) is written once; a place without a name is
    named after the nearest named settlement ("marketplace near Cazeau", ``named`` false).
    """
    from optimizer.geo import places
    from optimizer.io.write import check_out_file

    with _guard():
        check_out_file(out)
        found = places(file)
    out.write_text(found.to_json(drop_id=True), encoding="utf-8")
    console.print(found["kind"].value_counts().to_string(), markup=False)
    console.print(f"{len(found)} places written to {_user(out, 1000)}")


@network_app.command("matrix")
def network_matrix(
    path: Annotated[Path, typer.Argument(help="A scenario.")],
    out: Annotated[
        Path, typer.Option("--out", parser=out_path, help="CSV file: member, buyer, km, minutes.")
    ],
) -> None:
    """Road distance and time from every member to every buyer of a scenario."""
    import pandas as pd

    from optimizer.io.write import check_out_file
    from optimizer.pipeline.travel import travel
    from optimizer.scenario.load import load_scenario

    with _guard():
        check_out_file(out)
        scenario = load_scenario(path)
        members, buyers = scenario.table("members"), scenario.table("buyers")
        trips = travel(scenario, members, buyers)
    frame = pd.DataFrame(
        {
            "member": members["id"].repeat(len(buyers)).to_numpy(),
            "buyer": list(buyers["id"]) * len(members),
            "distance_km": trips.distance_m.ravel() / 1000,
            "time_min": trips.time_s.ravel() / 60,
        }
    )
    frame.to_csv(out, index=False)
    for note in trips.warnings:
        console.print(f"[yellow]note[/yellow]: {_user(note, 2000)}")
    console.print(f"{len(frame)} pairs written to {_user(out, 1000)}")


_STOPPED: dict[int, str] = {
    signal.SIGINT: "stopped by the user",
    signal.SIGTERM: "stopped (SIGTERM)",
}


def _stop_on_signals() -> list[int]:
    """Ctrl-C and SIGTERM raise KeyboardInterrupt, and the list returned records which came.

    KeyboardInterrupt (not an exit) so that every solve ends its solver and removes its files
    on the way out. A signal the caller set to be ignored (a shell's background job) stays so.
    """
    received: list[int] = []

    def stop(signum: int, frame: object) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, stop)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)
    return received


def _stopped(received: list[int]) -> NoReturn:
    signum = received[0] if received else signal.SIGINT
    errors.print(_STOPPED[signum], markup=False, highlight=False)
    sys.exit(128 + signum)


def main() -> None:
    """Entry point of the ``optimizer`` console script.

    Stopped by Ctrl-C or SIGTERM, it prints one line and exits 130 or 143 (128 + the signal).
    """
    received = _stop_on_signals()
    try:
        app()
    except KeyboardInterrupt:
        _stopped(received)
    except SystemExit as exc:  # typer turns KeyboardInterrupt into exit code 130
        if received and exc.code not in (0, None):
            _stopped(received)
        raise
    except Exception as exc:  # a bug, not bad input: say so in one line unless asked for more
        if os.environ.get("COOP_OPTIMIZER_DEBUG"):
            raise
        errors.print(
            f"internal error: {exc.__class__.__name__}: {exc} "
            "(a bug in coop-optimizer; set COOP_OPTIMIZER_DEBUG=1 to see where)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
