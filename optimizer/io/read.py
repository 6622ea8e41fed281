"""Reading raw tables and settings from disk: CSV files, workbook sheets, YAML.

Everything comes back as plain strings (cells) and dicts (settings), each row tagged with
where it came from, so that validation can name the file, sheet, row and column of any
problem. Nothing here knows the scenario schema.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree

import yaml

from optimizer.errors import InputError, Problem

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SHEET_ROWS",
    "MAX_YAML_ALIASES",
    "RawTable",
    "check_zip_parts",
    "load_yaml_text",
    "read_csv_table",
    "read_workbook",
    "read_yaml_mapping",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
# a scenario needs no YAML aliases; a few are allowed, never an alias bomb or a cycle
MAX_YAML_ALIASES = 20
MAX_YAML_DEPTH = 50
# a workbook's sheet holds at most this many rows (a scenario has hundreds); read no further
MAX_SHEET_ROWS = 100_000
# a workbook (itself a zip) unpacks to at most this much, and at most this ratio
MAX_UNPACKED_BYTES = 50 * 2**20
MAX_ZIP_RATIO = 200
MAX_ZIP_PARTS = 2000


@dataclass(frozen=True)
class RawTable:
    """A table as read: its header, its rows of strings, and where it came from.

    ``first_row`` is the spreadsheet row number of ``rows[0]`` (2 when the header is row 1).
    """

    name: str
    file: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    sheet: str | None = None
    first_row: int = 2
    row_numbers: tuple[int, ...] = field(default=())

    def row_number(self, index: int) -> int:
        if self.row_numbers:
            return self.row_numbers[index]
        return self.first_row + index

    def problem(
        self,
        expected: str,
        *,
        index: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> Problem:
        row = None if index is None else self.row_number(index)
        return Problem(self.file, expected, row=row, column=column, value=value, sheet=self.sheet)


def check_size(path: Path, shown: str) -> None:
    """Refuse a missing, unreadable or oversized file before reading it."""
    if not path.exists():
        raise InputError(Problem(shown, "an existing file (not found)"))
    if not path.is_file():
        raise InputError(Problem(shown, "a file, not a folder"))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            Problem(
                shown, f"a file of at most {MAX_FILE_BYTES // 2**20} MB", value=f"{size:,} bytes"
            )
        )


class _LimitedLoader(yaml.SafeLoader):
    """``yaml.safe_load``'s loader, refusing alias bombs, recursive aliases and deep nesting.

    Aliases share one Python object when loaded, but everything that walks the result later
    (validation, variants, writing) expands them: nine levels of ten aliases are a billion
    values. A scenario needs no aliases, so a few are allowed and no more.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._open: list[str | None] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_YAML_ALIASES} aliases (*name)")
            if event.anchor in self._open:
                raise yaml.YAMLError(f"an alias inside its own anchor (&{event.anchor})")
            return super().compose_node(parent, index)
        event = self.peek_event()
        self._open.append(getattr(event, "anchor", None))
        if len(self._open) > MAX_YAML_DEPTH:
            raise yaml.YAMLError(f"at most {MAX_YAML_DEPTH} levels of nesting")
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()


def load_yaml_text(text: str, shown: str) -> Any:
    """Parse YAML text safely (``yaml.safe_load`` rules, few aliases); problems name ``shown``."""
    loader = _LimitedLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = "" if mark is None else f", line {mark.line + 1}"
        reason = getattr(exc, "problem", None) or (str(exc) if exc.args else "valid YAML")
        raise InputError(Problem(shown, f"valid YAML ({reason}{line})")) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # e.g. a date such as 2024-02-30, or a tag the safe loader cannot build
        raise InputError(Problem(shown, f"valid YAML ({exc.__class__.__name__})")) from None
    finally:
        loader.dispose()


