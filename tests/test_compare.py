"""compare_runs on hand-made runs (deltas computed by hand) and, when a model is registered,
compare_scenarios end to end on the small scenario with a fuel price variant."""

from __future__ import annotations

import math
import subprocess

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from optimizer import apply_overrides, load_scenario
from optimizer.cli.commands import APP_FILE, app_command, compare_command
from optimizer.errors import InputError
from optimizer.pipeline.compare import (
    TOLERANCE_NOTE,
    change_columns,
    compare_runs,
    compare_scenarios,
    tolerance,
)
from optimizer.pipeline.registry import MODELS
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from tests.conftest import LIECHTENSTEIN


def make_run(
    kpis: dict[str, float], members: dict[str, tuple[str, float]], **kw: object
) -> ModelRun:
    per_member = pd.DataFrame(
        [(m, c, v) for m, (c, v) in members.items()], columns=["member", "cooperative", "value"]
    )
    return ModelRun(
        model=str(kw.pop("model", "toy")),
        scenario="toy",
        status=kw.pop("status", Status.OPTIMAL),  # type: ignore[arg-type]
        summary="",
        kpis=tuple(Kpi(k, v, UNITS.get(k, ""), k != "cost") for k, v in kpis.items()),
        tables={},
        per_member=per_member,
        value_label=str(kw.pop("value_label", "savings (EUR)")),
        value_higher_is_better=bool(kw.pop("value_higher_is_better", True)),
    )


UNITS = {"cost": "EUR", "km": "km", "new": ""}


@pytest.fixture
def three_runs() -> list[ModelRun]:
    base = make_run(
        {"cost": 1000.0, "km": 200.0, "zero": 0.0},
        {"m1": ("A", 10.0), "m2": ("A", 20.0), "m3": ("B", 30.0)},
    )
    dear = make_run(
        {"cost": 1100.0, "km": 200.0, "zero": 5.0},
        {"m1": ("A", 15.0), "m2": ("A", 5.0), "m3": ("B", 30.0)},
    )
    cheap = make_run(
        {"cost": 900.0, "km": 150.0, "zero": 0.0, "new": 7.0},
        {"m1": ("A", 10.0), "m3": ("B", 40.0), "m4": ("B", 1.0)},
    )
    return [base, dear, cheap]


def test_kpi_table_has_hand_computed_changes(three_runs: list[ModelRun]) -> None:
    comparison = compare_runs(three_runs, ["base", "dear", "cheap"])
    table = comparison.kpis.set_index("kpi")
    assert list(table.index) == ["cost", "km", "zero", "new"]
    assert table.loc["cost", "unit"] == "EUR"
    # dear: 1100 - 1000 = +100, +100 / 1000 = +10 %
    change, percent = change_columns("dear")
    assert table.loc["cost", change] == pytest.approx(100.0)
    assert table.loc["cost", percent] == pytest.approx(10.0)
    # cheap: 150 - 200 = -50 km, -25 %
    change, percent = change_columns("cheap")
    assert table.loc["km", change] == pytest.approx(-50.0)
    assert table.loc["km", percent] == pytest.approx(-25.0)
    # a base of 0: relative change 0 when unchanged, undefined (NaN) otherwise
    assert table.loc["zero", percent] == 0.0
    assert math.isnan(table.loc["zero", change_columns("dear")[1]])
    # a KPI only the variant has: no base value, so no change either
    assert math.isnan(table.loc["new", "base"])
    assert table.loc["new", "cheap"] == 7.0
    assert math.isnan(table.loc["new", change])


