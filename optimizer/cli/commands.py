"""The ``optimizer compare`` and ``optimizer app`` commands (registered in ``cli.main``).

Bad input ends in one line on standard error and exit code 2, never a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from optimizer.cli._text import out_path
from optimizer.cli._text import user_text as _user
from optimizer.cli.runs import NoStoreOption, StoreOption
from optimizer.errors import InputError

__all__ = ["APP_FILE", "STREAMLIT_SETTINGS", "app_command", "compare_command"]

EXIT_BAD_INPUT = 2
# the app's main script, inside the package so that an installed wheel runs it from any folder
APP_FILE = Path(__file__).resolve().parents[1] / "app" / "entry.py"
# the settings of the checkout's .streamlit/config.toml, which ``streamlit run`` reads only
# from the folder it starts in: given as flags so they hold wherever the app is started
STREAMLIT_SETTINGS = {
    "server.headless": "true",
    "server.maxUploadSize": "50",  # MB; uploads are checked again by optimizer.io.upload
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",  # unexpected errors: a short message, no traceback
}

_out = Console()
_err = Console(stderr=True)


def compare_command(
    base: Annotated[
        Path, typer.Argument(help="The base scenario (folder, .xlsx or variant .yaml).")
    ],
    variants: Annotated[
        list[Path], typer.Argument(help="One or more variants to compare with the base.")
    ],
    model: Annotated[
        str, typer.Option("--model", "-m", help="The model to run: procurement, markets, ...")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", parser=out_path, help="Folder for the KPI and member tables (CSV, XLSX, text)."
        ),
    ] = None,
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Run one model on a base scenario and its variants and show them side by side."""
    from optimizer.cli.runs import open_cli_store, record_run
    from optimizer.cli.show import print_comparison
    from optimizer.io.write import check_out_folder, write_tables
    from optimizer.pipeline.compare import compare_runs
    from optimizer.pipeline.registry import run_model
    from optimizer.scenario.load import load_scenario

    try:
        if out is not None:
            check_out_folder(out)
        scenarios = [load_scenario(path) for path in (base, *variants)]
        names = _names([base, *variants])
        opened = open_cli_store(store, no_store, recording=True)
        with _out.status(f"solving {model} on {len(scenarios)} scenarios ..."):
            runs = [run_model(scenario, model) for scenario in scenarios]
            comparison = compare_runs(runs, names)
        for name, run, scenario in zip(names, runs, scenarios, strict=True):
            record_run(opened, run, scenario, label=f"compare: {name}")
    except InputError as exc:
        _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    print_comparison(comparison, model)
    if out is not None:
        tables = {"kpis": comparison.kpis, "per_member": comparison.per_member}
        written = write_tables(tables, out, workbook=f"compare-{model}.xlsx")
        summary = out / f"compare-{model}.txt"
        summary.write_text(comparison.summary() + "\n", encoding="utf-8")
        written.append(summary)
        _out.print(f"\nWritten to [bold]{_user(out.resolve(), 1000)}[/bold]:")
        for file in written:
            _out.print(f"  {_user(file.name)}")


def app_command(
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1.", min=1, max=65535)
    ] = 8501,
) -> None:
    """Start the Streamlit app on http://127.0.0.1:PORT (Ctrl+C stops it)."""
    if not APP_FILE.is_file():
        _err.print(f"error: the app ({APP_FILE}) is not installed beside the package")
        raise typer.Exit(EXIT_BAD_INPUT)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
    ]
    for key, value in STREAMLIT_SETTINGS.items():
        command += [f"--{key}", value]
    _out.print(f"coop-optimizer app on [bold]http://127.0.0.1:{port}[/bold] (Ctrl+C stops it)")
    try:
        code = subprocess.call(command)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def _names(paths: list[Path]) -> list[str]:
    names: list[str] = []
    for path in paths:
        name = path.stem if path.suffix else path.name
        while name in names:
            name += "'"
        names.append(name)
    return names
