"""Exports: tables to CSV and XLSX, results to JSON, places and lines to GeoJSON.

Files are written to a temporary name and moved into place, so an interrupted run never
leaves a half-written file behind. :func:`xlsx_bytes` is the one workbook writer (the app's
downloads and the scenario's ``to_xlsx`` use it too). Nothing here imports the scenario:
:func:`places_geojson` takes anything with ``members``, ``suppliers``, ``buyers`` and
``hubs``, so the scenario may import this module.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.io.geojson import OSM_ATTRIBUTION, collection, features_json, plain, point

__all__ = [
    "OSM_ATTRIBUTION",
    "Places",
    "check_out_file",
    "check_out_folder",
    "check_targets",
    "move_into",
    "places_geojson",
    "staged",
    "write_atomic",
    "write_geojson",
    "write_json",
    "write_tables",
    "write_xlsx",
    "xlsx_bytes",
]


class Places(Protocol):
    """What :func:`places_geojson` reads: a scenario's places (each with ``id``, ``name``,
    ``lat`` and ``lon``)."""

    @property
    def members(self) -> Sequence[Any]: ...
    @property
    def suppliers(self) -> Sequence[Any]: ...
    @property
    def buyers(self) -> Sequence[Any]: ...
    @property
    def hubs(self) -> Sequence[Any]: ...


def check_out_folder(folder: Path, shown: str = "--out") -> None:
    """Make sure results can be written into ``folder`` before any work is done.

    A missing folder is created to try it and removed again (the writers create it when they
    write, so a run stopped by bad input leaves no empty folder behind); a file in its place,
    or a folder that cannot be created or written to (``/proc``, read-only), is an
    :class:`InputError`, so that a long solve never ends in a crash and nothing is
    half-written.
    """
    if folder.exists() and not folder.is_dir():
        raise InputError(
            Problem(shown, "a folder for the results (it is a file)", value=str(folder))
        )
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)
        for created in made:  # deepest first
            created.rmdir()
    except OSError as exc:
        raise InputError(
            Problem(
                shown,
                f"a folder that can be written to ({exc.strerror or exc.__class__.__name__})",
                value=str(folder),
            )
        ) from None


def check_out_file(path: Path, shown: str = "--out") -> None:
    """Make sure ``path`` can be written (its folder exists and is writable; not a folder)."""
    if path.is_dir():
        raise InputError(Problem(shown, "a file name (it is a folder)", value=str(path)))
    check_out_folder(path.parent if str(path.parent) else Path("."), shown)


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Write ``path`` through ``write(temporary path)`` and move it in place: never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # the suffix kept: writers that choose the format by the file name (matplotlib) see it
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # as a file written directly would be (not 0600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A temporary folder beside ``out`` to write a run's files into; when the block ends
    without an error they are moved into ``out`` by :func:`move_into` (all of them or none),
    and the temporary folder is removed in any case."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield stage
        move_into(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def move_into(stage: Path, out: Path) -> None:
    """Move what ``stage`` holds into ``out``: the folder whole if ``out`` does not exist,
    else each entry over the one it replaces (folders replaced whole, so that no file of an
    earlier run is left among them). Checked first: a file where a folder goes (or the other
    way round) is an :class:`InputError` and nothing is moved."""
    for path in (stage, *stage.rglob("*")):
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_umask())
    if not out.exists():
        os.replace(stage, out)
        stage.mkdir()  # for the caller's clean-up
        return
    check_targets(out, {e.name: e.is_dir() for e in stage.iterdir()})
    for entry in sorted(stage.iterdir()):
        target = out / entry.name
        if entry.is_dir() and target.is_dir():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(entry, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(entry, target)


def check_targets(out: Path, names: Mapping[str, bool]) -> None:
    """An :class:`InputError` for each of ``names`` (name -> whether it is a folder) that
    stands in ``out`` as the other kind: a file where a folder goes or the other way round."""
    problems = [
        Problem(str(out / name), "a folder" if folder else "a file, not a folder")
        for name, folder in sorted(names.items())
        if (out / name).exists() and (out / name).is_dir() != folder
    ]
    if problems:
        raise InputError(problems)


@cache
def _umask() -> int:
    """The process's umask, read without setting it (``os.umask`` would, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def write_tables(tables: Mapping[str, pd.DataFrame], folder: Path, *, workbook: str) -> list[Path]:
    """Each table as ``NAME.csv`` and all of them as sheets of ``workbook`` (an ``.xlsx``)."""
    written = []
    for name, frame in tables.items():

        def csv(path: Path, frame: pd.DataFrame = frame) -> None:
            frame.to_csv(path, index=False)

        written.append(write_atomic(folder / f"{name}.csv", csv))

    written.append(write_xlsx(tables, folder / workbook))
    return written


