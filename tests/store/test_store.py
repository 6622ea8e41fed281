"""The run store: every model's run and its scenario round trip; inputs are stored once."""

from __future__ import annotations

import gzip
import json
import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from optimizer.errors import InputError
from optimizer.io.geojson import lines
from optimizer.pipeline.registry import MODELS
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.variants import apply_overrides
from optimizer.store import RunStore, open_store
from optimizer.store.codec import decode_layer, encode_layer
from optimizer.store.engine import default_url
from tests.conftest import MECKLENBURG
from tests.store.conftest import assert_same_run


@pytest.mark.parametrize("model", list(MODELS))
def test_every_models_run_round_trips(
    store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario, model: str
) -> None:
    run = model_runs[model]
    run_id = store.record(run, default_scenario, options={"x": 1}, label=f"test {model}")
    stored = store.get(run_id)
    assert_same_run(stored, run)
    assert stored.id == run_id
    assert stored.label == f"test {model}"
    assert stored.options == {"x": 1}
    assert stored.verdict.startswith("passed")
    assert stored.versions["coop-optimizer"]
    assert set(stored.inputs["tables"]) >= {"products", "cooperatives", "members"}
    assert stored.inputs["roads"]["name"] == "roads.osm.bz2"
    assert store.scenario(run_id) == default_scenario
    # the run as the faces read it
    assert stored.run.kpi_values() == pytest.approx(run.kpi_values(), nan_ok=True)


