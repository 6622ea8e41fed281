"""The statements of a bundled scenario end to end (slow): every member's page, one each."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer import load_scenario, run_model
from optimizer.cli.main import app
from tests.conftest import LIECHTENSTEIN
from tests.statements.conftest import money, pdf_text


@pytest.mark.slow
def test_every_member_of_a_bundled_scenario_gets_one_page(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = CliRunner().invoke(
        app, ["statements", str(LIECHTENSTEIN), "--out", str(out), "--language", "es"]
    )
    assert done.exit_code == 0, done.output
    scenario = load_scenario(LIECHTENSTEIN)
    split = run_model(scenario, "procurement").tables["split"]
    pages = pdf_text(out / "members.pdf")
    assert len(pages) == len(split) == len(list((out / "members").glob("*.pdf")))
    currency = scenario.parameters.currency
    for page, row in zip(pages, split.itertuples(index=False), strict=True):
        assert scenario.member(row.member).name in page
        for value in (row.bill, row.alone, row.savings):
            assert money(value, currency, "es") in page, (row.member, page)
    sheets = list((out / "suppliers").glob("*.pdf"))
    assert sheets and all(len(pdf_text(sheet)) == 1 for sheet in sheets)
    assert len(pdf_text(out / "assembly.pdf")) == 1
