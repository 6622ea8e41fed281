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
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError, Problem

__all__ = [
    "MAX_FILE_BYTES",
    "RawTable",
    "read_csv_table",
    "read_workbook",
    "read_yaml_mapping",
]

MAX_FILE_BYTES = 20 * 1024 * 1024


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
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = None if mark is None else mark.line + 1
        reason = getattr(exc, "problem", None) or "valid YAML"
        raise InputError(Problem(shown, f"valid YAML ({reason}, line {row})")) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            Problem(shown, "a YAML mapping of keys to values", value=type(data).__name__)
        )
    return data


def read_csv_table(path: Path, name: str, shown: str | None = None) -> RawTable:
    """Read one CSV file (comma, semicolon or tab separated; UTF-8, with or without BOM)."""
    shown = shown or str(path)
    check_size(path, shown)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            Problem(shown, f"UTF-8 text (undecodable byte at position {exc.start})")
        ) from None
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


def read_workbook(path: Path, shown: str | None = None) -> dict[str, RawTable]:
    """Read every sheet of an ``.xlsx`` workbook as a raw table of strings."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    shown = shown or str(path)
    check_size(path, shown)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(
            Problem(shown, f"an Excel .xlsx workbook ({exc.__class__.__name__}: {exc})")
        ) from None
    tables: dict[str, RawTable] = {}
    try:
        for sheet in book.worksheets:
            tables[sheet.title.strip()] = _sheet_table(sheet, shown)
    finally:
        book.close()
    return tables


def _sheet_table(sheet: Any, shown: str) -> RawTable:
    name = sheet.title.strip()
    records = sheet.iter_rows(values_only=True)
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