def test_members_joined_with_winners_and_losers(three_runs: list[ModelRun]) -> None:
    comparison = compare_runs(three_runs, ["base", "dear", "cheap"])
    members = comparison.per_member.set_index("member")
    assert list(members.index) == ["m1", "m2", "m3", "m4"]
    assert members.loc["m2", "dear: change"] == pytest.approx(-15.0)
    assert math.isnan(members.loc["m4", "base"])  # only in the cheap variant
    assert members.loc["m4", "cooperative"] == "B"
    # dear, savings (higher is better): m1 +5 gains, m2 -15 loses, m3 unchanged
    winners = comparison.winners("dear")
    losers = comparison.losers("dear")
    assert winners[["member", "gain"]].values.tolist() == [["m1", 5.0]]
    assert losers[["member", "gain"]].values.tolist() == [["m2", -15.0]]
    # cheap: m3 +10; m2 and m4 are on one side only, so neither winner nor loser
    assert comparison.winners("cheap")["member"].tolist() == ["m3"]
    assert comparison.losers("cheap").empty
    text = comparison.summary()
    assert "'dear'" in text and "1,000 -> 1,100 EUR" in text and "+10 %" in text
    assert "m1 (A) +5" in text and "m2 (A) -15" in text


def test_a_bill_is_better_when_it_falls() -> None:
    # the value is what the member pays: paying 8 instead of 10 is a gain of 2
    bill = {"value_label": "bill", "value_higher_is_better": False}
    base = make_run({"cost": 10.0}, {"m1": ("A", 10.0), "m2": ("A", 5.0)}, **bill)
    other = make_run({"cost": 12.0}, {"m1": ("A", 8.0), "m2": ("A", 9.0)}, **bill)
    comparison = compare_runs([base, other], ["now", "then"])
    assert comparison.member_gain_sign == -1
    assert comparison.winners()[["member", "gain"]].values.tolist() == [["m1", 2.0]]
    assert comparison.losers()[["member", "gain"]].values.tolist() == [["m2", -4.0]]
    # the explicit option wins over the label
    flipped = compare_runs([base, other], ["now", "then"], higher_better=True)
    assert flipped.winners()["member"].tolist() == ["m2"]


def test_direction_comes_from_the_runs_not_from_words(three_runs: list[ModelRun]) -> None:
    # a per-member value the model marks as a cost: a member whose value rises loses
    base = make_run({"cost": 1.0}, {"m1": ("A", 10.0)}, value_higher_is_better=False)
    other = make_run({"cost": 1.0}, {"m1": ("A", 12.0)}, value_higher_is_better=False)
    # the label speaks of savings, yet the run's direction decides
    assert "savings" in base.value_label
    comparison = compare_runs([base, other], ["base", "other"])
    assert comparison.member_gain_sign == -1
    assert list(comparison.losers("other")["member"]) == ["m1"]
    table = compare_runs(three_runs, ["base", "dear", "cheap"]).kpis.set_index("kpi")
    assert table.loc["cost", "higher_is_better"] is False
    assert table.loc["km", "higher_is_better"] is True


def test_bad_names_and_mixed_models_are_input_errors(three_runs: list[ModelRun]) -> None:
    with pytest.raises(InputError, match="distinct names"):
        compare_runs(three_runs, ["a", "a", "b"])
    with pytest.raises(InputError, match="one name per run"):
        compare_runs(three_runs, ["a", "b"])
    other = make_run({"cost": 1.0}, {}, model="other")
    with pytest.raises(InputError, match="runs of one model"):
        compare_runs([three_runs[0], other], ["a", "b"])


def test_runs_without_a_solution_are_named_in_the_summary(three_runs: list[ModelRun]) -> None:
    failed = make_run({}, {}, status=Status.INFEASIBLE)
    comparison = compare_runs([three_runs[0], failed], ["base", "broken"])
    assert "'broken' has no solution (infeasible)" in comparison.summary()
    assert comparison.kpis["broken"].isna().all()


