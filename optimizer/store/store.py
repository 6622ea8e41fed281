"""The run store: every run recorded with its inputs, read back, listed, deleted.

:func:`open_store` opens (and migrates) the store at a URL; :class:`RunStore` records a
:class:`~optimizer.pipeline.run.ModelRun` with the scenario it ran on, and gives back a
:class:`~optimizer.store.records.StoredRun`, the scenario rebuilt from the stored inputs, or a
listing. A scenario's inputs and a road file are stored once per content hash, however many
runs use them. Each record is one transaction: a run is in the store whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine

from optimizer.errors import InputError, Problem
from optimizer.results import Kpi, Status
from optimizer.store.engine import connect, migrate, resolve_url, store_error
from optimizer.store.inputs import stored_inputs, stored_scenario
from optimizer.store.records import (
    RunSummary,
    StoredRun,
    as_utc,
    gap_of,
    kpi_value,
    verdict_of,
    versions,
)
from optimizer.store.schema import (
    roads,
    run_kpis,
    run_layers,
    run_tables,
    runs,
    scenario_tables,
    scenarios,
    sweeps,
)

if TYPE_CHECKING:  # loaded by the methods that need them: a listing needs none of them
    import pandas as pd

    from optimizer.pipeline.compare import Comparison
    from optimizer.pipeline.run import ModelRun
    from optimizer.scenario.scenario import Scenario
    from optimizer.store import codec

__all__ = ["RunStore", "open_store"]


def open_store(url: str | None = None) -> RunStore:
    """Open the run store at ``url`` (else ``$COOP_OPTIMIZER_STORE``, else the user's SQLite).

    The store is made if missing and migrated to the current schema if older.

    Raises
    ------
    InputError
        For a bad URL, a missing driver, a file that is no database, a server that does not
        answer, or a store made by a newer coop-optimizer.
    """
    parsed = resolve_url(url)
    shown = parsed.render_as_string(hide_password=True)
    reader, writer = connect(parsed)
    try:
        migrate(writer, shown)
    except exc.SQLAlchemyError as error:
        reader.dispose()
        writer.dispose()
        raise store_error(shown, "a readable run store", _short(error)) from None
    return RunStore(shown, reader, writer)


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return text[0] if text else error.__class__.__name__


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class RunStore:
    """A run store at one URL (see :func:`open_store`)."""

    def __init__(self, url: str, reader: Engine, writer: Engine) -> None:
        self.url = url
        self._reader = reader
        self._writer = writer

    @contextlib.contextmanager
    def _connection(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection (in one transaction when writing); a store that stops answering, is
        locked past the wait or is damaged is an InputError naming the store."""
        try:
            with self._writer.begin() if write else self._reader.connect() as connection:
                yield connection
        except (exc.IntegrityError, exc.ProgrammingError, exc.DataError):
            raise  # a bug in the store's code, not a problem of the store
        except exc.DBAPIError as error:
            raise store_error(self.url, "a readable, writable run store", _short(error)) from None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store's connections."""
        self._reader.dispose()
        self._writer.dispose()

    # ------------------------------------------------------------------ writing
    def record(
        self,
        run: ModelRun,
        scenario: Scenario | codec.Variant,
        *,
        overrides: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        label: str | None = None,
        sweep_id: int | None = None,
        sample: int | None = None,
    ) -> int:
        """Record ``run`` of ``scenario`` and return its id.

        ``overrides`` are the what-ifs applied to make ``scenario`` (kept to show them; the
        scenario stored is the one the run saw); ``options`` the model's options, as given to
        :func:`~optimizer.pipeline.registry.run_model` (a rerun passes them again). A
        :class:`~optimizer.store.codec.Variant` (a sweep's sample) is stored as its base
        (once) and its changes.
        """
        from optimizer.store import codec

        packed = codec.pack_scenario(scenario)
        row = {
            "created_at": _now(),
            "label": label,
            "model": run.model,
            "scenario_name": scenario.name,
            "scenario_hash": packed.hash,
            "overrides": codec.dumps(dict(overrides or {})),
            "options": codec.dumps(dict(options or {})),
            "status": run.status.value,
            "gap": gap_of(run),
            "verdict": verdict_of(run),
            "summary": run.summary,
            "warnings": codec.dumps(list(run.warnings)),
            "runtime_s": float(run.runtime_s),
            "versions": codec.dumps(versions()),
            "sweep_id": sweep_id,
            "sample": sample,
            "per_member": codec.encode_frame(run.per_member),
            "value_label": run.value_label,
            "value_higher_is_better": run.value_higher_is_better,
        }
        kpis = [
            {
                "position": i,
                "name": k.label,
                "value": None if math.isnan(k.value) else float(k.value),
                "unit": k.unit,
                "higher_is_better": k.higher_is_better,
            }
            for i, k in enumerate(run.kpis)
        ]
        tables = [
            {"name": name, "position": i, "data": codec.encode_frame(frame)}
            for i, (name, frame) in enumerate(run.tables.items())
        ]
        layers = [
            {"name": name, "data": codec.encode_layer(features)}
            for name, features in run.layers.items()
        ]
        with self._connection(write=True) as connection:
            self._store_inputs(connection, packed)
            run_id = _insert_id(connection, runs, row)
            for rows, table in ((kpis, run_kpis), (tables, run_tables), (layers, run_layers)):
                if rows:
                    connection.execute(sa.insert(table), [{"run_id": run_id, **r} for r in rows])
        return run_id

    def _store_inputs(self, connection: Connection, packed: codec.PackedScenario) -> None:
        """The scenario's inputs and roads, unless stored already (inside the writer's lock)."""
        from optimizer.store import codec

        found = sa.select(scenarios.c.hash).where(scenarios.c.hash == packed.hash)
        if connection.execute(found).first() is not None:
            return
        if packed.base is not None:
            self._store_inputs(connection, packed.base)
            row = {
                "hash": packed.hash,
                "name": packed.name,
                "settings": codec.dumps({}),
                "roads_hash": packed.roads_hash,
                "created_at": _now(),
                "base_hash": packed.base.hash,
                "changes": packed.changes,
            }
            _insert_new(connection, scenarios, [row])
            return
        if packed.roads is not None and packed.roads_hash is not None:
            known = sa.select(roads.c.hash).where(roads.c.hash == packed.roads_hash)
            if connection.execute(known).first() is None:
                data = packed.roads.read_bytes()
                _insert_new(
                    connection,
                    roads,
                    [
                        {
                            "hash": packed.roads_hash,
                            "name": packed.roads.name,
                            "size": len(data),
                            "data": data,
                            "created_at": _now(),
                        }
                    ],
                )
        settings = {
            "hash": packed.hash,
            "name": packed.name,
            "settings": codec.dumps(packed.settings),
            "roads_hash": packed.roads_hash,
            "created_at": _now(),
        }
        _insert_new(connection, scenarios, [settings])
        rows = [
            {"scenario_hash": packed.hash, "name": name, "data": data}
            for name, data in packed.tables.items()
        ]
        _insert_new(connection, scenario_tables, rows)

    def create_sweep(self, spec: Mapping[str, Any], model: str, label: str | None = None) -> int:
        """Record a new sweep (its specification and model) and return its id."""
        from optimizer.store import codec

        row = {"created_at": _now(), "model": model, "label": label, "spec": codec.dumps(spec)}
        with self._connection(write=True) as connection:
            return _insert_id(connection, sweeps, row)

    def delete(self, run_ids: Iterable[int]) -> int:
        """Delete runs by id, and the inputs no remaining run uses; return how many runs.

        Raises
        ------
        InputError
            Naming the ids not in the store; nothing is deleted then.
        """
        ids = sorted({int(i) for i in run_ids})
        if not ids:
            return 0
        with self._connection(write=True) as connection:
            found = set(
                connection.execute(sa.select(runs.c.id).where(runs.c.id.in_(ids))).scalars()
            )
            missing = [i for i in ids if i not in found]
            if missing:
                raise _unknown(self.url, missing)
            for table in (run_kpis, run_tables, run_layers):
                connection.execute(sa.delete(table).where(table.c.run_id.in_(ids)))
            connection.execute(sa.delete(runs).where(runs.c.id.in_(ids)))
            ran = sa.select(runs.c.scenario_hash)
            bases = sa.select(scenarios.c.base_hash).where(
                scenarios.c.hash.in_(ran), scenarios.c.base_hash.is_not(None)
            )
            used = sa.union(ran, bases)
            orphan = scenario_tables.c.scenario_hash.not_in(used)
            connection.execute(sa.delete(scenario_tables).where(orphan))
            connection.execute(sa.delete(scenarios).where(scenarios.c.hash.not_in(used)))
            kept = sa.select(scenarios.c.roads_hash).where(scenarios.c.roads_hash.is_not(None))
            connection.execute(sa.delete(roads).where(roads.c.hash.not_in(kept)))
        return len(ids)

    # ------------------------------------------------------------------ reading
    def list(
        self,
        *,
        scenario: str | None = None,
        model: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        sweep_id: int | None = None,
        limit: int | None = None,
    ) -> list[RunSummary]:
        """Stored runs, newest first, with their KPI values; filters combine (``since`` and
        ``until`` bound the moment of recording, both included)."""
        query = sa.select(
            runs.c.id,
            runs.c.created_at,
            runs.c.model,
            runs.c.scenario_name,
            runs.c.scenario_hash,
            runs.c.label,
            runs.c.status,
            runs.c.gap,
            runs.c.runtime_s,
            runs.c.sweep_id,
            runs.c.sample,
        )
        if scenario is not None:
            query = query.where(runs.c.scenario_name == scenario)
        if model is not None:
            query = query.where(runs.c.model == model)
        if since is not None:
            query = query.where(runs.c.created_at >= as_utc(since).replace(tzinfo=None))
        if until is not None:
            query = query.where(runs.c.created_at <= as_utc(until).replace(tzinfo=None))
        if sweep_id is not None:
            query = query.where(runs.c.sweep_id == sweep_id)
        query = query.order_by(runs.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._connection() as connection:
            rows = connection.execute(query).all()
            kpi_query = sa.select(run_kpis.c.run_id, run_kpis.c.name, run_kpis.c.value)
            if (scenario, model, since, until, sweep_id, limit) != (None,) * 6:
                chosen = query.with_only_columns(runs.c.id)
                kpi_query = kpi_query.where(run_kpis.c.run_id.in_(chosen))
            kpi_query = kpi_query.order_by(run_kpis.c.run_id, run_kpis.c.position)
            values: dict[int, dict[str, float]] = {}
            for run_id, name, value in connection.execute(kpi_query):
                values.setdefault(run_id, {})[name] = kpi_value(value)
        return [
            RunSummary(
                id=r.id,
                created_at=as_utc(r.created_at),
                model=r.model,
                scenario=r.scenario_name,
                scenario_hash=r.scenario_hash,
                label=r.label,
                status=Status(r.status),
                gap=r.gap,
                runtime_s=r.runtime_s,
                sweep_id=r.sweep_id,
                sample=r.sample,
                kpis=values.get(r.id, {}),
            )
            for r in rows
        ]

    def names(self) -> dict[str, tuple[str, ...]]:
        """The scenario names and the models of the stored runs (what a listing filters by)."""
        with self._connection() as connection:
            return {
                key: tuple(sorted(connection.execute(sa.select(column).distinct()).scalars()))
                for key, column in (("scenario", runs.c.scenario_name), ("model", runs.c.model))
            }

    def compare(self, run_ids: Iterable[int]) -> Comparison:
        """Stored runs of one model side by side, the first as the base (``run N`` names); an
        InputError for fewer than two runs, an unknown id or runs of different models."""
        from optimizer.pipeline.compare import compare_runs

        ids = list(dict.fromkeys(int(i) for i in run_ids))
        if len(ids) < 2:
            raise InputError(Problem("runs compare", "two or more run ids", value=len(ids)))
        return compare_runs([self.get(i).run for i in ids], [f"run {i}" for i in ids])

    def sweep_samples_done(self, sweep_id: int) -> set[int]:
        """The sample numbers of a sweep already in the store."""
        query = sa.select(runs.c.sample).where(
            runs.c.sweep_id == sweep_id, runs.c.sample.is_not(None)
        )
        with self._connection() as connection:
            return {int(s) for s in connection.execute(query).scalars()}

    def get(self, run_id: int, *, inputs: bool = True) -> StoredRun:
        """Everything stored about one run (without its scenario's inputs, which a sweep's
        sample rebuilds from its base, when ``inputs`` is False: ``inputs`` is then empty).

        Raises
        ------
        InputError
            When no run has that id.
        """
        from optimizer.store import codec

        with self._connection() as connection:
            row = self._row(connection, run_id)
            kpis = connection.execute(
                sa.select(run_kpis).where(run_kpis.c.run_id == run_id).order_by(run_kpis.c.position)
            ).all()
            tables = connection.execute(
                sa.select(run_tables.c.name, run_tables.c.data)
                .where(run_tables.c.run_id == run_id)
                .order_by(run_tables.c.position)
            ).all()
            layers = connection.execute(
                sa.select(run_layers.c.name, run_layers.c.data)
                .where(run_layers.c.run_id == run_id)
                .order_by(run_layers.c.name)
            ).all()
            given = stored_inputs(connection, row.scenario_hash, self.url) if inputs else None
        return StoredRun(
            id=row.id,
            created_at=as_utc(row.created_at),
            label=row.label,
            model=row.model,
            scenario_name=row.scenario_name,
            scenario_hash=row.scenario_hash,
            inputs={}
            if given is None
            else {
                "settings": given["settings"],
                "tables": {k: codec.table_frame(v) for k, v in given["tables"].items()},
                "roads": None
                if given["roads"] is None
                else {"hash": given["roads"][0], "name": given["roads"][1]},
            },
            overrides=json.loads(row.overrides),
            options=json.loads(row.options),
            status=Status(row.status),
            gap=row.gap,
            verdict=row.verdict,
            summary=row.summary,
            warnings=tuple(json.loads(row.warnings)),
            kpis=tuple(Kpi(k.name, kpi_value(k.value), k.unit, k.higher_is_better) for k in kpis),
            tables={name: codec.decode_frame(data) for name, data in tables},
            layers={name: codec.decode_layer(data) for name, data in layers},
            per_member=_per_member(row.per_member),
            value_label=row.value_label or "value",
            value_higher_is_better=True
            if row.value_higher_is_better is None
            else bool(row.value_higher_is_better),
            runtime_s=row.runtime_s,
            versions=json.loads(row.versions),
            sweep_id=row.sweep_id,
            sample=row.sample,
        )

    def scenario(self, run_id: int) -> Scenario:
        """The scenario the run saw, rebuilt from the stored inputs (roads included).

        Raises
        ------
        InputError
            When no run has that id.
        """
        with self._connection() as connection:
            row = self._row(connection, run_id)
            return stored_scenario(connection, row.scenario_hash, self.url)

    def _row(self, connection: Connection, run_id: int) -> Any:
        row = connection.execute(sa.select(runs).where(runs.c.id == int(run_id))).first()
        if row is None:
            raise _unknown(self.url, [run_id])
        return row


def _per_member(data: bytes | None) -> pd.DataFrame:
    import pandas as pd

    from optimizer.store import codec

    if data is None:  # a run stored by the first schema
        return pd.DataFrame(columns=["member", "cooperative", "value"])
    return codec.decode_frame(bytes(data))


def _unknown(url: str, ids: list[int]) -> InputError:
    shown = ", ".join(str(i) for i in ids)
    return InputError(
        Problem(f"store {url}", "the id of a stored run (optimizer runs list)", value=shown)
    )


def _insert_new(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows another writer may have inserted meanwhile (same key, same content)."""
    if not rows:
        return
    name = connection.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        connection.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        connection.execute(pg_insert(table).on_conflict_do_nothing(), rows)
    else:
        connection.execute(sa.insert(table), rows)


def _insert_id(connection: Connection, table: sa.Table, row: Mapping[str, Any]) -> int:
    """Insert one row and return the id the database gave it."""
    return int(
        connection.execute(sa.insert(table).values(**row).returning(table.c.id)).scalar_one()
    )
