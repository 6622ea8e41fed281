"""Alembic's environment for the run store: migrate the connection the store hands over.

The store calls Alembic itself (:func:`optimizer.store.engine.migrate`) and passes its open
connection as ``config.attributes["connection"]``; there is no ``alembic.ini`` and no
offline (SQL script) mode.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    # SQLite alters tables by copying them ("batch" mode); PostgreSQL alters them in place
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
