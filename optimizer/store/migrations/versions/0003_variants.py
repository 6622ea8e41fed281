"""A sweep's samples are kept as their base scenario and the overrides that make them.

Adds to ``scenarios`` the hash of the base scenario (``base_hash``) and the overrides
(``changes``, JSON) of a scenario stored as a variant: such a scenario has no tables of its
own and is rebuilt from its base. Scenarios stored before stay as they were (both empty).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``base_hash`` and ``changes`` to ``scenarios``."""
    with op.batch_alter_table("scenarios") as batch:
        batch.add_column(sa.Column("base_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("changes", sa.Text, nullable=True))


def downgrade() -> None:
    """Back to revision 0002 (variants lose their way back to their base)."""
    with op.batch_alter_table("scenarios") as batch:
        batch.drop_column("changes")
        batch.drop_column("base_hash")
