"""Checks between the credit tables: the months of one season.

The season of the credit model runs from the first to the last month named in
``input_months``, ``delivery_months`` and ``member_cash``; it may span at most
:data:`MAX_SEASON_MONTHS` months.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any

from optimizer.errors import Problem
from optimizer.io.read import RawTable

__all__ = [
    "MAX_SEASON_MONTHS",
    "month_index",
    "month_name",
    "month_text",
    "season_months",
    "season_problems",
]

MAX_SEASON_MONTHS = 36
_MONTH_TABLES = ("input_months", "delivery_months", "member_cash")
_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_index(month: str) -> int:
    """``YYYY-MM`` as a count of months (year × 12 + month − 1)."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_text(index: int) -> str:
    """A count of months (:func:`month_index`) as ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_name(month: str) -> str:
    """``2026-12`` as ``December 2026``."""
    index = month_index(month)
    return f"{_NAMES[index % 12]} {index // 12}"


def season_months(months: Iterable[str]) -> tuple[str, ...]:
    """Every month from the first to the last of ``months``, in order (none: empty)."""
    indexes = [month_index(m) for m in months]
    if not indexes:
        return ()
    return tuple(month_text(i) for i in range(min(indexes), max(indexes) + 1))


def season_problems(
    tables: Mapping[str, RawTable], rows: Mapping[str, tuple[Any, ...]]
) -> list[Problem]:
    """A season of at most :data:`MAX_SEASON_MONTHS` months: the rows outside the window of
    that many months holding most rows are named (one stray month, say a member's cash in
    2020, is the row to mend, not the forty rows of the season)."""
    months = sorted(month_index(r.month) for name in _MONTH_TABLES for r in rows.get(name, ()))
    if not months:
        return []
    held = [bisect_left(months, m + MAX_SEASON_MONTHS) - i for i, m in enumerate(months)]
    first = months[held.index(max(held))]
    last_allowed = month_text(first + MAX_SEASON_MONTHS - 1)
    problems: list[Problem] = []
    for name in _MONTH_TABLES:
        raw = tables.get(name)
        if raw is None:
            continue
        for index, cells in enumerate(raw.rows):
            month = cells.get("month", "").strip()[:7]
            try:
                beyond = not 0 <= month_index(month) - first < MAX_SEASON_MONTHS
            except ValueError:
                continue  # the row's own problem says what a month looks like
            if beyond:
                problems.append(
                    raw.problem(
                        f"a month from {month_text(first)} to {last_allowed} "
                        f"(a season of at most {MAX_SEASON_MONTHS} months)",
                        index=index,
                        column="month",
                        value=month,
                    )
                )
    return problems
