"""Turning runs and scenarios into what the store keeps, and back.

Result tables become compact columnar JSON, gzip-compressed (types kept: numbers, text,
booleans; a frame holding anything else, and every table stored by earlier versions, is
Parquet, told apart by its first bytes); map layers gzip-compressed GeoJSON; a scenario its
settings (JSON) and one gzip-compressed CSV per table, written and read back by the project's
own scenario writer and reader
(:meth:`~optimizer.scenario.scenario.Scenario.to_folder`'s format,
:func:`~optimizer.scenario.scenario.load_folder`), so that a stored scenario validates exactly
as a file would. The road network file is kept once per hash of its bytes: a scenario's
content hash covers its settings, its tables and the hash of its roads, never the path.
A sweep's sample is kept as a :class:`Variant`: the hash of its base scenario and the overrides
that make it (:func:`~optimizer.scenario.variants.apply_overrides`), not its tables again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from optimizer.io.geojson import features_json, plain
from optimizer.scenario.scenario import REQUIRED_TABLES, SETTINGS_FILE, Scenario, load_folder
from optimizer.scenario.schema import TABLE_MODELS

__all__ = [
    "PackedScenario",
    "Variant",
    "decode_frame",
    "decode_layer",
    "dumps",
    "encode_frame",
    "encode_layer",
    "file_hash",
    "pack_scenario",
    "table_frame",
    "unpack_scenario",
]

_HASHES: dict[tuple[str, int, int], str] = {}
_PACKED: dict[int, tuple[Scenario, PackedScenario]] = {}
_PACKED_KEEP = 16


def dumps(value: Any) -> str:
    """JSON text of plain data (numbers from numpy, paths and the like as their text)."""
    return json.dumps(value, default=_json_default, sort_keys=True, allow_nan=True)


def _json_default(value: Any) -> Any:
    converted = plain(value)
    return str(value) if converted is value else converted


def encode_frame(frame: pd.DataFrame) -> bytes:
    """A DataFrame as bytes (the index is dropped; column names become text).

    Frames of numbers, booleans and text (the result tables) are columnar JSON, gzipped:
    for the small tables of a run this is ten times cheaper than Parquet, which is kept for
    frames holding anything else.
    """
    names = [str(c) for c in frame.columns]
    columns = [column for _, column in frame.items()]
    kinds = [_json_kind(c.dtype) for c in columns]
    if len(set(names)) == len(names) and all(kinds):
        values = [_json_column(c, k) for c, k in zip(columns, kinds, strict=True)]
        if all(_plain(v) for v, k in zip(values, kinds, strict=True) if k == "text"):
            data = {"columns": names, "dtypes": [str(c.dtype) for c in columns], "values": values}
            text = json.dumps(data, allow_nan=True, separators=(",", ":"))
            return _JSON_FRAME + gzip.compress(text.encode("utf-8"), compresslevel=1, mtime=0)
    frame = frame.reset_index(drop=True)
    frame.columns = names
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False, compression="zstd")
    except (TypeError, ValueError):
        # a column mixing kinds of values (text and numbers) is kept as text
        buffer = io.BytesIO()
        mixed = frame.select_dtypes(include="object").columns
        frame = frame.astype(dict.fromkeys(mixed, str))
        frame.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


_JSON_FRAME = b"CJ1\n"  # columnar JSON; Parquet starts with b"PAR1"
_JSON_KINDS = {"i": "number", "u": "number", "f": "number", "b": "bool", "O": "text"}


def _json_kind(dtype: Any) -> str | None:
    """How a column of this dtype goes into JSON, or None: numpy's numbers, booleans and
    objects, and pandas' default text (``str``); no other extension type."""
    if isinstance(dtype, pd.StringDtype) and str(dtype) == "str":
        return "str"
    return _JSON_KINDS.get(dtype.kind) if isinstance(dtype, np.dtype) else None


def _plain(values: list[Any]) -> bool:
    """Whether an object column's values are all text (or None)."""
    return all(v is None or isinstance(v, str) for v in values)


def _json_column(column: pd.Series, kind: str | None) -> list[Any]:
    if kind == "number" and column.dtype.kind == "f":
        return [None if math.isnan(v) else v for v in column.tolist()]
    if kind == "str":  # missing text is NaN there
        return [v if isinstance(v, str) else None for v in column.tolist()]
    return list(column.tolist())


def decode_frame(data: bytes) -> pd.DataFrame:
    """The DataFrame of :func:`encode_frame`'s bytes."""
    if not data.startswith(_JSON_FRAME):
        return pd.read_parquet(io.BytesIO(data))
    stored = json.loads(gzip.decompress(data[len(_JSON_FRAME) :]))
    columns = {
        name: pd.Series(
            [math.nan if v is None else v for v in values] if dtype.startswith("float") else values,
            dtype=dtype,
        )
        for name, dtype, values in zip(
            stored["columns"], stored["dtypes"], stored["values"], strict=True
        )
    }
    return pd.DataFrame(columns, columns=stored["columns"])


def encode_layer(features: Any) -> bytes:
    """A map layer (a list of GeoJSON features) as gzip-compressed JSON."""
    # level 1: map layers are large (road paths) and written on every record
    text = features_json(features, default=_json_default)
    return gzip.compress(text.encode("utf-8"), compresslevel=1, mtime=0)


