"""Terminal tables never cut a number, whatever the terminal's width."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from rich.console import Console

from optimizer.cli.show import frame_table
from optimizer.io.format import format_cell


def _orders(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "supplier": [f"Supplier [/x] number {i}" for i in range(rows)],
            "product": ["dairy_feed", "fertiliser", "wheat_seed", "crates", "fertiliser"][:rows],
            "discount": ["all_units", "incremental", "all_units", "all_units", "incremental"][
                :rows
            ],
            "quantity": [506500.0, 475.1, 59510.0, 11834.0, 1.0][:rows],
            "bracket": [3, 3, 2, 2, 0][:rows],
            "threshold": [240000.0, 312.0, 50000.0, 6000.0, 0.0][:rows],
            "unit_price": [0.305, 365.0, 0.64, 3.8, 415.0][:rows],
            "goods_cost": [154482.5, 173411.5, 38086.4, 44969.2, 415.0][:rows],
            "average_price": [0.305, 365.0, 0.64, 3.8, 415.0][:rows],
        }
    )


def _shown(frame: pd.DataFrame, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(frame_table(frame, "Orders"))
    return out.getvalue()


@pytest.mark.parametrize("rows", [1, 5])
@pytest.mark.parametrize("width", [40, 60, 80, 100, 200])
def test_every_number_is_shown_whole(rows: int, width: int) -> None:
    frame = _orders(rows)
    text = _shown(frame, width)
    tokens = set(re.split(r"[\s│┃]+", text))
    for column in ("quantity", "bracket", "threshold", "unit_price", "goods_cost"):
        for value in frame[column]:
            assert format_cell(value, column) in tokens, (width, column, value)
    assert "…" not in text
    assert all(len(line) <= width for line in text.splitlines())


def test_wide_tables_read_as_lists_and_names_print_as_written() -> None:
    text = _shown(_orders(1), 60)
    assert "average price" in text  # one line per column, its words apart
    assert "Supplier [/x] number 0" in text
    boxed = _shown(_orders(5), 200)
    assert "┏" in boxed and "row 1" not in boxed


def test_a_table_without_rows_says_so() -> None:
    for width in (60, 200):
        text = _shown(_orders(0), width)
        assert "average price" in text and "0.305" not in text
