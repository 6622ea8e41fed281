"""``solve --time-limit`` takes a positive, finite number of seconds; anything else is one error
line and exit 2 (an infinite limit would let a search run for ever). It applies to routes and
to procurement's member-least-core split (the seconds its search may take)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from tests.conftest import TINY

runner = CliRunner()


MEMBER_CORE = ["--model", "procurement", "--split", "member-least-core"]


@pytest.mark.parametrize("model", [["--model", "routes"], MEMBER_CORE])
@pytest.mark.parametrize("limit", ["inf", "nan", "0", "-1", "-inf"])
def test_a_time_limit_that_is_not_positive_and_finite_is_refused(
    limit: str, model: list[str]
) -> None:
    result = runner.invoke(app, ["solve", str(TINY), *model, f"--time-limit={limit}"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "--time-limit" in lines[0] and "finite" in lines[0]


@pytest.mark.parametrize(
    "model",
    [
        ["--model", "procurement"],
        ["--model", "markets"],
        ["--model", "procurement", "--split", "shapley"],
    ],
)
def test_a_time_limit_where_no_search_takes_it_is_refused(model: list[str]) -> None:
    result = runner.invoke(app, ["solve", str(TINY), *model, "--time-limit=5", "--no-store"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "--time-limit" in lines[0]


def test_the_member_least_core_takes_its_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer.pipeline import procurement

    budgets: list[float] = []
    search = procurement.member_least_core

    def recorded(*args: Any, **kwargs: Any) -> Any:
        budgets.append(kwargs["budget_s"])
        return search(*args, **kwargs)

    monkeypatch.setattr(procurement, "member_least_core", recorded)
    result = runner.invoke(app, ["solve", str(TINY), *MEMBER_CORE, "--time-limit=12", "--no-store"])
    assert result.exit_code == 0, result.output
    assert "member least core" in result.output and budgets == [12.0]
    result = runner.invoke(app, ["solve", str(TINY), *MEMBER_CORE, "--no-store"])
    assert result.exit_code == 0 and budgets == [12.0, procurement.BUDGET_S]


def test_a_member_least_core_time_limit_below_its_setup_is_refused() -> None:
    # its setup (the parts' plans, the first rows, one MILP) takes several seconds: a budget
    # under MIN_BUDGET_S could not be kept
    result = runner.invoke(app, ["solve", str(TINY), *MEMBER_CORE, "--time-limit=5", "--no-store"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert "at least 10" in lines[0]
