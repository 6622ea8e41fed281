"""``optimizer statements``: the procurement plan on paper, in the members' language.

Solves the procurement model on a scenario and writes one page per member (PDF and HTML),
all of them in one PDF for the assembly, an order sheet per supplier and a one-page summary
for the general assembly (:mod:`optimizer.statements`). Bad input (an unknown language, a
folder that cannot be written) is one ``error:`` line and exit code 2, before any solve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from optimizer.cli._text import out_path, user_text
from optimizer.cli.runs import NoStoreOption, StoreOption, open_cli_store, record_run
from optimizer.errors import InputError

__all__ = ["statements_command"]

EXIT_BAD_INPUT = 2
_out = Console()
_err = Console(stderr=True)


def _planned(run: Any) -> bool:
    """Whether the credit model found a plan (else the statements go without schedules)."""
    return run is not None and run.status.has_solution and "schedule" in run.tables


def statements_command(
    path: Annotated[Path, typer.Argument(help="Scenario folder, .xlsx workbook or variant .yaml.")],
    out: Annotated[Path, typer.Option("--out", parser=out_path, help="Folder for the statements.")],
    language: Annotated[
        str,
        typer.Option(
            "--language", help="Language of the statements: en, de, es or fr (one per catalogue)."
        ),
    ] = "en",
    rule: Annotated[
        str,
        typer.Option(
            "--split",
            help="Split of the bill: shapley, least_core, proportional, volume, member-least-core.",
        ),
    ] = "shapley",
    level: Annotated[
        str, typer.Option("--level", help="Split among cooperatives or members.")
    ] = "cooperative",
    store: StoreOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Print the pooled order: each member's statement to sign, order sheets, a summary.

    Each member's page names the cooperative and the member, what was ordered for them and
    the price reached, their bill, what they would have paid alone, their savings, the
    rule of the split and, when the scenario has credit data, their repayment schedule; the
    figures are the procurement run's (and the credit model's), both recorded in the run
    store (labelled "statements") unless ``--no-store``.
    """
    from optimizer.io.write import check_out_folder
    from optimizer.pipeline.registry import incomplete_tables, missing_tables, run_model
    from optimizer.scenario.load import load_scenario
    from optimizer.statements import language as statement_language
    from optimizer.statements import statement_figures, write_statements

    try:
        lang = statement_language(language)
        if out.exists():
            check_out_folder(out)
        # the statements are written beside ``out`` first and moved in at the end
        check_out_folder(out.parent, "--out's folder")
        scenario = load_scenario(path)
        opened = open_cli_store(store, no_store, recording=True)
        with _out.status(f"solving procurement on {user_text(scenario.name)} ..."):
            run = run_model(scenario, "procurement", rule=rule, level=level)
        credit = None
        for incomplete in incomplete_tables(scenario):
            _out.print(f"note: {user_text(incomplete, 2000)}", highlight=False)
        if not missing_tables(scenario, "credit"):
            with _out.status("planning the credit and its repayment ..."):
                credit = run_model(scenario, "credit", procurement=run)
        if credit is not None and not _planned(credit):
            _out.print(
                f"note: the credit model found no plan ({credit.status.value}); the "
                "statements go without repayment schedules",
                markup=False,
                highlight=False,
            )
        figures = statement_figures(run, scenario, credit if _planned(credit) else None)
        with _out.status("writing the statements ...") as status:
            written = write_statements(
                figures, lang, out, progress=lambda m: status.update(f"{m} ...")
            )
        options = {"rule": rule, "level": level}
        for made in (run, credit):
            if made is not None:
                record_run(opened, made, scenario, options=options, label="statements")
    except InputError as exc:
        _err.print(f"error: {exc.first_line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    _out.print(
        f"{len(figures.members)} members' statements, {len(figures.suppliers)} order "
        f"sheet{'' if len(figures.suppliers) == 1 else 's'} "
        f"and the assembly's summary ({len(written.files)} files, {written.seconds:.1f} s) "
        f"written to {out.resolve()}",
        markup=False,
        highlight=False,
    )
