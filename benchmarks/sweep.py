"""Sweeps: a 200-sample hubs sweep on the default scenario, in a plain loop and on Dask.

Usage::

    python benchmarks/run.py sweep [--samples 200 --seed 1] [--model hubs] \\
        [--out results/sweep.json]

Four runs of the same samples, one after the other, ratios in one run:

- ``loop``: build each sample and run the model in a plain loop in this process (no store, no
  Dask): the baseline;
- ``store``: the same loop through ``run_sweep(workers=0)``, every sample recorded in a new
  run store (SQLite in a temporary folder): the store's overhead;
- ``dask_1``: a local Dask cluster of one worker process, recorded in the store: the overhead
  of the store and of Dask together against the loop (target < 5 %);
- ``dask_2``: two worker processes: throughput against ``dask_1`` (target >= 1.8x).

Every run's KPIs must equal the loop's (the samples are the same whoever runs them). The
targets are per sample, so overheads and the speed-up compare the time the samples took: a
Dask run's wall-clock time less its set-up (``setup_s``: starting the cluster, every worker
loading the roads and solvers, as the loop's process did before it started, and closing it),
which a sweep pays once; the figures with the set-up are reported beside them. Beside the
wall-clock times, which a busy machine distorts, each run reports CPU seconds, which it does
not: per sample where the samples ran (``worker_cpu_ms``), and this process's own
(``client_cpu_s``: the loop, or the client, the recorder and, for a local cluster, the
scheduler). The sweep varies the fuel price (a grid of 5)
and the season, and draws prices (±20 % per product), supply (±30 % per member), the B 96
closed with probability 0.3 and a missing buyer with probability 0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from optimizer.pipeline.registry import run_model
from optimizer.scenario.bundled import bundled_scenario
from optimizer.scenario.load import load_scenario
from optimizer.sweep import parse_spec
from optimizer.sweep.record import MemoryRecorder, Recorder
from optimizer.sweep.run import SweepRun, run_sweep
from optimizer.sweep.samples import build_sample, check_spec

SPEC = {
    "vary": {"fuel_price_factor": "0.8:1.6:5", "season": ["dry", "rainy"]},
    "draw": {
        "prices": 0.2,
        "supply": 0.3,
        "closures": [{"name": "B 96", "probability": 0.3}],
        "buyer_missing": 0.1,
    },
}


def _recorder(folder: Path) -> tuple[Recorder, str]:
    """A new run store in ``folder``, or memory when the store is not installed."""
    try:
        from optimizer.sweep.record import open_recorder

        return open_recorder(f"sqlite:///{folder / 'runs.sqlite'}"), "sqlite"
    except ImportError:
        return MemoryRecorder(), "memory (optimizer.store not installed)"


def _loop(
    spec: Any, base: Any, model: str, n: int, seed: int
) -> tuple[float, float, dict[int, dict[str, float]]]:
    """The plain loop: wall and CPU seconds, and the KPIs of each sample the model solves (a
    failing one is left out, as the sweep leaves it out)."""
    started, cpu = time.perf_counter(), time.process_time()
    kpis = {}
    for index in range(n):
        sample = build_sample(spec, base, index, seed)
        try:
            kpis[index] = run_model(sample.scenario, model).kpi_values()
        except Exception as exc:
            print(f"loop: sample {index} failed: {exc.__class__.__name__}: {exc}")
    return time.perf_counter() - started, time.process_time() - cpu, kpis


def _timed(**kwargs: Any) -> tuple[float, float, SweepRun]:
    """Wall and this process's CPU seconds of a sweep, and the sweep."""
    started, cpu = time.perf_counter(), time.process_time()
    run = run_sweep(**kwargs)
    return time.perf_counter() - started, time.process_time() - cpu, run


def _same(expected: dict[int, dict[str, float]], run: SweepRun) -> bool:
    if [r.index for r in run.results] != sorted(expected):
        return False
    return all(
        abs(expected[r.index][k] - r.kpis[k]) <= 1e-9 * max(1.0, abs(expected[r.index][k]))
        for r in run.results
        for k in expected[r.index]
    )


