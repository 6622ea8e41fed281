"""Scenarios uploaded through the app: a folder as ``.zip`` or an ``.xlsx`` workbook.

Everything uploaded is untrusted. The upload is size-limited; a zip's entries are checked
before anything is written (no absolute paths, no ``..``, no links, not too many, not too
large, checked again while reading since declared sizes can lie) and extracted into a fresh
temporary folder; settings are read with ``yaml.safe_load`` only (through the scenario
loader) and every file they name must lie inside that folder. Nothing is unpickled.
Problems raise :class:`~optimizer.errors.InputError`, like any bad input.

A loaded scenario holds its tables in memory; only its road file is read again (by every
solve). That file is kept by its content's SHA-256 under the process's upload root
(``roads/<sha256>/<name>``) as long as the process lives, so a scenario an app session still
shows never loses its roads however many uploads follow, and the same roads uploaded twice
are one file. The unpacked folder itself is removed as soon as the scenario is loaded.
:func:`shown_path` turns those server paths back into the names the user uploaded.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import stat
import tempfile
import threading
import zipfile
import zlib
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.io.read import check_zip_parts, load_yaml_text
from optimizer.leftovers import owned_folder
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import SETTINGS_FILE, Scenario

__all__ = [
    "ALLOWED_SUFFIXES",
    "MAX_ENTRIES",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "MAX_UPLOAD_BYTES",
    "UPLOADS_PREFIX",
    "file_stem",
    "load_upload",
    "pack_scenario",
    "shown_path",
    "workbook_bytes",
]

MAX_UPLOAD_BYTES = 50 * 2**20
MAX_ENTRIES = 200
MAX_ENTRY_BYTES = 100 * 2**20
MAX_TOTAL_BYTES = 200 * 2**20
MAX_NAME_BYTES = 200  # per file or folder name; file systems allow 255
UPLOADS_PREFIX = "coop-optimizer-uploads-"
# files a scenario folder may hold; anything else in a zip is left out
ALLOWED_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx", ".osm", ".bz2", ".gz", ".pbf", ".graphml")
_SKIPPED_PARTS = ("__MACOSX",)

_ROOT: list[Path] = []  # the one uploads folder of this process, made on first use
_ROADS = "roads"  # under the root: road files by content, kept while the process lives
_ROADS_LOCK = threading.Lock()  # app sessions upload from several threads


def load_upload(name: str, data: bytes) -> Scenario:
    """Load an uploaded scenario: a folder packed as ``.zip`` or an ``.xlsx`` workbook.

    Parameters
    ----------
    name
        The uploaded file's name (only its suffix is used, and to name it in messages).
    data
        The file's bytes.

    Raises
    ------
    InputError
        For an oversized or unsafe upload, a bad zip or workbook, or any problem in the
        scenario itself (naming the file, row and column inside the upload).
    """
    shown = PurePosixPath(name.replace("\\", "/")).name or "upload"
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputError(
            Problem(
                shown,
                f"an upload of at most {MAX_UPLOAD_BYTES // 2**20} MB",
                value=f"{len(data):,} bytes",
            )
        )
    suffix = PurePosixPath(shown).suffix.lower()
    if suffix not in (".zip", ".xlsx"):
        raise InputError(
            Problem(shown, "a scenario folder packed as .zip, or an .xlsx workbook", value=suffix)
        )
    folder = _fresh_folder()
    try:
        if suffix == ".xlsx":
            check_zip_parts(BytesIO(data), shown)
            target = folder / _safe_name(shown)
            target.write_bytes(data)
            try:
                scenario = _confined(_load(target, folder, shown), folder, shown)
            except InputError as exc:
                raise InputError([_road_file_hint(p, shown) for p in exc.problems]) from None
        else:
            _extract(data, folder, shown)
            path = _scenario_path(folder, shown)
            scenario = _confined(_load(path, folder, shown), folder, shown)
        return _with_kept_roads(scenario)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def shown_path(text: str) -> str:
    """``text`` with this process's upload paths replaced by the names the user uploaded.

    A kept road file reads as its uploaded name (``roads.osm.bz2``); anything else under the
    upload root as ``the upload``. For messages about an uploaded scenario's files, which
    must never show where the server keeps them.
    """
    if not _ROOT or str(_ROOT[0]) not in text:
        return text
    for kept in (_ROOT[0] / _ROADS).glob("*/*"):
        text = text.replace(str(kept), kept.name)
    return re.sub(re.escape(str(_ROOT[0])) + r"[^\s,:;'\"]*", "the upload", text)


def pack_scenario(scenario: Scenario) -> bytes:
    """The scenario as a ``.zip`` that :func:`load_upload` takes back: ``scenario.yaml``, one
    CSV per table and the road file beside them (named in ``scenario.yaml`` by its name)."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / file_stem(scenario.name)
        folder.mkdir()
        _road_beside(scenario, folder, copy=True).to_folder(folder)
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                packed = file.suffix in (".bz2", ".gz", ".pbf")  # compressed already
                archive.write(
                    file,
                    f"{folder.name}/{file.name}",
                    compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED,
                )
        return buffer.getvalue()


