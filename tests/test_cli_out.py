"""Result folders: all files or none, readable by others, never the current folder by mistake."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer import load_scenario
from optimizer.cli.main import app
from optimizer.io.write import xlsx_bytes
from tests.conftest import replace_in

runner = CliRunner()


def _solve(scenario: Path, out: Path | str) -> object:
    args = ["solve", str(scenario), "-m", "procurement", "--no-store", "--out", str(out)]
    return runner.invoke(app, args)


def test_a_folder_where_a_result_file_goes_stops_before_anything_is_written(
    tiny_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "orders.csv").mkdir(parents=True)
    (out / "kpis.csv").write_text("old\n")
    result = _solve(tiny_dir, out)
    assert result.exit_code == 2, result.output
    assert "orders.csv" in result.output and "not a folder" in result.output
    assert (out / "kpis.csv").read_text() == "old\n"  # nothing half-written
    assert sorted(p.name for p in out.iterdir()) == ["kpis.csv", "orders.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no stage left


def test_results_are_readable_as_the_umask_says(tiny_dir: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert _solve(tiny_dir, tmp_path / "fresh").exit_code == 0
        (tmp_path / "again").mkdir()
        assert _solve(tiny_dir, tmp_path / "again").exit_code == 0
    finally:
        os.umask(old)
    for folder in ("fresh", "again"):
        files = list((tmp_path / folder).iterdir())
        assert files
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o755


def test_an_empty_out_is_refused(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for command in (
        ["solve", str(tiny_dir), "-m", "procurement", "--no-store", "--out", ""],
        ["statements", str(tiny_dir), "--no-store", "--out", " "],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "empty" in result.output
    assert list(here.iterdir()) == []


def test_control_characters_in_names_read_as_spaces(tiny_dir: Path, tmp_path: Path) -> None:
    first = load_scenario(tiny_dir).members[0]
    replace_in(tiny_dir / "members.csv", first.name, "Farm\x0bHill\x1b[31m")
    assert load_scenario(tiny_dir).members[0].name == "Farm Hill [31m"
    result = _solve(tiny_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "procurement.xlsx").stat().st_size > 0


def test_a_workbook_takes_any_text() -> None:
    import pandas as pd

    assert xlsx_bytes({"t": pd.DataFrame({"a\x01": ["x\x0by", "ok"]})})[:2] == b"PK"


def test_statements_stop_before_replacing_anything(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "members.pdf").mkdir(parents=True)
    (out / "assembly.html").write_text("old\n")
    result = runner.invoke(app, ["statements", str(tiny_dir), "--no-store", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "members.pdf" in result.output
    assert (out / "assembly.html").read_text() == "old\n"
    assert sorted(p.name for p in out.iterdir()) == ["assembly.html", "members.pdf"]


def test_a_file_saved_as_latin1_is_located(tiny_dir: Path) -> None:
    members = tiny_dir / "members.csv"
    first = load_scenario(tiny_dir).members[1]
    text = members.read_text(encoding="utf-8").replace(first.name, "Farm Müller")
    members.write_bytes(text.encode("latin-1"))
    result = runner.invoke(app, ["validate", str(tiny_dir)])
    assert result.exit_code == 2, result.output
    words = " ".join(result.output.split())
    assert "members.csv, row 3, column 'name': got 'Farm Müller'" in words
    assert "UTF-8" in words
