"""Each user's panel: the coordinator's member bill and split stability, the producer's farm."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from optimizer import load_scenario
from optimizer.app.roles import bill_sentence, farm_table, stability_sentence, statement_pdf
from optimizer.app.split_choice import SPLITS
from optimizer.app.state import MODEL_PAGES, records_done
from optimizer.io.format import format_number
from optimizer.io.upload import file_stem
from optimizer.pipeline.registry import run_model
from optimizer.store import open_store
from tests.conftest import LIECHTENSTEIN
from tests.statements.conftest import pdf_text

SMALL = "scenarios/liechtenstein"


def test_a_bill_in_words() -> None:
    row = {"bill": 900.0, "alone": 1000.0, "savings": 100.0, "savings_pct": 10.0}
    text = bill_sentence(row, "Hof Anna (M1)", "EUR")
    assert text == (
        "**Hof Anna (M1)** pays **900.00 EUR** in the pooled order against **1,000.00 EUR** "
        "buying alone: the member saves **100.00 EUR** (10 %)."
    )
    dearer = {"bill": 1100.0, "alone": 1000.0, "savings": -100.0, "savings_pct": -10.0}
    assert "the member pays more by **100.00 EUR** (10 %)" in bill_sentence(dearer, "A", "EUR")


@pytest.mark.parametrize(
    ("row", "sentence"),
    [
        # stable: the verdict of the core check in one sentence
        (
            {"rule": "shapley", "level": "cooperative", "stable": True, "gain": 0.0},
            "The split (shapley, between cooperatives) is stable: no group of cooperatives can "
            "buy cheaper on its own.",
        ),
        # not stable: who would leave and what they would save
        (
            {
                "rule": "proportional",
                "level": "member",
                "stable": False,
                "gaining_group": "M1, M2",
                "gain": 12.5,
                "proven": True,
            },
            "The split (proportional, between members) is not stable: Hof Anna (M1), M2 would "
            "save 12.50 EUR by buying on its own.",
        ),
        # the members' least core with an empty core: a long group by its size and first
        # names, and the least any split leaves a group to save
        (
            {
                "rule": "member least core",
                "level": "member",
                "stable": False,
                "gaining_group": ", ".join(f"M{i}" for i in range(1, 9)),
                "gain": 207.02,
                "epsilon": 117.6,
                "proven": True,
            },
            "The split (member least core, between members) is not stable: the 8 members "
            "Hof Anna (M1), M2, M3, M4, M5, M6 and 2 more would save 207.02 EUR by buying on "
            "its own. No split can be stable here: whatever the bills, some group of members "
            "would save at least 117.60 EUR.",
        ),
    ],
)
def test_the_split_stability_in_one_sentence(row: dict[str, object], sentence: str) -> None:
    # the group that would leave by its names, the ids beside (M2 has no name: its id)
    names = {"M1": "Hof Anna", "dairy": "Dairy cooperative"}
    assert stability_sentence(pd.DataFrame([row]), "EUR", names) == sentence


def test_the_procurement_page_shows_a_chosen_members_bill() -> None:
    scenario = load_scenario(LIECHTENSTEIN)
    run = run_model(scenario, "procurement")  # checked by the independent checker
    split = run.tables["split"]
    member = scenario.members[3]
    at = AppTest.from_file(MODEL_PAGES["procurement"][1], default_timeout=180)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    at.selectbox(key="coordinator-member").set_value(member.id).run()
    assert not at.exception and not at.error
    row = split[split["member"] == member.id].iloc[0]
    currency = scenario.parameters.currency
    expected = bill_sentence(row.to_dict(), f"{member.name} ({member.id})", currency)
    assert format_number(row["bill"], currency) in expected
    assert any(m.value == expected for m in at.markdown)
    assert any(m.value.startswith("The split (") for m in at.markdown)


def test_my_farm_ranks_every_buyer_of_the_member() -> None:
    scenario = load_scenario(LIECHTENSTEIN)
    run = run_model(scenario, "markets")
    comparison = run.tables["route_comparison"]
    member = str(comparison["member"].iloc[-1])
    rows = farm_table(run, member)
    assert len(rows) == int((comparison["member"] == member).sum())
    for _, group in rows.groupby("product"):
        # ranked by net money per unit, best first
        assert group["net_per_unit"].is_monotonic_decreasing
        assert list(group["rank"]) == sorted(group["rank"])
    at = AppTest.from_file(MODEL_PAGES["markets"][1], default_timeout=180)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    at.selectbox(key="farm-member").set_value(member).run()
    assert not at.exception and not at.error
    farm = next(d.value for d in at.dataframe if "rank" in d.value.columns)
    assert len(farm) == len(rows)
    assert "time (min)" in farm.columns and "distance (km)" in farm.columns
    buyers = {b.id: b.name for b in scenario.buyers}
    best = rows.iloc[0]
    assert f"{buyers[best['buyer']]} ({best['buyer']})" == farm["buyer"].iloc[0]
    assert any(f"{buyers[best['buyer']]} pays the most net" in m.value for m in at.markdown)


def test_statements_download_for_the_chosen_member_and_for_all() -> None:
    scenario = load_scenario(LIECHTENSTEIN)
    run = run_model(scenario, "procurement")
    member = scenario.members[2]
    at = AppTest.from_file(MODEL_PAGES["procurement"][1], default_timeout=180)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    at.selectbox(key="coordinator-member").set_value(member.id).run()
    labels = [getattr(b, "label", "") for b in at.get("download_button")]
    assert f"Statement of {member.name} ({member.id}) (PDF)" in labels
    assert f"Every member's statement ({len(run.tables['split'])} members, one PDF)" in labels
    one = statement_pdf(run, scenario, "de", member.id)
    assert one.startswith(b"%PDF-")
    every = statement_pdf(run, scenario, "en", None)
    assert every.startswith(b"%PDF-") and len(every) > 2 * len(one)


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """The file makers the page registers for its download buttons, by file name."""
    made: dict[str, Callable[[], Any]] = {}
    register = MediaFileManager.add_deferred

    def spy(self: MediaFileManager, data: Any, mime: Any, where: str, **options: Any) -> str:
        made[str(options.get("file_name"))] = data
        return register(self, data, mime, where, **options)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return made


def test_the_statement_button_prints_from_the_run_the_app_keeps(
    made: dict[str, Callable[[], Any]], tmp_path: Path
) -> None:
    """The button's own file maker, as the page registers it: the app keeps its runs without
    the raw solver result, which the credit model reads (the download failed in the browser
    with "'NoneType' object has no attribute 'purchases'"). The PDF reads as the library's."""
    scenario = load_scenario(LIECHTENSTEIN)
    member = scenario.members[2]
    at = AppTest.from_file(MODEL_PAGES["procurement"][1], default_timeout=180)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    at.selectbox(key="coordinator-member").set_value(member.id).run()
    assert not at.exception
    label = f"{member.name} ({member.id})"
    shown = tmp_path / "app.pdf"
    shown.write_bytes(made[f"{file_stem(scenario.name)}-statement-{file_stem(label)}.pdf"]())
    library = tmp_path / "library.pdf"
    whole = run_model(scenario, "procurement")  # with its raw solver result
    library.write_bytes(statement_pdf(whole, scenario, "en", member.id))
    text = pdf_text(shown)
    assert text == pdf_text(library)
    assert member.name in text[0]


