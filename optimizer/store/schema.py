"""The run store's tables as SQLAlchemy Core sees them, at the newest schema revision.

The tables are made and changed only by the Alembic migrations in ``migrations/versions``
(``HEAD`` names the newest); this module describes the result so that the store's queries are
written once for SQLite and PostgreSQL. Times are naive UTC; JSON is kept as text; tables
(scenario inputs, results) as compressed bytes (see :mod:`optimizer.store.codec`).
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "HEAD",
    "metadata",
    "roads",
    "run_kpis",
    "run_layers",
    "run_tables",
    "runs",
    "scenario_tables",
    "scenarios",
    "sweeps",
]

HEAD = "0003"

metadata = sa.MetaData()

roads = sa.Table(
    "roads",
    metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

scenarios = sa.Table(
    "scenarios",
    metadata,
    sa.Column("hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("roads_hash", sa.String(64), sa.ForeignKey("roads.hash"), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # revision 0003: a variant (a sweep's sample) is its base's hash and the overrides
    sa.Column("base_hash", sa.String(64), nullable=True),
    sa.Column("changes", sa.Text, nullable=True),
)

scenario_tables = sa.Table(
    "scenario_tables",
    metadata,
    sa.Column("scenario_hash", sa.String(64), sa.ForeignKey("scenarios.hash"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

sweeps = sa.Table(
    "sweeps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("spec", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("label", sa.Text, nullable=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("scenario_name", sa.String(255), nullable=False),
    sa.Column("scenario_hash", sa.String(64), sa.ForeignKey("scenarios.hash"), nullable=False),
    sa.Column("overrides", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("gap", sa.Float, nullable=True),
    sa.Column("verdict", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("warnings", sa.Text, nullable=False),
    sa.Column("runtime_s", sa.Float, nullable=False),
    sa.Column("versions", sa.Text, nullable=False),
    sa.Column("sweep_id", sa.Integer, sa.ForeignKey("sweeps.id"), nullable=True),
    sa.Column("sample", sa.Integer, nullable=True),
    # revision 0002
    sa.Column("per_member", sa.LargeBinary, nullable=True),
    sa.Column("value_label", sa.Text, nullable=True),
    sa.Column("value_higher_is_better", sa.Boolean, nullable=True),
)

run_kpis = sa.Table(
    "run_kpis",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("unit", sa.String(64), nullable=False),
    sa.Column("higher_is_better", sa.Boolean, nullable=True),
)

run_tables = sa.Table(
    "run_tables",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

run_layers = sa.Table(
    "run_layers",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)
