"""Checks on an OpenStreetMap file before it is read: present, a known format, really OSM."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

from optimizer.errors import InputError, Problem

__all__ = ["OSM_SUFFIXES", "check_osm_file", "is_osm_path"]

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml", ".xml.bz2", ".xml.gz")
_EXPECTED = "an OpenStreetMap file (.osm, .osm.bz2, .osm.gz or .osm.pbf)"


def is_osm_path(path: Path) -> bool:
    """Whether the file name ends like an OpenStreetMap file."""
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in OSM_SUFFIXES)


def check_osm_file(source: str | Path) -> Path:
    """Return ``source`` as a Path after checking it exists and starts like OSM data.

    Raises
    ------
    InputError
        When the file is missing, has an unknown ending or does not hold OSM data.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise InputError(Problem(file=str(path), expected=f"{_EXPECTED}, but no file is there"))
    if not path.is_file():
        raise InputError(Problem(file=str(path), expected=f"{_EXPECTED}, not a folder"))
    if not is_osm_path(path):
        value = path.suffix or path.name
        raise InputError(Problem(file=str(path), expected=_EXPECTED, value=value))
    head = _head(path)
    name = path.name.lower()
    if name.endswith(".pbf"):
        if b"OSMHeader" not in head:
            raise InputError(Problem(file=str(path), expected=f"{_EXPECTED}: not a valid .pbf"))
    elif b"<osm" not in head:
        raise InputError(
            Problem(file=str(path), expected=f"{_EXPECTED}: no <osm> element at the start")
        )
    return path


def _head(path: Path, size: int = 4096) -> bytes:
    """The first bytes of the file, decompressed when it is bz2 or gzip."""
    name = path.name.lower()
    try:
        if name.endswith(".bz2"):
            with bz2.open(path, "rb") as handle:
                return handle.read(size)
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read(size)
        with path.open("rb") as handle:
            return handle.read(size)
    except (OSError, EOFError) as error:
        raise InputError(
            Problem(file=str(path), expected=f"{_EXPECTED} that can be read ({error})")
        ) from error
