"""``optimizer statements``: the files it writes, one line and exit code 2 for bad input,
and nothing half-written when writing fails."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from optimizer.scenario.scenario import Scenario
from optimizer.statements import language, render, statement_figures, write_statements
from tests.conftest import TINY
from tests.statements.conftest import pdf_text

runner = CliRunner()


def test_statements_writes_every_document(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = runner.invoke(app, ["statements", str(TINY), "--out", str(out), "--language", "fr"])
    assert done.exit_code == 0, done.output
    assert "3 members' statements, 1 order sheet and" in done.output
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == [
        "assembly.html", "assembly.pdf",
        "members.pdf",
        "members/001-farm-one.html", "members/001-farm-one.pdf",
        "members/002-farm-two.html", "members/002-farm-two.pdf",
        "members/003-farm-three.html", "members/003-farm-three.pdf",
        "suppliers/001-feed-mill.html", "suppliers/001-feed-mill.pdf",
    ]  # fmt: skip
    assert "Votre facture" in pdf_text(out / "members.pdf")[0]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a language no catalogue offers
        (["--language", "it"], "--language: got 'it', expected en, de, es or fr"),
        # a split rule the procurement model does not know
        (["--split", "fair"], "expected shapley, least_core, proportional"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    done = runner.invoke(app, ["statements", str(TINY), "--out", str(out), *args])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()


def test_an_out_folder_that_cannot_be_written_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    for out in (blocked, blocked / "out", Path("/proc/statements")):
        done = runner.invoke(app, ["statements", str(TINY), "--out", str(out)])
        assert done.exit_code == 2, done.output
        assert done.output.startswith("error: --out") and done.output.count("\n") == 1
    assert blocked.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        done = runner.invoke(app, ["statements", str(TINY), "--out", str(locked / "out")])
    finally:
        locked.chmod(0o700)
    assert done.exit_code == 2 and done.output.startswith("error: --out")


def test_a_failure_while_writing_leaves_nothing_half_written(
    tmp_path: Path, tiny: Scenario, tiny_run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = statement_figures(tiny_run, tiny)
    out = tmp_path / "out"
    write_statements(figures, language("en"), out, day=dt.date(2026, 1, 5))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    calls = []

    def fail_on_the_second(path: Path, text: str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    monkeypatch.setattr(render, "_write_text", fail_on_the_second)
    with pytest.raises(OSError, match="No space left"):
        write_statements(figures, language("de"), out, day=dt.date(2026, 2, 5))
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # the earlier statements, untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left
    calls.clear()
    with pytest.raises(OSError):
        write_statements(figures, language("de"), tmp_path / "new", day=dt.date(2026, 2, 5))
    assert not (tmp_path / "new").exists()


def test_user_text_is_printed_as_written(tmp_path: Path, tiny_dir: Path) -> None:
    from optimizer import load_scenario, run_model
    from tests.conftest import replace_in

    name = '<b>Farm & "One"</b>'
    coop = 'Dairy </style> "group" \\ co'
    replace_in(tiny_dir / "members.csv", "m1,Farm One", 'm 1#,"<b>Farm & ""One""</b>"')
    for table in ("demand.csv", "supply.csv"):  # an id any page anchor would choke on
        replace_in(tiny_dir / table, "m1,", "m 1#,")
    replace_in(tiny_dir / "cooperatives.csv", "Dairy group", '"Dairy </style> ""group"" \\ co"')
    scenario = load_scenario(tiny_dir)
    figures = statement_figures(run_model(scenario, "procurement"), scenario)
    out = tmp_path / "out"
    write_statements(figures, language("en"), out)
    html = (out / "members" / "001-b-farm-one-b.html").read_text(encoding="utf-8")
    assert "<b>Farm" not in html and "&lt;b&gt;Farm &amp; &#34;One&#34;&lt;/b&gt;" in html
    page = pdf_text(out / "members" / "001-b-farm-one-b.pdf")[0]
    assert name in page and coop in page  # the footer's CSS string too: the name twice
    assert page.count("Dairy </style>") == 2 and "(m 1#)" in page
    assert len(pdf_text(out / "members.pdf")) == 3


def test_the_runs_behind_the_statements_are_stored(tmp_path: Path) -> None:
    # the procurement run (and the credit run, when the scenario has credit data) that the
    # statements print are kept in the run store, with the split asked for; --no-store keeps none
    from optimizer.store import open_store

    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    args = ["statements", str(TINY), "--split", "proportional", "--level", "member"]
    done = runner.invoke(app, [*args, "--out", str(tmp_path / "a"), "--store", url])
    assert done.exit_code == 0, done.output
    assert "stored as run" in done.output
    store = open_store(url)
    kept = [store.get(r.id, inputs=False) for r in store.list()]
    assert {k.model for k in kept} >= {"procurement"}
    assert all(k.options == {"rule": "proportional", "level": "member"} for k in kept)
    assert all(k.label == "statements" for k in kept)
    again = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--store", url, "--no-store"])
    assert again.exit_code == 2 and "either --store URL or --no-store" in again.output
    quiet = runner.invoke(app, [*args, "--out", str(tmp_path / "c"), "--no-store"])
    assert quiet.exit_code == 0 and "stored as run" not in quiet.output
    assert len(store.list()) == len(kept)
    store.close()