def test_gap_is_the_solvers_and_none_without_a_bound(
    store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    markets = store.get(store.record(model_runs["markets"], default_scenario))
    assert markets.gap == pytest.approx(model_runs["markets"].result.gap)
    routes = store.get(store.record(model_runs["routes"], default_scenario))
    assert routes.gap is None  # a heuristic proves no bound


def test_scenario_is_rebuilt_without_the_original_files(
    tmp_path: Path, store: RunStore, model_runs: dict[str, ModelRun]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(MECKLENBURG, copy)
    scenario = load_scenario(copy)
    run_id = store.record(model_runs["hubs"], scenario)
    shutil.rmtree(copy)
    rebuilt = store.scenario(run_id)
    assert rebuilt.network.file is not None and rebuilt.network.file.is_file()
    assert rebuilt.network.file.read_bytes() == (MECKLENBURG / "roads.osm.bz2").read_bytes()
    assert rebuilt.model_copy(update={"network": scenario.network}) == scenario
    assert rebuilt.network.model_copy(update={"file": None}) == scenario.network.model_copy(
        update={"file": None}
    )


def test_identical_inputs_are_stored_once(
    tmp_path: Path, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    url = f"sqlite:///{tmp_path / 'once.sqlite'}"
    store = open_store(url)
    for _ in range(3):
        store.record(model_runs["hubs"], default_scenario)
    # the same content loaded again (another object) is the same inputs
    store.record(model_runs["markets"], load_scenario(MECKLENBURG))
    what_if = {"set": {"parameters.fuel_price_factor": 1.5}}
    store.record(model_runs["hubs"], apply_overrides(default_scenario, what_if), overrides=what_if)
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = {
            t: connection.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()
            for t in ("runs", "scenarios", "roads")
        }
    engine.dispose()
    assert count == {"runs": 5, "scenarios": 2, "roads": 1}
    listed = store.list()
    assert len({r.scenario_hash for r in listed}) == 2
    assert store.get(listed[0].id).overrides == what_if
    store.close()


def test_list_filters_and_delete(
    store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    ids = [store.record(model_runs[m], default_scenario) for m in ("hubs", "markets", "hubs")]
    assert [r.id for r in store.list()] == ids[::-1]
    assert [r.id for r in store.list(model="hubs")] == [ids[2], ids[0]]
    assert store.list(scenario="no such scenario") == []
    assert len(store.list(scenario=default_scenario.name, limit=2)) == 2
    assert store.list(since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert len(store.list(since=datetime.now(UTC) - timedelta(hours=1))) == 3
    listed = store.list(model="markets")[0]
    assert listed.kpis == pytest.approx(model_runs["markets"].kpi_values(), nan_ok=True)
    assert store.delete([ids[0], ids[1]]) == 2
    assert [r.id for r in store.list()] == [ids[2]]
    with pytest.raises(InputError, match="stored run"):
        store.delete([ids[2], 999])
    assert [r.id for r in store.list()] == [ids[2]]  # nothing deleted
    store.delete([ids[2]])
    assert store.list() == []


def test_sweeps_and_their_samples(
    store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    sweep = store.create_sweep({"grid": {"fuel_price_factor": [1, 2]}}, "hubs", "fuel")
    assert store.sweep_samples_done(sweep) == set()
    for sample in (0, 2):
        store.record(model_runs["hubs"], default_scenario, sweep_id=sweep, sample=sample)
    store.record(model_runs["hubs"], default_scenario)
    assert store.sweep_samples_done(sweep) == {0, 2}
    assert {r.sample for r in store.list(sweep_id=sweep)} == {0, 2}


def test_unknown_id_and_bad_urls_are_input_errors(store: RunStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="stored run"):
        store.get(12345)
    with pytest.raises(InputError, match="stored run"):
        store.scenario(12345)
    with pytest.raises(InputError, match="SQLAlchemy URL"):
        open_store("not a url")
    with pytest.raises(InputError, match="SQLAlchemy URL"):
        open_store("nosuchdb://x/y")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is no database" * 100)
    with pytest.raises(InputError, match="readable run store"):
        open_store(f"sqlite:///{junk}")
    with pytest.raises(InputError, match="folder"):
        open_store(f"sqlite:///{tmp_path}")


def test_tests_never_use_the_users_store() -> None:
    # tests/conftest.py points the default store at a temporary file
    assert "run-store" in default_url()


def test_a_store_damaged_after_opening_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    store = open_store(f"sqlite:///{path}")
    store.close()
    path.write_bytes(b"no longer a database" * 500)
    for wal in tmp_path.glob("damaged.sqlite-*"):
        wal.unlink()
    with pytest.raises(InputError, match="readable, writable run store"):
        store.list()


def test_until_names_and_compare_are_one_call_each(
    store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    fuel = apply_overrides(
        default_scenario, {"set": {"parameters.fuel_price_factor": 1.5}}, source="test"
    )
    hubs_fuel = MODELS["hubs"](fuel)
    ids = [
        store.record(model_runs["hubs"], default_scenario),
        store.record(model_runs["markets"], default_scenario),
        store.record(hubs_fuel, fuel),
    ]
    assert store.list(until=datetime.now(UTC) - timedelta(hours=1)) == []
    assert len(store.list(until=datetime.now(UTC) + timedelta(hours=1))) == 3
    assert store.names() == {"scenario": (default_scenario.name,), "model": ("hubs", "markets")}
    comparison = store.compare([ids[0], ids[2]])
    assert comparison.names == (f"run {ids[0]}", f"run {ids[2]}")
    # the same side by side as the runs compared in memory
    row = comparison.kpis.set_index("kpi").loc["hubs open"]
    assert row[f"run {ids[0]}"] == model_runs["hubs"].kpi_values()["hubs open"]
    assert row[f"run {ids[2]}"] == hubs_fuel.kpi_values()["hubs open"]
    with pytest.raises(InputError, match="runs of one model"):
        store.compare([ids[0], ids[1]])
    with pytest.raises(InputError, match="two or more"):
        store.compare([ids[0], ids[0]])


def test_a_layer_writes_a_shared_geometry_once_and_reads_back_as_json_would() -> None:
    path = np.array([(13.0, 53.0), (13.01, 53.002), (13.02, 53.0)])
    props = [{"member": "M1", "km": np.float64(2.5)}, {"member": "M2", "km": math.inf}]
    features = lines([path, path.copy()], props)  # two members at one road spot
    assert features[0]["geometry"] is features[1]["geometry"]
    data = encode_layer(features)
    # the same text as json.dumps of the whole list (its values were made plain: 2.5, null)
    assert gzip.decompress(data).decode() == json.dumps(features)
    back = decode_layer(data)
    assert back[1]["geometry"] == features[0]["geometry"] and back[1]["properties"]["km"] is None
    odd = [{"type": "Feature", "properties": {}, "geometry": None, "id": 7}]  # other keys
    assert decode_layer(encode_layer(odd)) == odd