def decode_layer(data: bytes) -> list[dict[str, Any]]:
    """The features of :func:`encode_layer`'s bytes."""
    features: list[dict[str, Any]] = json.loads(gzip.decompress(data))
    return features


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, remembered per path, size and modification time."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


@dataclass(frozen=True)
class PackedScenario:
    """A scenario as the store keeps it.

    ``settings`` is the ``scenario.yaml`` content with the road file's absolute path (where it
    was when first stored); ``tables`` one gzip-compressed CSV per non-empty table; ``hash``
    the content hash (settings without the path, tables, and ``roads_hash``).
    """

    hash: str
    name: str
    settings: Mapping[str, Any]
    tables: Mapping[str, bytes]
    roads: Path | None
    roads_hash: str | None
    base: PackedScenario | None = None
    changes: str | None = None  # a variant's overrides, as JSON text


@dataclass(frozen=True)
class Variant:
    """A scenario given as its base and the overrides that make it (a sweep's sample).

    The store keeps it as the base's hash and ``changes`` (the base stored once), and
    rebuilds it with :func:`~optimizer.scenario.variants.apply_overrides`.
    """

    base: Scenario
    changes: Mapping[str, Any]

    @property
    def name(self) -> str:
        """The variant's name (its ``name`` override, else the base's)."""
        return str(self.changes.get("name") or self.base.name)


def pack_scenario(scenario: Scenario | Variant) -> PackedScenario:
    """The stored form of ``scenario`` (remembered for the last few scenario objects).

    A :class:`Variant` packs as its base's stored form plus its changes: its hash covers the
    base's hash and the changes, and it has no tables of its own.
    """
    if isinstance(scenario, Variant):
        base = pack_scenario(scenario.base)
        changes = dumps(dict(scenario.changes))
        content = f"variant of {base.hash}\n{changes}"
        return PackedScenario(
            hash=hashlib.sha256(content.encode("utf-8")).hexdigest(),
            name=scenario.name,
            settings={},
            tables={},
            roads=base.roads,
            roads_hash=base.roads_hash,
            base=base,
            changes=changes,
        )
    cached = _PACKED.get(id(scenario))
    if cached is not None and cached[0] is scenario:
        return cached[1]
    settings = scenario.settings()
    roads = scenario.network.file
    roads_hash = None if roads is None else file_hash(Path(roads))
    texts: dict[str, str] = {}
    for name in TABLE_MODELS:
        frame = scenario.table(name)
        if frame.empty and name not in REQUIRED_TABLES:
            continue
        texts[name] = frame.to_csv(index=False)
    network = {k: v for k, v in settings["network"].items() if k != "file"}
    content = dumps({"settings": {**settings, "network": network}, "roads": roads_hash, **texts})
    packed = PackedScenario(
        hash=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        name=scenario.name,
        settings=settings,
        tables={k: gzip.compress(v.encode("utf-8"), mtime=0) for k, v in texts.items()},
        roads=None if roads is None else Path(roads),
        roads_hash=roads_hash,
    )
    if len(_PACKED) >= _PACKED_KEEP:
        _PACKED.pop(next(iter(_PACKED)))
    _PACKED[id(scenario)] = (scenario, packed)
    return packed


def table_frame(data: bytes) -> pd.DataFrame:
    """One stored scenario table as a DataFrame (its CSV columns, as text)."""
    return pd.read_csv(io.BytesIO(gzip.decompress(data)), dtype=str, keep_default_na=False)


def unpack_scenario(
    settings: Mapping[str, Any],
    tables: Mapping[str, bytes],
    roads: tuple[str, str] | None,
    roads_bytes: Callable[[], bytes],
    roads_dir: Path,
) -> Scenario:
    """Rebuild a stored scenario through the scenario reader.

    ``roads`` is the road file's ``(hash, name)``. The file where it was first stored is used
    while it still holds the same bytes; else the stored bytes are written once to
    ``roads_dir/HASH/NAME`` (``roads_bytes`` fetches them only then).
    """
    settings = json.loads(dumps(settings))
    if roads is not None:
        settings["network"]["file"] = str(_roads_file(settings, roads, roads_bytes, roads_dir))
    with tempfile.TemporaryDirectory(prefix="coop-stored-") as folder:
        root = Path(folder)
        text = yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
        (root / SETTINGS_FILE).write_text(text, encoding="utf-8")
        for name, data in tables.items():
            (root / f"{name}.csv").write_bytes(gzip.decompress(data))
        return load_folder(root)


def _roads_file(
    settings: Mapping[str, Any],
    roads: tuple[str, str],
    roads_bytes: Callable[[], bytes],
    roads_dir: Path,
) -> Path:
    digest, name = roads
    original = settings["network"].get("file")
    if original:
        path = Path(original)
        if path.is_file() and file_hash(path) == digest:
            return path
    target = roads_dir / digest[:32] / Path(name).name
    if target.is_file() and file_hash(target) == digest:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # written beside and renamed: a reader never sees half a file
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(roads_bytes())
    Path(partial).replace(target)
    return target
