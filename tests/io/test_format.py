"""Times of day and table cells as people read them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optimizer.io.format import (
    DASH,
    column_formatter,
    column_header,
    format_cell,
    format_clock,
    label_ids,
)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0.0, "00:00"),
        (6 * 60 + 5, "06:05"),
        (13 * 60 + 59.6, "14:00"),  # to the nearest minute
        (np.float64(7 * 60 + 30.2), "07:30"),
        (25 * 60 + 30, "25:30"),  # past midnight the hours keep counting
        (math.nan, DASH),
        (None, DASH),
    ],
)
def test_format_clock(minutes: float | None, text: str) -> None:
    assert format_clock(minutes) == text


def test_format_cell_reads_clock_columns_as_times_and_numbers_by_the_one_formatter() -> None:
    assert format_cell(390.0, "start_min") == "06:30"
    assert format_cell(390.0, "road_min") == "390"  # a duration, not a time of day
    assert format_cell(1234.5678, "cost") == "1,235"
    assert format_cell(np.int64(3), "stops") == "3"
    assert format_cell("M01", "member") == "M01"
    assert format_cell(True, "open") == "True"
    assert format_cell(None, "cost") == DASH


@pytest.mark.parametrize(
    ("column", "header", "value", "cell"),
    [
        ("distance_km", "distance (km)", 12.3456, "12.35"),
        ("time_h", "time (min)", 0.5, "30"),  # travel times in minutes
        ("worst_time_h", "worst time (min)", 0.25, "15"),
        ("duration_h", "duration (h:mm)", 2.0833, "2:05"),  # never decimal hours
        ("arrival_min", "arrival (hh:mm)", 390.0, "06:30"),
        ("savings_pct", "savings (%)", 13.384, "13.38"),
        ("bill", "bill (EUR)", 1234.5, "1,234.50"),  # money with two decimals
        ("standalone_cost", "standalone cost (EUR)", 3000.0, "3,000.00"),
        ("alone", "alone (EUR)", 3000.0, "3,000.00"),  # the bills' cost of buying alone
        ("net_per_unit", "net per unit (EUR/unit)", 0.31512, "0.3151"),
        ("price", "price (EUR/unit)", 0.5, "0.50"),
        ("quantity", "quantity (units)", 4000.0, "4,000"),
        ("within_30_min", "within 30 min (members)", 12, "12"),
        ("load_kg", "load (kg)", 1500.0, "1,500"),
        ("stops", "stops", 3, "3"),
        ("value", "value", 0.36, "0.36"),  # a column of mixed units (its unit beside it)
        ("net_value_alone", "net value alone (EUR)", 12.0, "12.00"),
        # named for people already: kept, and money still has two decimals
        ("mean savings (EUR)", "mean savings (EUR)", 2.5, "2.50"),
    ],
)
def test_table_columns_read_in_words_with_their_unit(
    column: str, header: str, value: float, cell: str
) -> None:
    assert column_header(column) == header
    assert column_formatter(column)(value) == cell


def test_ids_get_their_names_beside_them() -> None:
    frame = pd.DataFrame({"member": ["M1", "M2", None], "buyer": ["B1", "B1", "B9"]})
    shown = label_ids(frame, {"member": {"M1": "Hof Anna"}, "buyer": {"B1": "Dairy"}})
    assert list(shown["member"][:2]) == ["Hof Anna (M1)", "M2"]  # no name known: the id
    assert list(shown["buyer"]) == ["Dairy (B1)", "Dairy (B1)", "B9"]
    assert list(frame["member"][:2]) == ["M1", "M2"]  # the table itself stays as it was


def test_a_cell_listing_several_ids_names_each() -> None:
    # the markets' planned_buyers (";"-joined) and a split's gaining group (", "-joined)
    frame = pd.DataFrame({"buyer": ["B1; B2", "B1", "B1; B9"], "group": ["M1, M2", "", None]})
    names = {"buyer": {"B1": "Dairy", "B2": "Mill"}, "group": {"M1": "Hof Anna"}}
    shown = label_ids(frame, names)
    assert list(shown["buyer"]) == ["Dairy (B1); Mill (B2)", "Dairy (B1)", "Dairy (B1); B9"]
    assert list(shown["group"][:2]) == ["Hof Anna (M1), M2", ""]
