"""What a worker does for one sample: build its scenario, run the model, hand back the run.

A worker (a Dask worker process, or the sweep's own process when it runs serially) keeps the
road networks it has loaded: :mod:`optimizer.pipeline.travel` keeps each open network by the
road file's hash and applies a sample's closures on it, so a road file is read once per worker,
not once per sample. The store is written by the client, never here; what comes back is the
run and the sample's overrides, never its scenario (the client keeps a sample as its base and
those overrides).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from optimizer.pipeline.registry import run_model
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import network_loads, road_network
from optimizer.scenario.scenario import Scenario
from optimizer.sweep.samples import build_sample
from optimizer.sweep.spec import SweepSpec

__all__ = ["SampleOutput", "prepare", "run_sample", "run_samples"]


@dataclass(frozen=True)
class SampleOutput:
    """A sample's number, what varied (``overrides``) and the variant overrides that made it
    from the base (``changes``), the model's run on it, and which process ran it (with how
    many road loads that process had made by then, and the CPU seconds the sample took
    there). ``run`` is None and ``error`` says why when the model failed on this sample."""

    index: int
    overrides: Mapping[str, Any]
    changes: Mapping[str, Any]
    run: ModelRun | None
    pid: int
    network_loads: int
    error: str | None = None
    cpu_s: float = 0.0


def run_sample(
    spec: SweepSpec,
    base: Scenario,
    index: int,
    seed: int,
    model: str,
    options: dict[str, Any],
) -> SampleOutput:
    """Build sample ``index`` and run ``model`` on it.

    The run's ``result`` (the model's own objects) stays here: the tables, KPIs and per-member
    figures carry everything the store and the sweep's results read. A sample the spec makes
    invalid is an InputError (the spec is wrong); a model failing on a valid sample is
    reported in ``error`` and the sweep goes on.
    """
    started = time.process_time()
    sample = build_sample(spec, base, index, seed)
    head = (sample.index, sample.overrides, sample.changes)
    try:
        run = run_model(sample.scenario, model, **options)
    except Exception as exc:  # one future the model fails on is reported, not the sweep's end
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        cpu = time.process_time() - started
        return SampleOutput(*head, None, os.getpid(), network_loads(), error, cpu)
    cpu = time.process_time() - started
    return SampleOutput(*head, replace(run, result=None), os.getpid(), network_loads(), None, cpu)


def run_samples(
    spec: SweepSpec,
    base: Scenario,
    indices: list[int],
    seed: int,
    model: str,
    options: dict[str, Any],
) -> list[SampleOutput]:
    """:func:`run_sample` for each of ``indices`` (one Dask task for a few samples)."""
    return [run_sample(spec, base, i, seed, model, options) for i in indices]


def prepare(base: Scenario) -> int:
    """Load ``base``'s road network in this worker, as its first sample would (importing this
    module has loaded the models' code); the number of road networks this process has
    loaded."""
    road_network(base)
    return network_loads()
