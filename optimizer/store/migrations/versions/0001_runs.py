"""The first schema: runs, their KPIs and tables, sweeps, and scenario inputs stored once.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of the first schema."""
    op.create_table(
        "roads",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "scenarios",
        sa.Column("hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("roads_hash", sa.String(64), sa.ForeignKey("roads.hash"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "scenario_tables",
        sa.Column(
            "scenario_hash",
            sa.String(64),
            sa.ForeignKey("scenarios.hash", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    _runs()


def _runs() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("label", sa.Text, nullable=True),
        sa.Column("spec", sa.Text, nullable=False),
    )
    op.create_table(
        "runs",
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
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_index("ix_runs_model", "runs", ["model"])
    op.create_index("ix_runs_scenario_name", "runs", ["scenario_name"])
    op.create_index("ix_runs_sweep", "runs", ["sweep_id", "sample"])
    op.create_table(
        "run_kpis",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("higher_is_better", sa.Boolean, nullable=True),
    )
    op.create_table(
        "run_tables",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the first schema."""
    for table in ("run_tables", "run_kpis", "runs", "sweeps", "scenario_tables", "scenarios"):
        op.drop_table(table)
    op.drop_table("roads")
