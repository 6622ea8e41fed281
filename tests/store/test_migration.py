"""A store written by the previous schema is migrated when opened, never rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from optimizer.errors import InputError
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from optimizer.store import codec, open_store
from optimizer.store.engine import MIGRATIONS, current_revision
from optimizer.store.schema import HEAD, run_kpis, run_tables, runs, scenario_tables, scenarios


def _alembic(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _write_first_schema_run(engine: sa.Engine, run: ModelRun, scenario: Scenario) -> int:
    """A run as the first schema's code wrote it: no layers, no per-member table."""
    packed = codec.pack_scenario(scenario)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        settings = codec.dumps(packed.settings)
        connection.execute(
            sa.insert(scenarios).values(
                hash=packed.hash, name=packed.name, settings=settings, created_at=now
            )
        )
        connection.execute(
            sa.insert(scenario_tables),
            [
                {"scenario_hash": packed.hash, "name": n, "data": d}
                for n, d in packed.tables.items()
            ],
        )
        run_id = connection.execute(
            sa.insert(runs)
            .values(
                created_at=now,
                label="old",
                model=run.model,
                scenario_name=scenario.name,
                scenario_hash=packed.hash,
                overrides="{}",
                options="{}",
                status=run.status.value,
                gap=None,
                verdict="passed",
                summary=run.summary,
                warnings=json.dumps(list(run.warnings)),
                runtime_s=run.runtime_s,
                versions="{}",
            )
            .returning(runs.c.id)
        ).scalar_one()
        connection.execute(
            sa.insert(run_kpis),
            [
                {
                    "run_id": run_id,
                    "position": i,
                    "name": k.label,
                    "value": k.value,
                    "unit": k.unit,
                    "higher_is_better": k.higher_is_better,
                }
                for i, k in enumerate(run.kpis)
            ],
        )
        connection.execute(
            sa.insert(run_tables),
            [
                {"run_id": run_id, "name": n, "position": i, "data": codec.encode_frame(f)}
                for i, (n, f) in enumerate(run.tables.items())
            ],
        )
    return int(run_id)


def test_a_store_of_the_first_schema_is_migrated(
    tmp_path: Path, model_runs: dict[str, ModelRun], default_scenario: Scenario
) -> None:
    # a store without network file: the first schema's code stored no roads here
    scenario = default_scenario.model_copy(
        update={"network": default_scenario.network.model_copy(update={"file": None})}
    )
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    _alembic(engine, "0001")
    assert current_revision(engine) == "0001"
    run = model_runs["hubs"]
    run_id = _write_first_schema_run(engine, run, scenario)
    engine.dispose()

    store = open_store(url)
    engine = sa.create_engine(url)
    assert current_revision(engine) == HEAD
    engine.dispose()
    stored = store.get(run_id)
    assert stored.label == "old"
    assert stored.kpi_values() == run.kpi_values()
    assert list(stored.tables) == list(run.tables)
    assert stored.layers == {} and stored.per_member.empty  # not kept by the first schema
    assert store.scenario(run_id) == scenario
    # and the migrated store takes new runs whole
    new = store.get(store.record(run, scenario))
    assert set(new.layers) == set(run.layers) and len(new.per_member) == len(run.per_member)
    store.close()


def test_a_store_of_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    open_store(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(InputError, match="newer coop-optimizer"):
        open_store(url)
