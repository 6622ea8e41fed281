"""Numbers as people read them: the one formatter the CLI, the app and the reports share.

Money (a unit that is a currency code, ``EUR``, or a price per unit, ``EUR/kg``) has two
decimals (prices per unit below 1 keep four significant digits); other figures of a thousand
or more get thousands separators and no decimals, figures from 1 to 1,000 at most two
decimals, figures below 1 four significant digits; percentages get a space before ``%``;
durations in hours read as hours and minutes (``2:05 h``), never decimal hours; missing
values are a dash. Times of day, kept in the tables as minutes after midnight (columns in
:data:`CLOCK_COLUMNS`), read as ``HH:MM``.

Table columns are named for people by :func:`column_header` (words and the unit,
``distance (km)``) and their cells formatted by :func:`column_formatter`; :func:`label_ids`
writes a name beside each id. The model tables keep their raw columns; this is the view.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module and must start without pandas
    import pandas as pd

__all__ = [
    "CLOCK_COLUMNS",
    "DASH",
    "column_formatter",
    "column_header",
    "format_cell",
    "format_clock",
    "format_hours",
    "format_number",
    "is_money",
    "label_ids",
    "plain_text",
]

DASH = "–"
_MONEY_UNIT = re.compile(r"[A-Z]{3}(/\S+)?")
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
    if unit == "h" and math.isfinite(number):
        return format_hours(number, sign=sign)
    money = is_money(unit)
    if math.isinf(number):
        text = "∞" if number > 0 else "-∞"
    elif money and (abs(number) >= 1 or "/" not in unit) and abs(number) >= 0.005:
        text = f"{number:,.2f}"
    elif money and number == 0:
        text = "0.00"
    elif abs(number) >= 1000:
        text = f"{number:,.0f}"
    elif number != 0 and abs(number) < 1:
        import numpy as np  # here only: listing stored runs needs no numpy

        text = np.format_float_positional(
            number, precision=4, unique=False, fractional=False, trim="-"
        )
    else:
        text = f"{number:,.2f}".rstrip("0").rstrip(".")
    if money and "." in text and len(text.split(".")[1]) < 2:
        text = text + "0" * (2 - len(text.split(".")[1]))  # 0.5 EUR/kg reads 0.50
    if text in ("-0", "0", "-0.00", "0.00"):
        text, number = text.lstrip("-"), 0.0
    if sign and number > 0:
        text = "+" + text
    return f"{text} {unit}".strip() if unit else text


def is_money(unit: str) -> bool:
    """Whether ``unit`` is money: a currency code (``EUR``) or a price per unit (``EUR/kg``)."""
    return bool(_MONEY_UNIT.fullmatch(unit))


def format_hours(hours: object, *, sign: bool = False) -> str:
    """A duration in hours as hours and minutes, ``"2:05 h"`` (to the nearest minute)."""
    try:
        number = float(hours)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DASH if hours is None else str(hours)
    if not math.isfinite(number):
        return DASH
    minutes = round(abs(number) * 60)
    lead = "-" if number < 0 and minutes else ("+" if sign and minutes else "")
    return f"{lead}{minutes // 60}:{minutes % 60:02d} h"


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
    if not _is_number(value):
        return DASH if value is None else str(value)
    return format_number(value)


def _is_number(value: object) -> bool:
    """An int, a float or a numpy number, not a bool (numpy is not loaded to ask)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    numpy = sys.modules.get("numpy")  # a numpy number exists only when numpy is loaded
    return numpy is not None and isinstance(value, numpy.number)


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


# --------------------------------------------------------------------- table columns
# columns holding a travel time in hours, shown in minutes (a producer thinks in minutes)
_TRAVEL_HOURS = re.compile(r"(^|_)time_h$")
# columns counting members (``within_30_min``: members within 30 minutes of a buyer)
_CURRENCY_HEADER = re.compile(r"\([A-Z]{3}\)$")
_MEMBER_COUNTS = re.compile(r"^within_\d+_min$")
_SUFFIX_UNITS = {"_km": "km", "_kg": "kg", "_m": "m", "_min": "min", "_s": "s", "_t": "t"}
_PER_UNIT = re.compile(r"(price|per_unit|handling_fee)")
_MONEY = re.compile(
    r"(cost|bill|savings|income|revenue|gain|amount|penalty|^share$|^alone$|net_value)"
)
_QUANTITY = re.compile(
    r"^(quantity|demand|pooled|local|supply|planned_quantity|threshold|min_order|capacity|"
    r"max_intake|min_contract)$"
)


