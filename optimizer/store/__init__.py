"""The run store: every run kept with its inputs, to list, show, compare, export and rerun.

``store`` holds :func:`open_store` and :class:`RunStore` (record, get, scenario, list, delete,
sweeps); ``records`` what it gives back (:class:`StoredRun`, :class:`RunSummary`); ``codec``
how runs and scenarios become bytes and back; ``engine`` the URL, the SQLAlchemy engines and
the Alembic migrations (``migrations/``, packaged with the code); ``schema`` the tables. SQLite
in the user's data folder by default, any SQLAlchemy URL (PostgreSQL through psycopg 3) with
``--store URL`` or ``$COOP_OPTIMIZER_STORE``. It sits above the pipeline: it imports
``optimizer.pipeline``, ``optimizer.scenario``, ``optimizer.io`` and the road cache's folder
from ``optimizer.geo``; never a model, a solver or a face. The pipeline never imports it; the
faces and ``optimizer.sweep`` do.
"""

from optimizer.store.engine import STORE_ENV, default_url
from optimizer.store.records import RunSummary, StoredRun
from optimizer.store.store import RunStore, open_store

__all__ = ["STORE_ENV", "RunStore", "RunSummary", "StoredRun", "default_url", "open_store"]
