"""A sweep's samples are stored as their base and their overrides; result tables as JSON."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from optimizer.store import RunStore, codec
from optimizer.store.codec import Variant
from optimizer.store.schema import scenario_tables, scenarios
from optimizer.sweep import parse_spec
from optimizer.sweep.samples import build_sample

SPEC = {
    "vary": {"fuel_price_factor": [0.9, 1.3]},
    "draw": {"prices": 0.2, "supply": 0.3, "closures": [{"name": "B 96", "probability": 0.5}]},
}


def count(store: RunStore, table: sa.Table) -> int:
    with store._connection() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_samples_are_stored_as_base_and_changes_and_rebuilt_exactly(
    store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    spec = parse_spec(SPEC, "test sweep")
    samples = [build_sample(spec, default_scenario, i, 3) for i in range(3)]
    ids = [
        store.record(model_runs["hubs"], Variant(default_scenario, s.changes), sample=s.index)
        for s in samples
    ]
    store.record(model_runs["hubs"], Variant(default_scenario, samples[0].changes))  # again
    # the base's tables once; each sample one row of its own and no tables
    assert count(store, scenarios) == 1 + 3
    with store._connection() as connection:
        tables = connection.execute(sa.select(scenario_tables.c.scenario_hash).distinct()).all()
    assert len(tables) == 1
    for run_id, sample in zip(ids, samples, strict=True):
        assert store.scenario(run_id) == sample.scenario
        stored = store.get(run_id)
        assert stored.scenario_name == sample.scenario.name
        supply = stored.inputs["tables"]["supply"]
        want = sample.scenario.table("supply")
        assert [float(q) for q in supply["quantity"]] == pytest.approx(want["quantity"].tolist())
    # deleting the runs of a base's samples deletes the base too, not before
    store.delete(ids[:2])
    assert store.scenario(ids[2]) == samples[2].scenario
    store.delete([r.id for r in store.list()])
    assert count(store, scenarios) == count(store, scenario_tables) == 0


def test_result_tables_round_trip_with_their_types() -> None:
    frame = pd.DataFrame(
        {
            "hub": ["H1", None, "H3"],
            "trucks": [1, 2, 3],
            "cost_eur": [1.5, math.nan, math.inf],
            "open": [True, False, True],
        },
        index=[5, 6, 7],
    )
    data = codec.encode_frame(frame)
    assert not data.startswith(b"PAR1")
    pd.testing.assert_frame_equal(codec.decode_frame(data), frame.reset_index(drop=True))
    empty = frame.iloc[:0]
    pd.testing.assert_frame_equal(
        codec.decode_frame(codec.encode_frame(empty)), empty.reset_index(drop=True)
    )
    # anything else (here a date, and a column mixing text and numbers) is Parquet, as before
    dated = pd.DataFrame({"day": pd.to_datetime(["2026-01-01"]), "name": ["a"]})
    data = codec.encode_frame(dated)
    assert data.startswith(b"PAR1")
    pd.testing.assert_frame_equal(codec.decode_frame(data), dated)
    mixed = pd.DataFrame({"x": pd.Series(["a", 1], dtype=object)})
    assert codec.decode_frame(codec.encode_frame(mixed))["x"].tolist() == ["a", "1"]
