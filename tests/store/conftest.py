"""The runs the store's tests record: every model once on the bundled default scenario."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from optimizer.pipeline.registry import MODELS, run_model
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.store import RunStore, StoredRun, open_store
from tests.conftest import MECKLENBURG


@pytest.fixture(scope="session")
def default_scenario() -> Scenario:
    return load_scenario(MECKLENBURG)


@pytest.fixture(scope="session")
def model_runs(default_scenario: Scenario) -> dict[str, ModelRun]:
    """Each model's run on the default scenario (each adapter runs its independent checker)."""
    options = {"routes": {"iterations": 200}}
    return {m: run_model(default_scenario, m, **options.get(m, {})) for m in MODELS}


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    opened = open_store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    yield opened  # type: ignore[misc]
    opened.close()


def same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def assert_same_run(stored: StoredRun, run: ModelRun) -> None:
    """Everything a face reads of ``run`` comes back from the store unchanged."""
    assert stored.model == run.model
    assert stored.scenario_name == run.scenario
    assert stored.status is run.status
    assert stored.summary == run.summary
    assert stored.warnings == run.warnings
    assert stored.runtime_s == run.runtime_s
    assert [(k.label, k.unit, k.higher_is_better) for k in stored.kpis] == [
        (k.label, k.unit, k.higher_is_better) for k in run.kpis
    ]
    for got, want in zip(stored.kpis, run.kpis, strict=True):
        assert same_number(got.value, want.value), (got, want)
    assert list(stored.tables) == list(run.tables)
    for name, frame in run.tables.items():
        pd.testing.assert_frame_equal(stored.tables[name], frame.reset_index(drop=True))
    pd.testing.assert_frame_equal(stored.per_member, run.per_member.reset_index(drop=True))
    assert stored.value_label == run.value_label
    assert stored.value_higher_is_better == run.value_higher_is_better
    assert set(stored.layers) == set(run.layers)
    for name, features in run.layers.items():
        plain = json.loads(json.dumps(features, default=float))
        assert stored.layers[name] == plain
