"""Runs keep their map layers and per-member figure, so an export writes what ``solve`` wrote.

Adds the table ``run_layers`` (one GeoJSON feature list per layer, compressed) and, on
``runs``, the per-member table (``per_member``) with its label and direction. Runs stored by
the first schema keep working: they have no layers and an empty per-member table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``run_layers`` and the per-member columns of ``runs``."""
    op.create_table(
        "run_layers",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("per_member", sa.LargeBinary, nullable=True))
        batch.add_column(sa.Column("value_label", sa.Text, nullable=True))
        batch.add_column(sa.Column("value_higher_is_better", sa.Boolean, nullable=True))


def downgrade() -> None:
    """Back to the first schema."""
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("value_higher_is_better")
        batch.drop_column("value_label")
        batch.drop_column("per_member")
    op.drop_table("run_layers")