def read_yaml_mapping(path: Path, shown: str | None = None) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping (only ``yaml.safe_load`` is ever used)."""
    shown = shown or str(path)
    check_size(path, shown)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            Problem(shown, f"a readable UTF-8 text file ({exc.__class__.__name__})")
        ) from None
    data = load_yaml_text(text, shown)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            Problem(shown, "a YAML mapping of keys to values", value=type(data).__name__)
        )
    return data


def _not_utf8(raw: bytes, at: int, shown: str) -> Problem:
    """Where a CSV file stops being UTF-8: its row and column (a file saved as Latin-1 or
    Windows-1252 by a spreadsheet, an accented name the first sign)."""
    start = raw.rfind(b"\n", 0, at) + 1
    end = raw.find(b"\n", at)
    header = raw[: raw.find(b"\n")] if b"\n" in raw else raw
    sep = max((b",", b";", b"\t"), key=header.count)
    names = header.decode("utf-8", "replace").lstrip("\ufeff").strip().split(sep.decode())
    field = raw[start:at].count(sep)
    cell = raw[start : len(raw) if end < 0 else end].split(sep)[field]
    return Problem(
        shown,
        "UTF-8 text (save the file as CSV UTF-8)",
        row=raw.count(b"\n", 0, at) + 1,
        column=names[field].strip() if field < len(names) else None,
        value=cell.decode("cp1252", "replace").strip(),
    )


def read_csv_table(path: Path, name: str, shown: str | None = None) -> RawTable:
    """Read one CSV file (comma, semicolon or tab separated; UTF-8, with or without BOM)."""
    shown = shown or str(path)
    check_size(path, shown)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(_not_utf8(raw, exc.start, shown)) from None
    except OSError as exc:
        raise InputError(Problem(shown, f"a readable file ({exc.strerror})")) from None
    if "\x00" in text:
        raise InputError(Problem(shown, "a CSV text file, not a binary file"))
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(Problem(shown, "a header row naming the columns (the file is empty)"))
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError(Problem(shown, f"well-formed CSV ({exc})")) from None
    header = tuple(cell.strip() for cell in records[0])
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    for offset, record in enumerate(records[1:]):
        row_number = offset + 2
        if not any(cell.strip() for cell in record):
            continue  # blank lines are not rows
        if len(record) > len(header):
            extra = [c for c in record[len(header) :] if c.strip()]
            if extra:
                problems.append(
                    Problem(
                        shown,
                        f"at most {len(header)} cells, as many as the header has",
                        row=row_number,
                        value=f"{len(record)} cells",
                    )
                )
                continue
        cells = {
            col: (record[i].strip() if i < len(record) else "") for i, col in enumerate(header)
        }
        rows.append(cells)
        numbers.append(row_number)
    if problems:
        raise InputError(problems)
    return RawTable(name, shown, header, tuple(rows), row_numbers=tuple(numbers))


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def check_zip_parts(source: Path | BinaryIO, shown: str) -> None:
    """Refuse a zip (an ``.xlsx`` is one) that is no zip or would unpack to far too much.

    Declared sizes bound what :mod:`zipfile` will ever unpack (it stops at the declared
    size), so checking them before reading is enough: at most ``MAX_ZIP_PARTS`` parts,
    ``MAX_UNPACKED_BYTES`` in all, and a ratio of at most ``MAX_ZIP_RATIO`` once large.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(
            Problem(
                shown, f"an Excel .xlsx workbook (not a readable zip: {exc.__class__.__name__})"
            )
        ) from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    ratio = total / max(packed, 1)
    if (
        len(infos) > MAX_ZIP_PARTS
        or total > MAX_UNPACKED_BYTES
        or (total > 10 * 2**20 and ratio > MAX_ZIP_RATIO)
    ):
        raise InputError(
            Problem(
                shown,
                f"a workbook of at most {MAX_ZIP_PARTS} parts and "
                f"{MAX_UNPACKED_BYTES // 2**20} MB unpacked",
                value=f"{total:,} bytes in {len(infos)} parts ({ratio:.0f} x packed)",
            )
        )


# what a damaged workbook makes openpyxl raise: bad zip or deflate data, bad XML, missing parts
_BOOK_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
    KeyError,
    IndexError,
    AttributeError,
    TypeError,
    OSError,
    EOFError,
    ValueError,
    OverflowError,
)


def read_workbook(path: Path, shown: str | None = None) -> dict[str, RawTable]:
    """Read every sheet of an ``.xlsx`` workbook as a raw table of strings.

    Never trusts the workbook: its zip is checked before anything is unpacked, a sheet's
    declared ``<dimension>`` is ignored (rows are read up to the real end) and no more than
    ``MAX_SHEET_ROWS`` rows are read; a damaged part is an :class:`InputError`.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    shown = shown or str(path)
    check_size(path, shown)
    check_zip_parts(path, shown)
    tables: dict[str, RawTable] = {}
    damaged = ""
    try:
        # the file is ours to close: openpyxl leaves it open when a damaged part stops it
        with open(path, "rb") as handle:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    tables[str(sheet.title).strip()] = _sheet_table(sheet, shown)
            finally:
                book.close()
    except InputError as error:
        # without the frames that led here: the sheet's row reader among them holds the
        # workbook's file open for as long as the error lives
        raise error.with_traceback(None) from None
    except (InvalidFileException, *_BOOK_ERRORS) as exc:
        damaged = f"{exc.__class__.__name__}: {_short(exc)}"
    if damaged:  # raised here, where the parser's error (and its open file) is gone
        raise InputError(Problem(shown, f"an Excel .xlsx workbook ({damaged})"))
    return tables


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 120 else text[:117] + "..."


def _sheet_table(sheet: Any, shown: str) -> RawTable:
    name = str(sheet.title).strip()
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # a stated <dimension> can claim a million empty rows
    records = iter(sheet.iter_rows(values_only=True))
    header: tuple[str, ...] = ()
    header_row = 0
    for number, record in enumerate(records, start=1):
        if record and any(_cell_text(c) for c in record):
            header = tuple(_cell_text(c) for c in record)
            header_row = number
            break
    while header and not header[-1]:
        header = header[:-1]
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    for number, record in enumerate(records, start=header_row + 1):
        if number > MAX_SHEET_ROWS:
            raise InputError(
                Problem(shown, f"a sheet of at most {MAX_SHEET_ROWS:,} rows", sheet=name)
            )
        cells = [_cell_text(c) for c in (record or ())]
        if not any(cells):
            continue
        rows.append({col: (cells[i] if i < len(cells) else "") for i, col in enumerate(header)})
        numbers.append(number)
    return RawTable(
        name,
        shown,
        header,
        tuple(rows),
        sheet=name,
        first_row=header_row + 1,
        row_numbers=tuple(numbers),
    )


def _cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()