def main(name: str = "sweep", argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"benchmarks/run.py {name}")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="hubs")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    base = load_scenario(bundled_scenario("mecklenburg"))
    spec = parse_spec(SPEC, "benchmark sweep")
    check_spec(spec, base)
    n, seed, model = args.samples, args.seed, args.model
    run_model(base, model)  # roads loaded and parsed once, as a worker's first sample does
    figures: dict[str, Any] = {"samples": n, "model": model, "cpus": os.cpu_count()}
    figures["loop_s"], figures["loop_cpu_s"], expected = _loop(spec, base, model, n, seed)
    figures["failed_samples"] = sorted(set(range(n)) - set(expected))
    print(
        f"loop: {figures['loop_s']:.1f} s ({figures['loop_s'] / n * 1000:.0f} ms a sample), "
        f"CPU {figures['loop_cpu_s'] / n * 1000:.0f} ms a sample"
    )
    with tempfile.TemporaryDirectory() as folder:
        common = {"spec": spec, "base": base, "model": model, "n": n, "seed": seed}
        for case, workers in (("store", 0), ("dask_1", 1), ("dask_2", 2)):
            recorder, kind = _recorder(Path(folder) / case)
            figures["store"] = kind
            seconds, client, run = _timed(**common, workers=workers, recorder=recorder)
            figures[f"{case}_s"] = seconds
            figures[f"{case}_setup_s"] = run.setup_s
            figures[f"{case}_samples_s"] = seconds - run.setup_s
            figures[f"{case}_client_cpu_s"] = client
            figures[f"{case}_worker_cpu_ms"] = run.worker_cpu_s / n * 1000
            figures[f"{case}_equal_to_loop"] = _same(expected, run)
            figures[f"{case}_load"] = os.getloadavg()[0]
            print(
                f"{case}: {seconds:.1f} s (set-up {run.setup_s:.1f} s), "
                f"CPU per sample {run.worker_cpu_s / n * 1000:.0f} ms "
                f"where run, this process {client:.1f} s ({client / n * 1000:.0f} ms a sample); "
                f"load {os.getloadavg()[0]:.1f}; KPIs equal to the loop: {_same(expected, run)}"
            )
    loop = figures["loop_s"]
    figures["store_overhead_pct"] = 100 * (figures["store_samples_s"] - loop) / loop
    figures["store_and_dask_overhead_pct"] = 100 * (figures["dask_1_samples_s"] - loop) / loop
    figures["speedup_2_vs_1"] = figures["dask_1_samples_s"] / figures["dask_2_samples_s"]
    figures["store_and_dask_overhead_with_setup_pct"] = 100 * (figures["dask_1_s"] - loop) / loop
    figures["speedup_2_vs_1_with_setup"] = figures["dask_1_s"] / figures["dask_2_s"]
    # what load does not distort: the CPU the store adds to a sample, and the client's share
    store_cpu = figures["store_client_cpu_s"] - figures["loop_cpu_s"]  # both run in here
    figures["store_cpu_overhead_pct"] = 100 * store_cpu / figures["loop_cpu_s"]
    figures["dask_client_cpu_pct"] = 100 * figures["dask_2_client_cpu_s"] / figures["loop_cpu_s"]
    print(
        f"store overhead {figures['store_overhead_pct']:+.1f} %, store + Dask (1 worker) "
        f"{figures['store_and_dask_overhead_pct']:+.1f} % (target < 5 %); "
        f"2 workers vs 1: {figures['speedup_2_vs_1']:.2f}x (target >= 1.8x), per sample; "
        f"with the cluster's set-up {figures['store_and_dask_overhead_with_setup_pct']:+.1f} % "
        f"and {figures['speedup_2_vs_1_with_setup']:.2f}x; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"CPU: the store adds {figures['store_cpu_overhead_pct']:+.1f} % to the loop's CPU; "
        f"the Dask client, scheduler and recorder use {figures['dask_client_cpu_pct']:.1f} % "
        "of it (2 workers)"
    )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    ok = all(figures[f"{c}_equal_to_loop"] for c in ("store", "dask_1", "dask_2"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main("sweep", sys.argv[1:]))