def workbook_bytes(scenario: Scenario) -> bytes:
    """The scenario as one ``.xlsx`` workbook naming its road file by its name alone, so that
    the workbook and the road file packed together in a ``.zip`` load again."""
    with tempfile.TemporaryDirectory() as temporary:
        path = Path(temporary) / "scenario.xlsx"
        return _road_beside(scenario, path.parent).to_xlsx(path).read_bytes()


def _road_beside(scenario: Scenario, folder: Path, *, copy: bool = False) -> Scenario:
    """The scenario with its road file in ``folder`` (copied there when ``copy``)."""
    road = scenario.network.file
    if road is None:
        return scenario
    inside = folder / Path(road).name
    if copy:
        shutil.copyfile(road, inside)
    network = scenario.network.model_copy(update={"file": inside})
    return scenario.model_copy(update={"network": network})


def file_stem(name: str) -> str:
    """A scenario's name as a file or folder name (lower case, letters, digits and dashes)."""
    kept = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower())
    return "-".join(part for part in kept.split("-") if part)[:60] or "scenario"


def _road_file_hint(problem: Problem, shown: str) -> Problem:
    """A workbook names a road file it cannot carry: say how to provide it."""
    if problem.key != "network.file":
        return problem
    name = PurePosixPath(str(problem.value or "").replace("\\", "/")).name or "the road file"
    return Problem(
        problem.file,
        f"the road file {name!r} beside the workbook: an .xlsx upload holds the tables only, "
        f"so upload a .zip holding {shown} and {name!r} together (or the scenario's .zip "
        "download, which holds its roads)",
        key=problem.key,
        value=problem.value,
        sheet=problem.sheet,
    )


# --------------------------------------------------------------------- zip
def _open_zip(data: bytes, shown: str, expected: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise InputError(Problem(shown, f"{expected} ({exc.__class__.__name__})")) from None


def _extract(data: bytes, folder: Path, shown: str) -> None:
    with _open_zip(data, shown, "a .zip archive of a scenario folder") as archive:
        infos = archive.infolist()
        problems = _entry_problems(infos, shown)
        if problems:
            raise InputError(problems)
        written = 0
        for info in infos:
            relative = _entry_path(info)
            if relative is None:
                continue
            target = folder.joinpath(*relative.parts)
            # belt and braces: the resolved path must stay in the folder
            if not target.resolve().is_relative_to(folder.resolve()):
                raise InputError(Problem(shown, "entries inside the archive", value=info.filename))
            size = 0
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, target.open("wb") as sink:
                    while chunk := source.read(1 << 20):
                        size += len(chunk)
                        written += len(chunk)
                        if size > MAX_ENTRY_BYTES or written > MAX_TOTAL_BYTES:
                            raise InputError(
                                Problem(
                                    shown,
                                    f"entries of at most {MAX_ENTRY_BYTES // 2**20} MB and "
                                    f"{MAX_TOTAL_BYTES // 2**20} MB in all, unpacked",
                                    value=info.filename,
                                )
                            )
                        sink.write(chunk)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
                raise InputError(
                    Problem(
                        shown, f"a readable entry ({exc.__class__.__name__})", value=info.filename
                    )
                ) from None


def _entry_problems(infos: list[zipfile.ZipInfo], shown: str) -> list[Problem]:
    problems = []
    if len(infos) > MAX_ENTRIES:
        problems.append(
            Problem(shown, f"at most {MAX_ENTRIES} entries", value=f"{len(infos)} entries")
        )
    declared = 0
    files = {_entry_key(i) for i in infos if not i.is_dir()}
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name.replace("\\", "/")).parts
        mode = info.external_attr >> 16
        folders = {"/".join(parts[:n]).lower() for n in range(1, len(parts))}
        if any(len(p.encode("utf-8", "replace")) > MAX_NAME_BYTES for p in parts):
            problems.append(
                Problem(
                    shown,
                    f"file and folder names of at most {MAX_NAME_BYTES} bytes",
                    value=name,
                )
            )
        elif folders & files:
            problems.append(Problem(shown, "no file with the same name as a folder", value=name))
        elif name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
            problems.append(Problem(shown, "relative paths inside the archive", value=name))
        elif ".." in parts:
            problems.append(Problem(shown, "paths without '..' inside the archive", value=name))
        elif stat.S_ISLNK(mode):
            problems.append(Problem(shown, "plain files, not symbolic links", value=name))
        elif info.file_size > MAX_ENTRY_BYTES:
            problems.append(
                Problem(
                    shown,
                    f"entries of at most {MAX_ENTRY_BYTES // 2**20} MB unpacked",
                    value=f"{name}: {info.file_size:,} bytes",
                )
            )
        declared += info.file_size
    if declared > MAX_TOTAL_BYTES:
        problems.append(
            Problem(
                shown,
                f"at most {MAX_TOTAL_BYTES // 2**20} MB unpacked in all",
                value=f"{declared:,} bytes",
            )
        )
    return problems


