"""The sentences that depend on the run: the split's rule and its stability, per language."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from optimizer.scenario.scenario import Scenario
from optimizer.statements import language, statement_figures
from optimizer.statements.words import rule_sentence, stability_sentence
from tests.conftest import TINY
from tests.statements.conftest import flat, money, pdf_text


def test_a_split_that_is_not_stable_names_the_group_and_its_gain(
    tiny: Scenario, tiny_run: Any
) -> None:
    assembly = statement_figures(tiny_run, tiny).assembly
    blocked = dataclasses.replace(
        assembly, stable=False, gaining_group=("Farm One", "Farm Three"), gain=12.5
    )
    assert stability_sentence(language("fr"), blocked, "EUR") == (
        "Pas stable : Farm One, Farm Three économiseraient 12,50\u00a0€ en commandant seuls."
    )
    assert stability_sentence(language("en"), assembly, "EUR").startswith("Stable: no group")


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        (
            "en",
            "Not stable: 8 members (F1, F2, F3, F4, F5, F6 and 2 more) would save €207.02 by "
            "ordering on their own. No split can be stable here: whatever the bills, some "
            "group would save at least €117.60 by ordering on its own.",
        ),
        (
            "de",
            "Nicht stabil: 8 Mitglieder (F1, F2, F3, F4, F5, F6 und 2 weitere) würden allein "
            "bestellt 207,02\u00a0€ sparen. Hier kann keine Aufteilung stabil sein: Wie auch "
            "immer die Rechnungen lauten, eine Gruppe würde allein bestellt mindestens "
            "117,60\u00a0€ sparen.",
        ),
    ],
)
def test_a_long_group_is_named_by_its_size_and_an_empty_core_is_said(
    tiny: Scenario, tiny_run: Any, code: str, sentence: str
) -> None:
    # the members' least core with an empty core: 8 members would leave; whatever the split,
    # some group saves at least the least core's bound. The summary stays one page.
    assembly = statement_figures(tiny_run, tiny).assembly
    blocked = dataclasses.replace(
        assembly,
        stable=False,
        level="member",
        gaining_group=tuple(f"F{i}" for i in range(1, 9)),
        gain=207.02,
        least_gain=117.6,
    )
    assert stability_sentence(language(code), blocked, "EUR") == sentence


@pytest.mark.parametrize(
    ("rule", "level", "start"),
    [
        ("shapley", "cooperative", "The savings were shared among the cooperatives by the Shapley"),
        ("least_core", "member", "Each member's bill is set so that the group of members"),
        ("volume", "cooperative", "The pooled bill was shared among the cooperatives"),
        ("proportional", "member", "Each member pays a share of the pooled bill in proportion"),
        ("member_least_core", "member", "Proportional shares, moved only as far as stability"),
    ],
)  # fmt: skip
def test_each_rule_has_its_own_sentence(
    tiny: Scenario, tiny_run: Any, rule: str, level: str, start: str
) -> None:
    assembly = dataclasses.replace(
        statement_figures(tiny_run, tiny).assembly, rule=rule, level=level
    )
    assert rule_sentence(language("en"), assembly).startswith(start)


def test_the_member_least_core_split_on_paper(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = CliRunner().invoke(
        app,
        ["statements", str(TINY), "--out", str(out), "--split", "member-least-core",
         "--language", "es"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    page = pdf_text(out / "assembly.pdf")[0]
    assert flat("Partes proporcionales, movidas solo lo que exige la estabilidad") in page
    assert "Estable: ningún grupo de socios puede comprar más barato" in page
    # the bills are the member least core's, not the default split's
    from optimizer import load_scenario, run_model

    scenario = load_scenario(TINY)
    bills = run_model(scenario, "procurement", rule="member_least_core").tables["split"]
    members = pdf_text(out / "members.pdf")
    for page, bill in zip(members, bills["bill"], strict=True):
        assert money(bill, "EUR", "es") in page