def test_the_coordinator_chooses_the_split_and_the_statement_follows_it(
    made: dict[str, Callable[[], Any]], tmp_path: Path, app_store: str
) -> None:
    """The split chosen on the page is the run's (and the stored run's options), and the
    statement button prints that split's bill and repayment schedule, as the library does."""
    scenario = load_scenario(LIECHTENSTEIN)
    member = scenario.members[4]
    at = AppTest.from_file(MODEL_PAGES["procurement"][1], default_timeout=180)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    label = next(
        k for k, (options, _) in SPLITS.items() if options.get("rule") == "member_least_core"
    )
    at.selectbox(key="split-choice-procurement").set_value(label).run()
    at.selectbox(key="coordinator-member").set_value(member.id).run()
    assert not at.exception and not at.error
    assert any(c.value == SPLITS[label][1] for c in at.caption)  # what it means, in words
    assert any(
        m.value.startswith("The split (member least core, between members)") for m in at.markdown
    )
    whole = run_model(scenario, "procurement", rule="member_least_core")
    shown = tmp_path / "app.pdf"
    name = f"{member.name} ({member.id})"
    shown.write_bytes(made[f"{file_stem(scenario.name)}-statement-{file_stem(name)}.pdf"]())
    library = tmp_path / "library.pdf"
    library.write_bytes(statement_pdf(whole, scenario, "en", member.id))
    assert pdf_text(shown) == pdf_text(library)
    bill = whole.tables["split"].set_index("member").loc[member.id, "bill"]
    assert f"{bill:,.2f}" in " ".join(pdf_text(shown))
    records_done()
    store = open_store(app_store)
    kept = [store.get(r.id, inputs=False) for r in store.list(model="procurement")]
    store.close()
    assert {"rule": "member_least_core", "level": "member"} in [k.options for k in kept]


def test_the_split_chosen_carries_over_to_the_credit_page(app_store: str) -> None:
    # the credit page plans the debts from the bills of the split chosen on Procurement
    label = next(k for k, (options, _) in SPLITS.items() if options.get("rule") == "volume")
    at = AppTest.from_file(MODEL_PAGES["credit"][1], default_timeout=180)
    at.session_state["scenario_choice"] = SMALL
    at.session_state["split-choice"] = label  # as Procurement leaves it
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="split-choice-credit").value == label
    records_done()
    store = open_store(app_store)
    kept = [store.get(r.id, inputs=False) for r in store.list(model="credit")]
    store.close()
    assert [k.options for k in kept] == [{"level": "member", "rule": "volume"}]
