"""Pages that say what is true now: what-ifs that stay valid, no stale figures, round trips."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from optimizer import apply_overrides, load_scenario
from optimizer.app import whatif
from optimizer.app.whatif import build_overrides, threshold_updates
from optimizer.errors import InputError
from optimizer.io.format import format_number
from optimizer.io.upload import load_upload, pack_scenario, workbook_bytes
from optimizer.pipeline.hubs import network_hubs
from optimizer.pipeline.registry import MODELS, run_model
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario
from tests.conftest import LIECHTENSTEIN, MECKLENBURG

TIMEOUT = 180


@pytest.mark.parametrize("path", [MECKLENBURG, LIECHTENSTEIN])
@pytest.mark.parametrize("factor", [0.5, 0.8, 1.05, 1.2, 1.5])
def test_the_threshold_what_if_keeps_every_offer_priced(path: object, factor: float) -> None:
    # 1.05 on the default scenario failed: a first bracket at the minimum order was moved above it
    base = load_scenario(path)  # type: ignore[arg-type]
    overrides, changes = build_overrides(base, threshold_factor=factor)
    variant = apply_overrides(base, overrides)  # raises on an invalid scenario
    assert changes == [f"discount thresholds x{factor:g}"]
    before = _thresholds(base)
    after = _thresholds(variant)
    assert before.keys() == after.keys()
    for offer, old in before.items():
        new = after[offer]
        assert new[0] == old[0]  # the first bracket prices the minimum order, as before
        assert new == pytest.approx([old[0] + (t - old[0]) * factor for t in old])
        assert all(b > a for a, b in pairwise(new))  # still rising


def _thresholds(scenario: Scenario) -> dict[tuple[str, str], list[float]]:
    found: dict[tuple[str, str], list[float]] = {}
    for bracket in scenario.brackets:
        found.setdefault((bracket.supplier, bracket.product), []).append(bracket.threshold)
    return {k: sorted(v) for k, v in found.items()}


def test_a_first_bracket_above_0_stays_at_the_minimum_order() -> None:
    base = load_scenario(MECKLENBURG)
    at_minimum = {(o.supplier, o.product) for o in base.offers if o.min_order > 0}
    assert at_minimum, "the default scenario has an offer with a minimum order"
    moved = {(u["where"]["supplier"], u["where"]["product"]) for u in threshold_updates(base, 2)}
    assert moved  # later brackets move
    assert threshold_updates(base, 1.0) != []  # a factor of 1 moves nothing away
    for update in threshold_updates(base, 1.0):
        assert update["set"]["threshold"] == pytest.approx(update["where"]["threshold"])


def test_the_procurement_page_solves_the_threshold_what_if() -> None:
    at = AppTest.from_file(_page("procurement"), default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = "scenarios/liechtenstein"
    at.run()
    at.slider(key="wi_threshold").set_value(1.2).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    base = load_scenario(LIECHTENSTEIN)
    variant = apply_overrides(base, build_overrides(base, threshold_factor=1.2)[0])
    expected = run_model(variant, "procurement")  # checked by the independent checker
    shown = {m.label: m.value for m in at.metric}
    pooled = next(k for k in expected.kpis if k.label == "pooled cost")
    assert shown["pooled cost"] == _money(pooled)


def _money(kpi: Kpi) -> str:
    return format_number(kpi.value, kpi.unit)


def _page(model: str) -> str:
    from optimizer.app.state import MODEL_PAGES

    return MODEL_PAGES[model][1]


# --------------------------------------------------------------------- no stale figures
def _toy(scenario: Scenario) -> ModelRun:
    members = pd.DataFrame(
        {
            "member": [m.id for m in scenario.members],
            "cooperative": [m.cooperative for m in scenario.members],
            "value": 1.0,
        }
    )
    return ModelRun(
        model="honest-toy",
        scenario=scenario.name,
        status=Status.OPTIMAL,
        summary="a toy run",
        kpis=(Kpi("cost", 100.0 * scenario.parameters.fuel_price_factor, "EUR", False),),
        tables={"plan": members},
        layers={},
        per_member=members,
        warnings=("road closures: closed 3 edges", "road closures: closed 3 edges"),
    )


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(MODELS, "honest-toy", _toy)
    yield


def _toy_page() -> None:
    from optimizer.app.shell import page_setup
    from optimizer.app.views import render_model_page

    page_setup()
    render_model_page("honest-toy")


def test_an_invalid_what_if_shows_no_figures_at_all(
    toy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = AppTest.from_function(_toy_page, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = "scenarios/liechtenstein"
    at.run()
    assert [m.value for m in at.metric] == [format_number(100.0, "EUR")]
    # what-ifs that give an invalid scenario: the base's figures must not stay as the answer
    bad = ({"set": {"parameters.fuel_price_factor": -1}}, ["fuel price x-1"])
    monkeypatch.setattr(whatif, "build_overrides", lambda *a, **k: bad)
    at.run()
    assert not at.exception
    assert "The what-if controls give an invalid scenario" in at.error[0].value
    assert not at.metric
    assert "No figures are shown" in at.info[0].value


def test_a_note_met_twice_is_shown_once(toy: None) -> None:
    at = AppTest.from_function(_toy_page, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = "scenarios/liechtenstein"
    at.run()
    assert [w.value for w in at.warning] == ["road closures: closed 3 edges"]


def test_the_hubs_model_names_a_closure_once() -> None:
    base = load_scenario(LIECHTENSTEIN)
    closed = apply_overrides(base, {"add": {"network.closures": [{"name": "Landstrasse"}]}})
    _, notes = network_hubs(closed)
    closures = [n for n in notes if n.startswith("road closures")]
    assert len(closures) == 1, notes


# --------------------------------------------------------------------- round trips
def test_the_scenario_zip_uploads_back_with_its_roads() -> None:
    base = load_scenario(LIECHTENSTEIN)
    back = load_upload("liechtenstein.zip", pack_scenario(base))
    assert back.network.file is not None and back.network.file.name == "roads.osm.bz2"
    assert back.network.file.read_bytes() == base.network.file.read_bytes()  # type: ignore[union-attr]
    for name in ("members", "brackets", "buyer_prices", "vehicles"):
        pd.testing.assert_frame_equal(back.table(name), base.table(name))
    assert back.model_dump(exclude={"network"}) == base.model_dump(exclude={"network"})


def test_a_workbook_naming_a_road_file_says_how_to_provide_it() -> None:
    base = load_scenario(LIECHTENSTEIN)
    with pytest.raises(InputError) as caught:
        load_upload("scenario.xlsx", workbook_bytes(base))
    text = str(caught.value)
    assert "network.file" in text and "'roads.osm.bz2'" in text
    assert "upload a .zip holding scenario.xlsx and 'roads.osm.bz2' together" in text


def test_the_workbook_and_its_road_file_in_one_zip_load() -> None:
    import io
    import zipfile

    base = load_scenario(LIECHTENSTEIN)
    assert base.network.file is not None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("farm/scenario.xlsx", workbook_bytes(base))
        archive.write(base.network.file, "farm/roads.osm.bz2")
    back = load_upload("farm.zip", buffer.getvalue())
    pd.testing.assert_frame_equal(back.table("members"), base.table("members"))
    assert back.network.file is not None and back.network.file.name == "roads.osm.bz2"
