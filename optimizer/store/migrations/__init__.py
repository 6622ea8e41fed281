"""The run store's Alembic migrations: ``env.py`` migrates the connection the store hands over,
and ``versions/`` holds one module per schema revision, oldest first. They ship inside the
package (and the wheel), so that any installed coop-optimizer can bring an older store up to
its schema when it opens it. They import only SQLAlchemy and Alembic.
"""
