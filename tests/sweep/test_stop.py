"""Ctrl+C on ``optimizer sweep`` on a local Dask cluster: exit 130, finished samples kept in
the store, and ``--resume`` runs only the missing ones."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer.store import open_store
from tests.conftest import ROOT, TINY

SAMPLES = 30


def _sweep(*args: str) -> list[str]:
    command = "from optimizer.cli.main import main; main()"
    return [sys.executable, "-c", command, "sweep", str(TINY), "-m", "hubs", *args]


@pytest.mark.slow
def test_ctrl_c_keeps_finished_samples_and_resume_runs_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    flags = [
        "--samples",
        str(SAMPLES),
        "--seed",
        "4",
        "--vary",
        "fuel_price_factor=0.8:1.6:3",
        "--draw",
        "supply=0.3",
        "--store",
        url,
    ]
    process = subprocess.Popen(
        _sweep(*flags, "--workers", "1"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = open_store(url)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if store.sweep_samples_done(1):
                break
        except Exception:  # the store is being created by the sweep
            pass
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, out + err
    assert "stopped:" in err and "--resume 1" in err
    kept = store.sweep_samples_done(1)
    assert 0 < len(kept) < SAMPLES
    before = {s.id for s in store.list(sweep_id=1)}
    finished = subprocess.run(
        _sweep(*flags, "--workers", "0", "--resume", "1"),
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert f"({len(kept)} finished before)" in finished.stdout
    runs = store.list(sweep_id=1)
    assert sorted(r.sample for r in runs) == list(range(SAMPLES))  # each sample once
    assert before <= {r.id for r in runs}  # the kept runs were not redone
