"""The credit tables in a scenario (loading, bad input, workbook and zip round trips) and
``optimizer solve SCENARIO -m credit`` end to end on the tiny scenario."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer import load_scenario, run_model
from optimizer.cli.main import app
from optimizer.errors import InputError
from optimizer.io.upload import load_upload
from optimizer.models.credit import SCHEDULE_COLUMNS, CreditData, CreditResult, check_credit
from optimizer.models.credit.scenario import incomplete_credit
from optimizer.pipeline import credit as credit_pipeline
from optimizer.results import Check
from optimizer.scenario.schema import CREDIT_TABLES
from tests.conftest import LIECHTENSTEIN, MECKLENBURG, replace_in

runner = CliRunner()

CREDIT_FILES = {
    "credit_lines.csv": "id,lender,limit,annual_rate,fee,commitment_rate,term_months\n"
    "K1,Village bank,5000,0.07,50,0.0025,\n",
    "payment_terms.csv": "supplier,cash_discount,discount_days,days_to_pay,credit_months,"
    "credit_rate\ns1,0.02,10,30,3,0.08\n",
    "input_months.csv": "product,month,factor\nfeed,2026-03,1\nfeed,2026-04,1\nfert,2026-03,1\n",
    "delivery_months.csv": "product,month,factor\nmilk,2026-03,1\nmilk,2026-04,1\n"
    "milk,2026-05,1\nwheat,2026-08,1\n",
    "withholding.csv": "product,max_share\nmilk,0.3\nwheat,0.5\n",
    "member_cash.csv": "member,month,amount\nm3,2026-03,100\n",
}


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Check]:
    """The verdicts of the independent checker on every credit plan the pipeline makes."""
    made: list[Check] = []

    def spy(data: CreditData, result: CreditResult) -> Check:
        made.append(check_credit(data, result))
        return made[-1]

    monkeypatch.setattr(credit_pipeline, "check_credit", spy)
    return made


def with_credit(folder: Path) -> Path:
    for name, text in CREDIT_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_the_credit_tables_load(tiny_dir: Path) -> None:
    scenario = load_scenario(with_credit(tiny_dir))
    assert scenario.credit_lines[0].term_months is None
    assert [m.month for m in scenario.input_months] == ["2026-03", "2026-04", "2026-03"]
    assert scenario.payment_terms[0].credit_months == 3
    assert scenario.table("member_cash").to_dict("records") == [
        {"member": "m3", "month": "2026-03", "amount": 100.0}
    ]


def test_the_credit_tables_survive_the_workbook_and_zip_round_trips(
    tiny_dir: Path, tmp_path: Path
) -> None:
    scenario = load_scenario(with_credit(tiny_dir))
    book = scenario.to_xlsx(tmp_path / "tiny.xlsx")
    again = load_scenario(book)
    folder = scenario.to_folder(tmp_path / "copy")
    archive = tmp_path / "copy.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in folder.iterdir():
            out.write(file, file.name)
    unzipped = load_upload("copy.zip", archive.read_bytes())
    for name in CREDIT_TABLES:
        assert getattr(again, name) == getattr(scenario, name), name
        assert getattr(unzipped, name) == getattr(scenario, name), name
        assert getattr(scenario, name), name


BAD = [
    # (file, old, new, words the message must hold)
    ("input_months.csv", "feed,2026-04", "feed,2026-13", ("row 3", "'month'", "YYYY-MM")),
    ("withholding.csv", "milk,0.3", "milk,1.5", ("withholding.csv", "row 2", "'max_share'")),
    (
        "payment_terms.csv",
        "s1,0.02,10,30",
        "s1,0.02,40,30",
        ("payment_terms.csv", "row 2", "'discount_days'", "must not exceed days_to_pay"),
    ),
    ("payment_terms.csv", "s1,", "s9,", ("row 2", "'supplier'", "suppliers table")),
    ("delivery_months.csv", "wheat,", "feed,", ("row 5", "'product'", "kind 'produce'")),
    ("member_cash.csv", "m3,", "m9,", ("member_cash.csv", "'member'", "members table")),
    ("credit_lines.csv", ",0.07,", ",seven,", ("credit_lines.csv", "'annual_rate'", "a number")),
    ("input_months.csv", "fert,2026-03", "fert,2029-05", ("'month'", "at most 36 months")),
    (
        "input_months.csv",
        "feed,2026-04",
        "feed,2026-03",
        ("row 3", "one row per product and month"),
    ),
    # a limit the solver's tolerance would let a line pass (1e11 came back above it)
    ("credit_lines.csv", ",5000,", ",1e11,", ("credit_lines.csv", "row 2", "'limit'", "1e+09")),
    ("member_cash.csv", ",100", ",2e9", ("member_cash.csv", "'amount'", "at most")),
    ("member_cash.csv", "2026-03,100", "0000-03,100", ("member_cash.csv", "'month'")),
    ("credit_lines.csv", ",5000,", ",5_000,", ("credit_lines.csv", "'limit'", "without '_'")),
    # one stray month is the row named, not the season's other rows
    ("member_cash.csv", "2026-03,100", "2020-01,100", ("member_cash.csv", "row 2", "2026-03")),
]


@pytest.mark.parametrize(("file", "old", "new", "words"), BAD, ids=[b[2] for b in BAD])
def test_bad_credit_input_is_located(
    tiny_dir: Path, file: str, old: str, new: str, words: tuple[str, ...]
) -> None:
    replace_in(with_credit(tiny_dir) / file, old, new)
    with pytest.raises(InputError) as caught:
        load_scenario(tiny_dir)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_credit_without_its_tables_exits_2_with_one_line(tiny_dir: Path) -> None:
    result = CliRunner().invoke(app, ["solve", str(tiny_dir), "-m", "credit", "--no-store"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "input_months, delivery_months, withholding" in lines[0]


def test_solve_credit_prints_and_writes(tiny_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["solve", str(with_credit(tiny_dir)), "-m", "credit", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "financing cost" in result.output
    for name in ("schedule.csv", "members.csv", "balance.csv", "balance.png", "credit.json"):
        assert (out / name).is_file(), name
    assert (out / "balance.png").read_bytes()[:4] == b"\x89PNG"


def test_the_credit_run_is_checked_and_its_schedule_adds_up(
    tiny_dir: Path, checks: list[Check]
) -> None:
    scenario = load_scenario(with_credit(tiny_dir))
    run = run_model(scenario, "credit")
    assert run.status.has_solution
    assert len(checks) == 1 and checks[0].ok, checks
    schedule = run.tables["schedule"]
    assert list(schedule.columns) == SCHEDULE_COLUMNS
    assert set(schedule["member"]) == {"Farm One", "Farm Two", "Farm Three"}
    # the debt at each month's end is what was received less what was paid and withheld
    for _, rows in schedule.groupby("member_id"):
        owed = (rows["inputs"] - rows["cash_paid"] - rows["withheld"]).cumsum()
        assert owed.to_numpy() == pytest.approx(rows["debt"].to_numpy(), abs=0.01)
        assert (rows["paid_out"] + rows["withheld"]).to_numpy() == pytest.approx(
            rows["delivery_value"].to_numpy()
        )
    kpis = run.kpi_values()
    assert math.isclose(kpis["financing cost"], run.per_member["value"].sum(), abs_tol=1e-6)
    assert kpis["financing cost"] == pytest.approx(checks[0].cost)
    # the dairy farms repay their feed from their milk; Farm Three buys its fertiliser alone
    # (not pooled), so its 100 paid up front is owed back to it at the season's end
    members = run.tables["members"].set_index("member_id")
    for member in ("m1", "m2"):
        assert members.loc[member, "inputs"] > 0 and members.loc[member, "unpaid"] == 0.0
        assert members.loc[member, "withheld"] == pytest.approx(members.loc[member, "inputs"])
    assert members.loc["m3", "inputs"] == 0.0 and members.loc["m3", "withheld"] == 0.0
    assert schedule[schedule["member_id"] == "m3"]["debt"].iloc[-1] == pytest.approx(-100.0)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [MECKLENBURG, LIECHTENSTEIN], ids=["mecklenburg", "li"])
def test_the_bundled_scenarios_finance_their_season(scenario: Path, checks: list[Check]) -> None:
    loaded = load_scenario(scenario)
    run = run_model(loaded, "credit")
    assert run.status.has_solution and checks[0].ok
    members = run.tables["members"]
    assert list(members["member"]) == [m.name for m in loaded.members]
    # every member who cannot repay is named with its reason; the others repay in full
    unpaid = members[members["unpaid"] > 0]
    assert (unpaid["reason"].str.len() > 0).all()
    assert (members.loc[members["unpaid"] == 0, "reason"] == "").all()
    assert len(run.tables["unpaid"]) == len(unpaid) == run.kpi_values()["members who cannot repay"]
    # the credit line never exceeds its limit and is repaid by the season's end
    lines = run.tables["credit_lines"]
    limits = {line.id: line.limit for line in loaded.credit_lines}
    assert (lines["balance"] <= lines["line"].map(limits) + 1e-6).all()
    assert run.tables["balance"]["credit_balance"].iloc[-1] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("rule", ["shapley", "proportional"])
def test_each_member_owes_the_bill_its_statement_prints(tiny_dir: Path, rule: str) -> None:
    # every input spans two periods of the plan, so a member owes twice its bill a season,
    # less what it buys locally itself, whichever rule split the bill
    with_credit(tiny_dir)
    (tiny_dir / "input_months.csv").write_text(
        "product,month,factor\nfeed,2026-03,1\nfeed,2026-04,1\nfert,2026-03,2\n", encoding="utf-8"
    )
    scenario = load_scenario(tiny_dir)
    procurement = run_model(scenario, "procurement", rule=rule, level="member")
    credit = run_model(scenario, "credit", procurement=procurement)
    assert credit.status.has_solution
    bills = procurement.tables["split"].set_index("member")["bill"]
    local = procurement.tables["purchases"].groupby("member")["local_cost"].sum()
    owed = credit.tables["schedule"].groupby("member_id")["inputs"].sum()
    share = bills - local.reindex(bills.index, fill_value=0.0)
    # a member billed less than it buys locally owes nothing: the cooperative owes it the rest
    assert owed.reindex(share.index, fill_value=0.0).to_numpy() == pytest.approx(
        2 * share.clip(lower=0).to_numpy(), abs=1e-6
    )
    # the split moves money between members, never the season's total
    orders = procurement.tables["orders"]["goods_cost"].sum()
    transport = procurement.tables["trucks"]["transport_cost"].sum()
    owed_back = -share.clip(upper=0).sum()
    assert owed.sum() == pytest.approx(2 * (orders + transport + owed_back), rel=1e-9)
    assert (owed_back > 0) == any("outside the credit plan" in w for w in credit.warnings)


def test_credit_tables_without_those_the_model_needs_are_named(tiny_dir: Path) -> None:
    with_credit(tiny_dir)
    assert incomplete_credit(load_scenario(tiny_dir)) is None
    (tiny_dir / "withholding.csv").rename(tiny_dir / "Withholding_.csv")
    result = runner.invoke(app, ["validate", str(tiny_dir)])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "warning" in words and "but not withholding, which the credit model needs" in words
