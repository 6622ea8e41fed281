"""What a worker does for one sample: build its scenario, run the model, hand back the run.

A worker (a Dask worker process, or the sweep's own process when it runs serially) keeps the
road networks it has loaded: :mod:`optimizer.pipeline.travel` keeps each open network by the
road file's hash and applies a sample's closures on it, so a road file is read once per worker,
not once per sample. The store is written by the client, never here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from optimizer.pipeline.registry import run_model
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import network_loads
from optimizer.scenario.scenario import Scenario
from optimizer.sweep.samples import Sample, build_sample
from optimizer.sweep.spec import SweepSpec

__all__ = ["SampleOutput", "run_sample"]


@dataclass(frozen=True)
class SampleOutput:
    """A sample, the model's run on it, and which process ran it (and how many road loads
    that process had made by then). ``run`` is None and ``error`` says why when the model
    failed on this sample."""

    sample: Sample
    run: ModelRun | None
    pid: int
    network_loads: int
    error: str | None = None


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
    sample = build_sample(spec, base, index, seed)
    try:
        run = run_model(sample.scenario, model, **options)
    except Exception as exc:  # one future the model fails on is reported, not the sweep's end
        error = f"{exc.__class__.__name__}: {exc}"
        return SampleOutput(sample, None, os.getpid(), network_loads(), error[:2000])
    return SampleOutput(sample, replace(run, result=None), os.getpid(), network_loads())