def test_compare_scenarios_end_to_end_with_dearer_fuel() -> None:
    if not MODELS:
        pytest.skip("no model is registered in optimizer.pipeline.run.MODELS yet")
    model = "procurement" if "procurement" in MODELS else sorted(MODELS)[0]
    base = load_scenario(LIECHTENSTEIN)
    dearer = apply_overrides(base, {"set": {"parameters.fuel_price_factor": 1.5}})
    comparison = compare_scenarios(base, [dearer], model, names=["base", "fuel +50 %"])
    assert comparison.names == ("base", "fuel +50 %")
    assert all(s.has_solution for s in comparison.statuses.values())
    table = comparison.kpis.set_index("kpi")
    change = table[change_columns("fuel +50 %")[0]]
    # every change is the difference of the two columns, or 0 when that is float noise
    diff = table["fuel +50 %"] - table["base"]
    assert ((change - diff).abs().fillna(0) <= 0.005 + 1e-9 * table["base"].abs()).all()
    assert ((change == 0) | (change == diff) | change.isna()).all()
    assert comparison.summary().startswith(f"{model}: 1 variant(s) against 'base'.")


def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.command("compare")(compare_command)
    app.command("app")(app_command)
    return app


def test_compare_command_bad_model_is_exit_code_2() -> None:
    result = CliRunner().invoke(
        cli(), ["compare", str(LIECHTENSTEIN), str(LIECHTENSTEIN), "--model", "no-such-model"]
    )
    assert result.exit_code == 2
    assert "expected one of" in result.output


def test_app_command_starts_streamlit_on_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(subprocess, "call", lambda command: seen.append(command) or 0)
    result = CliRunner().invoke(cli(), ["app", "--port", "8765"])
    assert result.exit_code == 0
    command = seen[0]
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4] == str(APP_FILE) and APP_FILE.is_file()  # inside the package
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8765"
    # the checkout's .streamlit/config.toml settings hold from any folder
    assert command[command.index("--server.maxUploadSize") + 1] == "50"
    assert command[command.index("--client.showErrorDetails") + 1] == "none"


def test_float_noise_is_no_change() -> None:
    # issue 12 §5: a value of sharing of 9.3e-10 -> -4.7e-10 read "-150 %"
    noise = {"value of sharing": 9.3e-10, "km": 200.0, "cost": 1000.0}
    moved = {"value of sharing": -4.7e-10, "km": 200.0 + 1e-12, "cost": 1000.004}
    base = make_run(noise, {"m1": ("A", 10.0), "m2": ("A", 1e-9)})
    other = make_run(moved, {"m1": ("A", 10.0 + 1e-7), "m2": ("A", -2e-9)})
    comparison = compare_runs([base, other], ["base", "other"])
    table = comparison.kpis.set_index("kpi")
    change, percent = change_columns("other")
    assert table.loc["value of sharing", ["base", "other", change, percent]].tolist() == [0.0] * 4
    assert table.loc["km", change] == 0.0 and table.loc["km", percent] == 0.0
    assert table.loc["cost", change] == 0.0  # 0.004 EUR is below half a cent
    text = comparison.summary()
    assert "-150" not in text and "value of sharing: unchanged at 0" in text
    assert "1 better off" not in text and "0 better off, 0 worse off, 2 unchanged" in text
    assert comparison.winners().empty and comparison.losers().empty
    assert text.splitlines()[-1] == f"note: {TOLERANCE_NOTE}"
    assert "0.005 in money" in TOLERANCE_NOTE and "1e-09" in TOLERANCE_NOTE


def test_relative_change_only_above_the_tolerance() -> None:
    base = make_run({"cost": 0.004, "km": 5e-7}, {})
    other = make_run({"cost": 7.0, "km": 3.0}, {})
    table = compare_runs([base, other], ["base", "other"]).kpis.set_index("kpi")
    change, percent = change_columns("other")
    assert table.loc["cost", "base"] == 0.0 and table.loc["cost", change] == 7.0
    assert math.isnan(table.loc["cost", percent]) and math.isnan(table.loc["km", percent])
    assert tolerance("EUR") == 0.005 and tolerance("km") == 1e-6 and tolerance("%") == 1e-6
