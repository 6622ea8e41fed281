"""A writer process for the store's reliability tests: records runs and prints each id.

``python -m tests.store.writer URL NAME COUNT [START_FILE]`` records COUNT runs (COUNT 0:
until killed) of the tiny scenario labelled NAME, each with a large table so that a good part
of its time is spent inside the write, and prints ``NAME SAMPLE ID`` once each run is
committed. With START_FILE it waits for that file first, so that writers start together.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from optimizer.scenario.load import load_scenario
from optimizer.store import open_store

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def synthetic_run(name: str, sample: int, rows: int = 20_000) -> ModelRun:
    """A run with a KPI naming its writer and sample, and one table of ``rows`` rows."""
    values = np.random.default_rng(sample).random(rows)
    return ModelRun(
        model="hubs",
        scenario="Tiny test scenario",
        status=Status.OPTIMAL,
        summary=f"{name} sample {sample}",
        kpis=(Kpi("sample", float(sample), "", None),),
        tables={"values": pd.DataFrame({"value": values, "writer": name})},
    )


def main(url: str, name: str, count: int, start: str | None = None) -> None:
    scenario = load_scenario(TINY)
    store = open_store(url)
    if start is not None:
        while not Path(start).exists():
            time.sleep(0.01)
    samples = range(count) if count else itertools.count()
    for sample in samples:
        run_id = store.record(synthetic_run(name, sample), scenario, label=name, sample=sample)
        print(name, sample, run_id, flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
