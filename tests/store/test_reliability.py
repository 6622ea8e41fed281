"""Concurrent writers lose nothing; a writer killed mid-write leaves a readable store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from optimizer.store import open_store
from tests.conftest import ROOT
from tests.store.writer import synthetic_run

WRITERS = 4
RUNS_EACH = 50


def _writer(url: str, name: str, count: int, start: Path | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.store.writer", url, name, str(count)]
    if start is not None:
        command.append(str(start))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def test_four_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    start = tmp_path / "start"
    writers = [_writer(url, f"w{i}", RUNS_EACH, start) for i in range(WRITERS)]
    time.sleep(1.0)
    start.touch()
    reported: set[tuple[str, int, int]] = set()
    for process in writers:
        out, _ = process.communicate(timeout=600)
        assert process.returncode == 0
        for line in out.splitlines():
            name, sample, run_id = line.split()
            reported.add((name, int(sample), int(run_id)))
    assert len(reported) == WRITERS * RUNS_EACH
    store = open_store(url)
    listed = store.list()
    assert len(listed) == WRITERS * RUNS_EACH
    assert {(r.label, r.sample, r.id) for r in listed} == reported
    for name in (f"w{i}" for i in range(WRITERS)):
        assert sorted(r.sample for r in listed if r.label == name) == list(range(RUNS_EACH))
    # every run whole: its KPI and its table
    for summary in listed[:: len(listed) // 10]:
        stored = store.get(summary.id)
        assert stored.kpi_values() == {"sample": summary.sample}
        assert len(stored.tables["values"]) == 20_000
    store.close()


def _kill_while_writing(url: str, delay: float) -> list[int]:
    """Start a writer, let it commit a few runs, SIGKILL it ``delay`` s later; its run ids."""
    process = _writer(url, f"victim-{delay}", 0)
    assert process.stdout is not None
    committed: list[int] = []
    for line in process.stdout:
        committed.append(int(line.split()[2]))
        if len(committed) >= 4:
            break
    time.sleep(delay)  # somewhere inside a later record: encoding it, or writing it
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    committed += [int(line.split()[2]) for line in process.stdout.read().splitlines()]
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return committed


def test_a_writer_killed_mid_write_leaves_every_committed_run(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    url = f"sqlite:///{path}"
    open_store(url).close()
    committed: list[int] = []
    # three kills at different moments of the record's cycle, on the same store
    for delay in (0.013, 0.037, 0.071):
        committed += _kill_while_writing(url, delay)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = open_store(url)
    listed = {r.id: r for r in store.list()}
    assert set(committed) <= set(listed)
    for run_id in listed:  # the committed ones, each whole, and nothing half-written
        stored = store.get(run_id)
        assert len(stored.tables["values"]) == 20_000
        assert stored.kpi_values() == {"sample": float(stored.sample or 0)}
    # and the store takes new runs
    scenario = store.scenario(committed[0])
    new = store.record(synthetic_run("after", 0), scenario)
    assert store.get(new).summary == "after sample 0"
    store.close()
