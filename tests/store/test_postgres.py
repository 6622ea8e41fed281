"""The run store on a real PostgreSQL server (``COOP_OPTIMIZER_TEST_PG``, a SQLAlchemy URL).

Marked ``postgres``: ``.ci/run`` starts a throw-away server and runs them; without the
variable they are skipped. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from optimizer.pipeline.registry import MODELS
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from optimizer.store import RunStore, open_store
from optimizer.store.engine import resolve_url
from tests.store.conftest import assert_same_run

pytestmark = pytest.mark.postgres

SERVER = os.environ.get("COOP_OPTIMIZER_TEST_PG")


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not SERVER:
        pytest.skip("COOP_OPTIMIZER_TEST_PG names no PostgreSQL server")
    name = f"coop_store_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(resolve_url(SERVER), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = resolve_url(SERVER).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[RunStore]:
    store = open_store(pg_url)
    yield store
    store.close()


def test_every_models_run_round_trips_on_postgres(
    pg_store: RunStore, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    ids = {m: pg_store.record(model_runs[m], default_scenario, label=m) for m in MODELS}
    for model, run_id in ids.items():
        assert_same_run(pg_store.get(run_id), model_runs[model])
        assert pg_store.scenario(run_id) == default_scenario
    assert {r.label for r in pg_store.list()} == set(MODELS)
    with pg_store._reader.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM scenarios")).scalar() == 1
        assert connection.execute(sa.text("SELECT COUNT(*) FROM roads")).scalar() == 1
    assert pg_store.delete(ids.values()) == len(ids)
    assert pg_store.list() == []


def test_sweeps_and_reopening_on_postgres(
    pg_url: str, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    store = open_store(pg_url)
    sweep = store.create_sweep({"samples": 3}, "hubs", None)
    for sample in range(3):
        store.record(model_runs["hubs"], default_scenario, sweep_id=sweep, sample=sample)
    store.close()
    reopened = open_store(pg_url)  # at the current schema: opened without migrating
    assert reopened.sweep_samples_done(sweep) == {0, 1, 2}
    reopened.close()


def test_a_first_schema_store_is_migrated_on_postgres(
    pg_url: str, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    from tests.store.test_migration import _alembic, _write_first_schema_run

    scenario = default_scenario.model_copy(
        update={"network": default_scenario.network.model_copy(update={"file": None})}
    )
    engine = sa.create_engine(resolve_url(pg_url))
    _alembic(engine, "0001")
    run_id = _write_first_schema_run(engine, model_runs["markets"], scenario)
    engine.dispose()
    store = open_store(pg_url)
    stored = store.get(run_id)
    assert stored.kpi_values() == model_runs["markets"].kpi_values()
    assert stored.layers == {} and stored.per_member.empty
    assert store.scenario(run_id) == scenario
    store.close()
