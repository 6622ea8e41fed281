"""A solve ends with the command line that asked for it (issue 12 §5).

Each test starts the real command line (``python -m optimizer solve``) on a procurement
problem that keeps a solver busy for well over a minute, stops it with a signal, and looks in
/proc and in the temporary folder for what survived. Before the fix CBC kept solving after
SIGTERM and SIGKILL and left its ``.mps`` file behind, and Ctrl-C during a HiGHS solve was
ignored until the solve ended.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from optimizer.solver import solve_milp
from tests.conftest import ROOT, TINY
from tests.test_solver import check_knapsack, knapsack

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]


def busy_scenario(folder: Path, *, members: int = 150, products: int = 12, seed: int = 0) -> Path:
    """The tiny scenario with a pooled order big enough to keep a MILP solver busy."""
    shutil.copytree(TINY, folder)
    rng = np.random.default_rng(seed)
    suppliers, brackets = 5, 4

    def place(lat: float, lon: float, d_lat: float, d_lon: float) -> list[float]:
        return [round(lat + rng.uniform(0, d_lat), 4), round(lon + rng.uniform(0, d_lon), 4)]

    def write(name: str, header: list[str], rows: list[list[object]]) -> None:
        with open(folder / name, "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows([header, *rows])

    write(
        "members.csv",
        ["id", "name", "cooperative", "lat", "lon", "tags"],
        [
            [f"m{i}", f"Farm {i}", "dairy" if i % 2 else "grain", *place(53.4, 13.0, 0.4, 0.6), ""]
            for i in range(1, members + 1)
        ],
    )
    weight = rng.choice([25.0, 40.0, 50.0], size=products)
    base = rng.uniform(0.3, 1.2, size=products) * weight
    write(
        "products.csv",
        ["id", "name", "unit", "weight_kg", "kind", "perishability_h"],
        [[f"p{k}", f"Input {k}", "bag", weight[k], "input", ""] for k in range(products)]
        + [["milk", "Raw milk", "kg", 1, "produce", 3], ["wheat", "Wheat", "kg", 1, "produce", ""]],
    )
    demand, total = [], np.zeros(products)
    for i in range(1, members + 1):
        for k in range(products):
            if rng.random() < 0.5:
                quantity = max(1.0, float(np.round(rng.lognormal(2.0, 0.8))))
                total[k] += quantity
                demand.append([f"m{i}", f"p{k}", quantity, round(base[k] * 1.1, 2)])
    write("demand.csv", ["member", "product", "quantity", "local_price"], demand)
    write(
        "suppliers.csv",
        ["id", "name", "lat", "lon", "truck_payload_kg", "cost_per_trip", "cost_per_km"],
        [
            [f"s{j}", f"Mill {j}", *place(53.3, 12.8, 0.6, 1.0), 2000, rng.uniform(40, 90), 1.5]
            for j in range(suppliers)
        ],
    )
    offers, steps = [], []
    for j in range(suppliers):
        for k in range(products):
            kind = "incremental" if rng.random() < 0.5 else "all_units"
            offers.append([f"s{j}", f"p{k}", kind, 0, round(total[k] * rng.uniform(0.3, 0.9)) + 1])
            cut = np.sort(rng.uniform(0.02, 0.6, brackets - 1)) * total[k]
            thresholds = np.r_[0.0, np.round(cut + 3 * np.arange(1, brackets))]
            first = base[k] * rng.uniform(0.85, 0.98)
            prices = np.r_[first, first * np.cumprod(1 - rng.uniform(0.02, 0.07, brackets - 1))]
            steps += [
                [f"s{j}", f"p{k}", t, round(p, 2)] for t, p in zip(thresholds, prices, strict=True)
            ]
    write("offers.csv", ["supplier", "product", "discount", "min_order", "capacity"], offers)
    write("brackets.csv", ["supplier", "product", "threshold", "unit_price"], steps)
    (folder / "scenario.yaml").write_text(
        "name: Busy\nparameters:\n  time_limit_s: 120\n  drop_point: farm_gate\n",
        encoding="utf-8",
    )
    return folder


def start_cli(scenario: Path, tmp: Path, solver: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp), COOP_OPTIMIZER_SOLVER=solver)
    return subprocess.Popen(
        [sys.executable, "-m", "optimizer", "solve", str(scenario), "-m", "procurement"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def processes_using(tmp: Path) -> list[int]:
    """Processes whose command line names ``tmp`` (CBC reads its model from there)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(tmp) in (entry / "cmdline").read_text(errors="replace"):
                found.append(int(entry.name))
        except OSError:  # ended meanwhile
            continue
    return found


def children(pid: int) -> list[str]:
    """The program names of the child processes of ``pid``."""
    names = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[1]) == pid:
                names.append((entry / "comm").read_text().strip())
        except (OSError, IndexError):
            continue
    return names


def wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def end(process: subprocess.Popen[str], timeout: float) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"the command line did not stop within {timeout} s")
    return process.returncode, err, time.monotonic() - started


@pytest.fixture
def busy(tmp_path: Path) -> Path:
    return busy_scenario(tmp_path / "busy")


@pytest.mark.parametrize(
    ("signum", "code", "line"),
    [
        (signal.SIGINT, 130, "stopped by the user"),
        (signal.SIGTERM, 143, "stopped (SIGTERM)"),
        (signal.SIGKILL, -signal.SIGKILL, None),
    ],
)
def test_cbc_ends_with_the_command_line(
    busy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signum: int,
    code: int,
    line: str | None,
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    process = start_cli(busy, tmp, "cbc")
    assert wait_until(lambda: "cbc" in children(process.pid), 60), "CBC never started"
    assert any(p.suffix == ".mps" for p in tmp.rglob("*"))  # CBC's model is in TMPDIR
    process.send_signal(signum)
    returncode, err, _ = end(process, 30)
    assert returncode == code, err
    if line is not None:
        assert err.strip() == line
    assert wait_until(lambda: not processes_using(tmp), 5), "CBC still runs"
    if signum == signal.SIGKILL:  # nothing could clean up: the next CBC solve does
        assert list(tmp.iterdir())
        monkeypatch.setattr(tempfile, "tempdir", str(tmp))
        problem, x = knapsack()
        assert solve_milp(problem, solver="cbc", time_limit=10).objective == pytest.approx(23)
        assert check_knapsack(x) == pytest.approx(23)
    assert list(tmp.rglob("*")) == []


def test_ctrl_c_stops_a_long_highs_solve_within_seconds(busy: Path, tmp_path: Path) -> None:
    process = start_cli(busy, tmp_path, "highs")
    time.sleep(8)  # loading takes about 2 s; the solve takes minutes
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    returncode, err, took = end(process, 20)
    assert returncode == 130, err
    assert err.strip() == "stopped by the user"
    assert took < 5, f"took {took:.1f} s to stop"