def _entry_key(info: zipfile.ZipInfo) -> str:
    """An entry's path as the file system compares it (case-insensitively on some)."""
    return "/".join(PurePosixPath(info.filename.replace("\\", "/")).parts).lower()


def _entry_path(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """Where an entry goes, or None for folders and files a scenario does not use."""
    if info.is_dir():
        return None
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if any(p in _SKIPPED_PARTS or p.startswith(".") for p in path.parts):
        return None
    if not path.name.lower().endswith(ALLOWED_SUFFIXES):
        return None
    return path


def _scenario_path(folder: Path, shown: str) -> Path:
    settings = sorted(folder.rglob(SETTINGS_FILE), key=lambda p: (len(p.parts), str(p)))
    if len(settings) == 1:
        return settings[0].parent
    if len(settings) > 1:
        found = ", ".join(str(p.relative_to(folder)) for p in settings)
        raise InputError(Problem(shown, f"one {SETTINGS_FILE} in the archive", value=found))
    books = sorted(folder.rglob("*.xlsx"))
    if len(books) == 1:
        return books[0]
    raise InputError(
        Problem(
            shown,
            f"a scenario folder with {SETTINGS_FILE} and its CSV files, or one .xlsx workbook",
            value="no scenario.yaml" if not books else f"{len(books)} workbooks",
        )
    )


# --------------------------------------------------------------------- loading
def _load(path: Path, folder: Path, shown: str) -> Scenario:
    if path.is_dir():
        _check_settings_paths(path / SETTINGS_FILE, folder, shown)
    try:
        return load_scenario(path)
    except InputError as exc:
        # name files as the user knows them: inside the upload, not in a temporary folder
        raise InputError([_relocated(p, folder, shown) for p in exc.problems]) from None


def _check_settings_paths(settings: Path, folder: Path, shown: str) -> None:
    """Files named in ``scenario.yaml`` (tables, road network) must lie in the upload."""
    try:
        data: Any = load_yaml_text(settings.read_text(encoding="utf-8-sig"), shown)
    except (InputError, UnicodeDecodeError, OSError):
        return  # the scenario loader reports it, located
    if not isinstance(data, dict):
        return
    named: list[tuple[str, Any]] = []
    tables = data.get("tables")
    if isinstance(tables, dict):
        named += [(f"tables.{k}", v) for k, v in tables.items()]
    network = data.get("network")
    if isinstance(network, dict) and network.get("file"):
        named.append(("network.file", network["file"]))
    problems = [
        Problem(shown, "a file inside the uploaded folder", key=key, value=str(value))
        for key, value in named
        if not _inside(settings.parent / str(value), folder)
    ]
    if problems:
        raise InputError(problems)


def _confined(scenario: Scenario, folder: Path, shown: str) -> Scenario:
    file = scenario.network.file
    if file is not None and not _inside(Path(file), folder):
        raise InputError(
            Problem(shown, "a road file inside the upload", key="network.file", value=str(file))
        )
    return scenario


def _inside(path: Path, folder: Path) -> bool:
    text = str(path)
    if ".." in Path(text).parts:
        return False
    return path.resolve().is_relative_to(folder.resolve())


def _relocated(problem: Problem, folder: Path, shown: str) -> Problem:
    text = problem.file
    prefix = str(folder)
    if text.startswith(prefix):
        inner = text[len(prefix) :].lstrip("/\\")
        text = (
            shown if inner in ("", shown) or inner.startswith(f"{shown},") else f"{shown}: {inner}"
        )
        if inner.startswith(f"{shown},"):
            text = inner
    return Problem(
        text,
        problem.expected,
        row=problem.row,
        column=problem.column,
        value=problem.value,
        sheet=problem.sheet,
        key=problem.key,
    )


def _safe_name(name: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_. " else "_" for c in name).strip(" .")
    return kept if kept.lower().endswith(".xlsx") else "upload.xlsx"


def _root() -> Path:
    """The upload root of this process, removed when the process ends.

    It is named after this process (:func:`~optimizer.leftovers.owned_folder`): the first
    upload of a later process removes the roots of processes that were killed.
    """
    if not _ROOT or not _ROOT[0].is_dir():
        _ROOT[:] = [owned_folder(UPLOADS_PREFIX)]
        atexit.register(shutil.rmtree, _ROOT[0], ignore_errors=True)
    return _ROOT[0]


def _fresh_folder() -> Path:
    """A new folder to unpack one upload into (removed once the upload is loaded)."""
    return Path(tempfile.mkdtemp(prefix="upload-", dir=_root()))


def _with_kept_roads(scenario: Scenario) -> Scenario:
    """The scenario with its road file moved to ``<root>/roads/<sha256>/`` (one per content)."""
    file = scenario.network.file
    if file is None:
        return scenario
    source = Path(file)
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    folder = _root() / _ROADS / digest.hexdigest()
    with _ROADS_LOCK:
        kept = sorted(folder.glob("*")) if folder.is_dir() else []
        if kept:
            target = kept[0]  # the same roads uploaded before, under their first name
        else:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / source.name
            os.replace(source, target)
    network = scenario.network.model_copy(update={"file": target})
    return scenario.model_copy(update={"network": network})
