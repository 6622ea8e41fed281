"""Run store benchmark: the time to record a run, and to list a store of 10,000 runs.

    python benchmarks/store.py [--runs 10000] [--records 10] [--url URL]

1. Runs every model once on the bundled default scenario and records each run ``--records``
   times into a fresh store (SQLite in a temporary folder unless ``--url`` names one): the
   record overhead per run, in ms, beside the model's own solve time.
2. Fills the store to ``--runs`` runs by copying those runs' rows and KPIs (not their tables:
   listing never reads them), then times ``store.list()`` (the 50 newest, as
   ``optimizer runs list`` shows them, and all of them with their KPIs) and the
   ``optimizer runs list`` command itself: in-process, and as a new process (which adds the
   interpreter's start and the package's imports), with that process's CPU seconds, which a
   busy machine does not distort.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.pipeline.registry import MODELS, run_model  # noqa: E402
from optimizer.scenario.bundled import bundled_scenario  # noqa: E402
from optimizer.scenario.load import load_scenario  # noqa: E402
from optimizer.store import RunStore, open_store  # noqa: E402
from optimizer.store.schema import run_kpis, runs  # noqa: E402


def _timed(call: Callable[[], object], repeat: int = 5) -> float:
    """The median wall-clock seconds of ``call()`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _child_cpu(command: list[str], repeat: int = 3) -> float:
    """The median CPU seconds (user + system) of ``command`` run as a new process: what a
    busy machine does not stretch, unlike its wall-clock time."""
    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times)


def record_overhead(store: RunStore, records: int) -> list[tuple[str, float, float]]:
    """Per model: its solve time (s) and the median time to record its run (ms)."""
    scenario = load_scenario(bundled_scenario("mecklenburg"))
    rows = []
    for model in MODELS:
        options = {"iterations": 2000} if model == "routes" else {}
        run = run_model(scenario, model, **options)
        store.record(run, scenario, options=options)
        seconds = _timed(lambda: store.record(run, scenario, options=options), records)  # noqa: B023
        rows.append((model, run.runtime_s, 1000 * seconds))
    return rows


def fill(url: str, total: int) -> int:
    """Copy the stored runs' rows and KPIs until the store holds ``total`` runs."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        seeds = [dict(r._mapping) for r in connection.execute(sa.select(runs))]
        kpis: dict[int, list[dict[str, object]]] = {}
        for row in connection.execute(sa.select(run_kpis)):
            kpis.setdefault(row.run_id, []).append(dict(row._mapping))
        have = len(seeds)
        next_id = max(r["id"] for r in seeds) + 1
        new_runs, new_kpis = [], []
        for i in range(total - have):
            seed = seeds[i % len(seeds)]
            new_runs.append({**seed, "id": next_id + i, "label": f"copy {i}"})
            new_kpis += [{**k, "run_id": next_id + i} for k in kpis[seed["id"]]]
        for start in range(0, len(new_runs), 2000):
            connection.execute(sa.insert(runs), new_runs[start : start + 2000])
        for start in range(0, len(new_kpis), 20000):
            connection.execute(sa.insert(run_kpis), new_kpis[start : start + 20000])
        count = connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one()
    engine.dispose()
    return int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=10)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="store-bench-")
    url = args.url or f"sqlite:///{folder}/runs.sqlite"
    store = open_store(url)
    print("| model | solve (s) | record (ms) | record / solve |")
    print("|---|---:|---:|---:|")
    for model, solve_s, record_ms in record_overhead(store, args.records):
        print(f"| {model} | {solve_s:.2f} | {record_ms:.0f} | {record_ms / 10 / solve_s:.1f} % |")
    count = fill(url, args.runs)
    from typer.testing import CliRunner

    from optimizer.cli.main import app

    runner = CliRunner()
    command = ["runs", "list", "--store", url]
    assert runner.invoke(app, command).exit_code == 0
    newest = _timed(lambda: store.list(limit=51))
    every = _timed(store.list, 3)
    in_process = _timed(lambda: runner.invoke(app, command))
    cold = _timed(
        lambda: subprocess.run(
            [sys.executable, "-m", "optimizer", *command], check=True, capture_output=True
        ),
        3,
    )
    cold_cpu = _child_cpu([sys.executable, "-m", "optimizer", *command])
    imports = _timed(
        lambda: subprocess.run([sys.executable, "-c", "import optimizer.cli.main"], check=True),
        3,
    )
    print(f"\n{count:,} runs in {url}")
    print("| what | seconds |")
    print("|---|---:|")
    print(f"| store.list(limit=51): the 50 newest with their KPIs | {newest:.3f} |")
    print(f"| store.list(): all {count:,} runs with their KPIs | {every:.3f} |")
    print(f"| `optimizer runs list` in process (the answer) | {in_process:.3f} |")
    print(f"| `optimizer runs list` as a new process | {cold:.3f} |")
    print(f"| of which starting Python and importing the package | {imports:.3f} |")
    print(f"| `optimizer runs list` as a new process, its CPU seconds | {cold_cpu:.3f} |")
    print(f"\nload average {os.getloadavg()[0]:.1f}")
    store.close()


if __name__ == "__main__":
    main()
