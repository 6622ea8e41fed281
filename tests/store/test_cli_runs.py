"""``optimizer runs`` and the ``--store``/``--no-store`` options of solve, demo and compare."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from optimizer.store import open_store
from tests.conftest import ROOT, TINY

runner = CliRunner()


def _stored_id(output: str) -> int:
    found = re.findall(r"stored as run (\d+)", output)
    assert found, output
    return int(found[-1])


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite'}"


def test_solve_records_and_runs_show_list_export_rerun_delete(tmp_path: Path, url: str) -> None:
    out = tmp_path / "solved"
    result = runner.invoke(
        app, ["solve", str(TINY), "-m", "markets", "--out", str(out), "--store", url]
    )
    assert result.exit_code == 0, result.output
    run_id = _stored_id(result.output)

    listed = runner.invoke(app, ["runs", "list", "--store", url, "--model", "markets"])
    assert listed.exit_code == 0, listed.output
    assert "Tiny" in listed.output and "markets" in listed.output
    assert re.search(rf"^[│┃]\s*{run_id}\s*[│┃]", listed.output, re.MULTILINE)
    assert "Tiny" not in runner.invoke(app, ["runs", "list", "--store", url, "-m", "hubs"]).output

    shown = runner.invoke(app, ["runs", "show", str(run_id), "--store", url])
    assert shown.exit_code == 0, shown.output
    assert "Key figures" in shown.output and "passed" in shown.output

    exported = tmp_path / "exported"
    result = runner.invoke(
        app, ["runs", "export", str(run_id), "--out", str(exported), "--store", url]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in exported.iterdir()) == sorted(p.name for p in out.iterdir())
    assert (exported / "markets.json").read_text() == (out / "markets.json").read_text()

    again = runner.invoke(app, ["runs", "rerun", str(run_id), "--store", url])
    assert again.exit_code == 0, again.output
    assert "same answer" in again.output
    rerun_id = _stored_id(again.output)

    compared = runner.invoke(app, ["runs", "compare", str(run_id), str(rerun_id), "--store", url])
    assert compared.exit_code == 0, compared.output
    assert f"run {rerun_id}" in compared.output and "income" in compared.output

    deleted = runner.invoke(app, ["runs", "delete", str(run_id), str(rerun_id), "--store", url])
    assert deleted.exit_code == 0 and "2 run(s) deleted" in deleted.output
    assert open_store(url).list() == []


def test_no_store_records_nothing_and_demo_compare_record(tmp_path: Path, url: str) -> None:
    result = runner.invoke(app, ["solve", str(TINY), "-m", "procurement", "--no-store"])
    assert result.exit_code == 0, result.output
    assert "stored as run" not in result.output
    result = runner.invoke(
        app, ["demo", "--scenario", str(TINY), "--out", str(tmp_path / "demo"), "--store", url]
    )
    assert result.exit_code == 0, result.output
    variant = ROOT / "tests" / "data" / "tiny"
    result = runner.invoke(
        app, ["compare", str(TINY), str(variant), "-m", "procurement", "--store", url]
    )
    assert result.exit_code == 0, result.output
    labels = [r.label for r in open_store(url).list()]
    assert labels.count("demo") == 4
    assert sorted(label for label in labels if label.startswith("compare")) == [
        "compare: tiny",
        "compare: tiny'",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "show", "999"],
        ["runs", "export", "999", "--out", "OUT"],
        ["runs", "rerun", "999"],
        ["runs", "delete", "1", "999"],
        ["runs", "compare", "1"],
        ["runs", "list", "--since", "yesterday"],
        ["runs", "list", "--store", "not a url"],
        ["solve", str(TINY), "-m", "markets", "--store", "x://", "--no-store"],
        ["solve", str(TINY), "-m", "markets", "--store", "not a url"],
    ],
)
def test_bad_ids_and_stores_are_one_line_and_exit_2(
    tmp_path: Path, url: str, args: list[str]
) -> None:
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    if "--store" not in args:
        args += ["--store", url]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_a_default_store_that_cannot_be_made_does_not_stop_a_solve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("x")
    monkeypatch.delenv("COOP_OPTIMIZER_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocked))
    result = runner.invoke(app, ["solve", str(TINY), "-m", "procurement"])
    assert result.exit_code == 0, result.output
    assert "this run is not recorded" in result.output
    # reading the store, or a store named on purpose, is still an error
    assert runner.invoke(app, ["runs", "list"]).exit_code == 2
    monkeypatch.setenv("COOP_OPTIMIZER_STORE", f"sqlite:///{blocked}/runs.sqlite")
    assert runner.invoke(app, ["solve", str(TINY), "-m", "procurement"]).exit_code == 2


def test_runs_list_wraps_long_names_in_80_columns(url: str) -> None:
    label = "baseline for the spring fertiliser order of the three cooperatives"
    result = runner.invoke(
        app, ["solve", str(TINY), "-m", "markets", "--store", url, "--label", label]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["runs", "list", "--store", url], terminal_width=80)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in listed.output  # nothing cut
    cells = " ".join(re.findall(r"[^│┃\s]+", listed.output))
    for word in [*label.split(), "Tiny", "test", "scenario", "markets", "optimal,"]:
        assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", cells), word  # whole words