def xlsx_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Tables as the sheets of one workbook, in memory (names cut to Excel's 31 characters).

    As pandas' ``to_excel`` writes them (a bold header, missing values as empty cells,
    infinite ones as ``inf`` and ``-inf``), but row by row in openpyxl's write-only mode:
    pandas styles every cell on its own (markets at 5,000 members: 4.7 s of CPU, 2.7 s here).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in tables.items():
        sheet = book.create_sheet(name[:31] or "table")
        header = [WriteOnlyCell(sheet, value=_ILLEGAL.sub(" ", str(c))) for c in frame.columns]
        for cell in header:
            cell.font = bold
        sheet.append(header)
        columns = [_cell_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
        for row in zip(*columns, strict=True):
            sheet.append(row)
    if not tables:
        book.create_sheet("table")  # a workbook needs a sheet
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl refuses in a cell


def _cell_values(column: pd.Series) -> list[Any]:
    """A column's values as plain Python values for cells (None where missing)."""
    values = column.astype(object).where(column.notna(), None)
    if column.dtype.kind == "O":  # control characters, which a workbook refuses, as spaces
        values = values.map(lambda v: _ILLEGAL.sub(" ", v) if isinstance(v, str) else v)
    if column.dtype.kind == "f":  # Excel has no infinity: written as text, as pandas does
        values = values.mask(np.isposinf(column), "inf").mask(np.isneginf(column), "-inf")
    return values.tolist()


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Tables as the sheets of the workbook ``path`` (an ``.xlsx``), written atomically."""
    data = xlsx_bytes(tables)

    def dump(target: Path) -> None:
        target.write_bytes(data)

    return write_atomic(path, dump)


def write_json(data: Any, path: Path) -> Path:
    """``data`` as indented JSON (numpy numbers and non-finite floats made plain)."""
    text = json.dumps(_plain(data), indent=2, ensure_ascii=False) + "\n"

    def dump(target: Path) -> None:
        target.write_text(text, encoding="utf-8")

    return write_atomic(path, dump)


def write_geojson(features: Iterable[Mapping[str, Any]], path: Path, *, roads: bool) -> Path:
    """A FeatureCollection, compact (road paths are most of it: markets at 5,000 members
    wrote 66 MB indented); ``roads`` adds the OpenStreetMap attribution."""
    listed = [{str(k): _plain(v) if k != "geometry" else v for k, v in f.items()} for f in features]
    whole = collection([], roads=roads)
    text = ", ".join(
        f"{json.dumps(key)}: "
        + (
            features_json(listed, ensure_ascii=False)
            if key == "features"
            else json.dumps(value, ensure_ascii=False)
        )
        for key, value in whole.items()
    )

    def dump(target: Path) -> None:
        target.write_text("{" + text + "}\n", encoding="utf-8")

    return write_atomic(path, dump)


def places_geojson(scenario: Places) -> list[dict[str, Any]]:
    """Members, suppliers, buyers and hubs as GeoJSON point features with their roles."""
    features = [
        point(
            m.lon,
            m.lat,
            {
                "role": "member",
                "id": m.id,
                "name": m.name,
                "cooperative": m.cooperative,
                "tags": ";".join(m.tags),
            },
        )
        for m in scenario.members
    ]
    features += [
        point(s.lon, s.lat, {"role": "supplier", "id": s.id, "name": s.name})
        for s in scenario.suppliers
    ]
    features += [
        point(b.lon, b.lat, {"role": "buyer", "id": b.id, "name": b.name, "kind": b.kind})
        for b in scenario.buyers
    ]
    features += [
        point(
            h.lon,
            h.lat,
            {
                "role": "hub",
                "id": h.id,
                "name": h.name,
                "existing": h.existing,
                "cooperative": h.cooperative,
            },
        )
        for h in scenario.hubs
    ]
    return features


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_plain(r) for r in value.to_dict(orient="records")]
    if isinstance(value, Path):
        return str(value)
    return plain(value)
