"""``solve --time-limit`` takes a positive, finite number of seconds; anything else is one error
line and exit 2 (an infinite limit would let a search run for ever)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from tests.conftest import TINY

runner = CliRunner()


@pytest.mark.parametrize("limit", ["inf", "nan", "0", "-1", "-inf"])
def test_a_time_limit_that_is_not_positive_and_finite_is_refused(limit: str) -> None:
    result = runner.invoke(app, ["solve", str(TINY), "--model", "routes", f"--time-limit={limit}"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "--time-limit" in lines[0] and "finite" in lines[0]
