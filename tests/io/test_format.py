"""Times of day and table cells as people read them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.io.format import DASH, format_cell, format_clock


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
