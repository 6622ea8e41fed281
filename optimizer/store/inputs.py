"""A stored scenario's inputs read back, and the scenario rebuilt from them.

A scenario stored whole is rebuilt through the scenario reader
(:func:`~optimizer.store.codec.unpack_scenario`); a variant (a sweep's sample) from its base
and its overrides (:func:`~optimizer.scenario.variants.apply_overrides`). Rebuilt scenarios
are immutable and kept by content hash (the last few), so the base of a sweep's samples is
read once for all of them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from optimizer.store.engine import roads_dir
from optimizer.store.schema import roads, scenario_tables, scenarios

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario

__all__ = ["stored_inputs", "stored_scenario"]

_UNPACKED: dict[str, Scenario] = {}
_UNPACKED_KEEP = 4


def stored_scenario(connection: Connection, digest: str, url: str) -> Scenario:
    """The stored scenario of this content hash; a variant rebuilt from its base.

    ``url`` names the store in messages.
    """
    from optimizer.store import codec

    head = connection.execute(
        sa.select(scenarios.c.base_hash, scenarios.c.changes).where(scenarios.c.hash == digest)
    ).one()
    if head.base_hash is not None:
        from optimizer.scenario.variants import apply_overrides

        base = stored_scenario(connection, head.base_hash, url)
        changes = json.loads(head.changes)
        return apply_overrides(base, changes, source=f"store {url}, inputs {digest[:12]}")
    cached = _UNPACKED.get(digest)
    roads_file = None if cached is None else cached.network.file
    if cached is not None and (roads_file is None or roads_file.is_file()):
        return cached  # (a road file removed since is written back below)
    inputs = stored_inputs(connection, digest, url)

    def roads_bytes() -> bytes:
        query = sa.select(roads.c.data).where(roads.c.hash == inputs["roads"][0])
        return bytes(connection.execute(query).scalar_one())

    scenario = codec.unpack_scenario(
        inputs["settings"], inputs["tables"], inputs["roads"], roads_bytes, roads_dir()
    )
    if len(_UNPACKED) >= _UNPACKED_KEEP:
        _UNPACKED.pop(next(iter(_UNPACKED)))
    _UNPACKED[digest] = scenario
    return scenario


def stored_inputs(connection: Connection, digest: str, url: str) -> dict[str, Any]:
    """The stored inputs of this content hash: ``settings``, ``tables`` (name: stored bytes)
    and ``roads`` (``(hash, name)`` or None); a variant's are those of its rebuilt scenario."""
    from optimizer.store import codec

    head = connection.execute(
        sa.select(scenarios.c.settings, scenarios.c.roads_hash, scenarios.c.base_hash, roads.c.name)
        .select_from(scenarios.outerjoin(roads, roads.c.hash == scenarios.c.roads_hash))
        .where(scenarios.c.hash == digest)
    ).one()
    if head.base_hash is not None:  # a variant: its inputs are those of its rebuilt scenario
        packed = codec.pack_scenario(stored_scenario(connection, digest, url))
        return {
            "settings": dict(packed.settings),
            "tables": dict(packed.tables),
            "roads": None if head.roads_hash is None else (head.roads_hash, head.name),
        }
    tables = connection.execute(
        sa.select(scenario_tables.c.name, scenario_tables.c.data).where(
            scenario_tables.c.scenario_hash == digest
        )
    ).all()
    return {
        "settings": json.loads(head.settings),
        "tables": {name: bytes(data) for name, data in tables},
        "roads": None if head.roads_hash is None else (head.roads_hash, head.name),
    }
