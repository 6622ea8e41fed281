"""Numbers as people read them: the one formatter the CLI, the app and the reports share.

Figures of a thousand or more get thousands separators and no decimals; figures from 1 to
1,000 at most two decimals; figures below 1 (prices per kg, shares) four significant digits;
percentages get a space before ``%``; missing values are a dash. Times of day, kept in the
tables as minutes after midnight (columns in :data:`CLOCK_COLUMNS`), read as ``HH:MM``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "CLOCK_COLUMNS",
    "DASH",
    "format_cell",
    "format_clock",
    "format_number",
    "plain_text",
]

DASH = "–"
# table columns holding a time of day as minutes after midnight (the routes' tables)
CLOCK_COLUMNS = frozenset({"start_min", "end_min", "arrival_min", "service_start_min"})


def format_number(value: object, unit: str = "", *, sign: bool = False) -> str:
    """``value`` for a table cell, a card or a sentence.

    ``unit`` follows the number (``"%"`` with a space, as in ``"12.5 %"``); ``sign`` writes
    ``+`` before positive numbers (for changes). A small change never reads as zero, and zero is
    never written ``-0``.
    """
    if value is None:
        return DASH
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return DASH
    if math.isinf(number):
        text = "∞" if number > 0 else "-∞"
    elif abs(number) >= 1000:
        text = f"{number:,.0f}"
    elif number != 0 and abs(number) < 1:
        text = np.format_float_positional(
            number, precision=4, unique=False, fractional=False, trim="-"
        )
    else:
        text = f"{number:,.2f}".rstrip("0").rstrip(".")
    if text in ("-0", "0"):
        text, number = "0", 0.0
    if sign and number > 0:
        text = "+" + text
    return f"{text} {unit}".strip() if unit else text


def format_clock(minutes: object) -> str:
    """A time of day given in minutes after midnight, as ``HH:MM`` (to the nearest minute).

    Times past midnight keep counting (``25:30``); missing values are a dash.
    """
    if minutes is None:
        return DASH
    try:
        number = float(minutes)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(minutes)
    if not math.isfinite(number):
        return DASH
    whole = round(number)
    sign, whole = ("-", -whole) if whole < 0 else ("", whole)
    return f"{sign}{whole // 60:02d}:{whole % 60:02d}"


def format_cell(value: object, column: str = "") -> str:
    """A table cell for the eye: clock columns as ``HH:MM``, numbers by :func:`format_number`,
    anything else as text."""
    if column in CLOCK_COLUMNS:
        return format_clock(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return DASH if value is None else str(value)
    return format_number(value)


def plain_text(value: object, limit: int = 200) -> str:
    """User text (a name, an id, a description) cut to ``limit`` characters for display.

    Terminals and tables wrap long unbroken text slowly (Rich takes quadratic time), so a
    name or description is shown up to ``limit`` characters followed by an ellipsis;
    control characters other than newlines become spaces. Escaping markup is the
    caller's job (``rich.markup.escape`` in the CLI).
    """
    text = str(value)
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return "".join(c if c.isprintable() or c == "\n" else " " for c in text)