def column_header(column: str, currency: str = "EUR", *, unit: str = "unit") -> str:
    """A table column as people read it: words, and the unit in brackets.

    ``distance_km`` is ``distance (km)``; ``time_h`` ``time (min)`` (travel times are shown
    in minutes), ``duration_h`` ``duration (h:mm)``; ``arrival_min`` (a time of day)
    ``arrival (hh:mm)``; ``savings_pct`` ``savings (%)``; money ``bill (EUR)`` and prices
    ``price (EUR/unit)``; quantities ``quantity (units)``. ``unit``, the products' unit
    when a table holds products of one unit, names it: ``price (EUR/t)``, ``quantity (t)``.
    A column it does not know keeps its words.
    """
    if column.endswith(")"):  # named for people already, with its unit
        return column
    kind, stem = _column_kind(column)
    words = stem.replace("_", " ").strip()
    unit = {
        "clock": "hh:mm",
        "percent": "%",
        "minutes": "min",
        "hours": "h:mm",
        "per_unit": f"{currency}/{unit}",
        "money": currency,
        "quantity": "units" if unit == "unit" else unit,
        "members": "members",
    }.get(kind, _SUFFIX_UNITS.get(kind, ""))
    return f"{words} ({unit})" if unit else words


def column_formatter(column: str) -> Callable[[object], str]:
    """How the cells of ``column`` read (the values stay as they are): times of day as
    ``HH:MM``, travel times in minutes, other hours as ``h:mm``, money with two decimals, the
    rest by :func:`format_number`; the unit is in the header (:func:`column_header`)."""
    kind, _ = _column_kind(column)
    if kind == "clock":
        return format_clock
    if kind == "minutes":
        return _hours_as_minutes
    if kind == "hours":
        return _hours_plain
    if kind in ("money", "per_unit"):
        return partial(_money_cell, per_unit=kind == "per_unit")
    return format_number


def label_ids(frame: pd.DataFrame, names: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """``frame`` with every id in a column of ``names`` written ``Name (ID)``.

    ``names`` maps a column (``member``, ``buyer``, ...) to that column's id → name; ids
    without a name, and names equal to their id, stay as they are. A cell listing several ids
    (``B3; B4``, ``M1, M2``) names each.
    """
    out = frame.copy()
    for column, lookup in names.items():
        if column in out.columns and lookup:
            out[column] = out[column].map(lambda v, lk=lookup: _named(v, lk))
    return out


def _named(value: object, lookup: Mapping[str, str]) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return value
    text = str(value)
    name = lookup.get(text)
    if name:
        return f"{name} ({value})" if name != text else value
    for sep in (";", ","):
        parts = [p.strip() for p in text.split(sep)]
        if len(parts) > 1 and any(p in lookup for p in parts):
            return f"{sep} ".join(str(_named(p, lookup)) for p in parts)
    return value


def _column_kind(column: str) -> tuple[str, str]:
    """What a column holds, and its name without the unit suffix."""
    if _CURRENCY_HEADER.search(column):  # "gain (EUR)": named for people, in money
        return "money", column
    if column in CLOCK_COLUMNS:
        return "clock", column.removesuffix("_min")
    if column.endswith("_pct"):
        return "percent", column.removesuffix("_pct")
    if _MEMBER_COUNTS.match(column):
        return "members", column
    if column.endswith("_h"):
        stem = column.removesuffix("_h")
        return ("minutes" if _TRAVEL_HOURS.search(column) else "hours"), stem
    for suffix in _SUFFIX_UNITS:
        if column.endswith(suffix):
            return suffix, column.removesuffix(suffix)
    if _PER_UNIT.search(column):
        return "per_unit", column
    if _MONEY.search(column):
        return "money", column
    if _QUANTITY.match(column):
        return "quantity", column
    return "", column


def _hours_as_minutes(value: object) -> str:
    try:
        return format_number(float(value) * 60.0)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DASH if value is None else str(value)


def _hours_plain(value: object) -> str:
    return format_hours(value).removesuffix(" h")


def _money_cell(value: object, *, per_unit: bool) -> str:
    return format_number(value, "EUR/unit" if per_unit else "EUR").rsplit(" ", 1)[0]
