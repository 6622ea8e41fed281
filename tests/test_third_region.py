"""A region nobody here built for: the default profile moved onto north Bayreuth's roads.

``../shared/osm/north-bayreuth.osm.gz`` is never committed; the scenario is built here, at test
time, by ``scenarios/build.py`` from the default profile with every supplier, buyer and hub
placed at a place of that extract (its villages, hamlets, works and shops, in their order) and
members drawn around its villages and hamlets. Every model must give a plan its independent
checker passed, and nobody may go missing: each member is in the per-member figures or named
with its reason.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

from optimizer import load_scenario, run_model
from optimizer.geo.places import places
from tests.conftest import ROOT, SHARED

BAYREUTH = SHARED / "osm" / "north-bayreuth.osm.gz"
PROFILE = ROOT / "scenarios" / "profiles" / "mecklenburg.yaml"
MEMBERS = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not BAYREUTH.exists(), reason=f"{BAYREUTH} is absent"),
]


def _moved(profile: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The profile with each ``at:`` (fixed coordinates or a Neubrandenburg place) replaced by
    the next place of the new region."""
    moved = copy.deepcopy(profile)
    spots = iter(names * 10)

    def visit(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("at"), dict):
                value["at"] = {"place": next(spots)}
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(moved)
    return moved


@pytest.fixture(scope="module")
def bayreuth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "scenarios"))
    import build  # scenarios/build.py

    found = places(BAYREUTH)
    named = found[found["named"]]
    # villages and hamlets first (markets and works sit in them), then the rest
    order = named.sort_values("kind", key=lambda k: ~k.isin(["village", "hamlet"]))
    profile = _moved(build.read_profile(PROFILE), list(dict.fromkeys(order["name"])))
    profile["name"] = "North Bayreuth (built at test time)"
    profile["members"] = {**profile["members"], "count": MEMBERS}
    out = tmp_path_factory.mktemp("bayreuth") / "scenario"
    build.build(profile, found, BAYREUTH, out)
    return out


@pytest.mark.parametrize("model", ["procurement", "markets", "hubs", "routes"])
def test_every_model_plans_the_new_region_and_nobody_goes_missing(
    bayreuth: Path, model: str
) -> None:
    scenario = load_scenario(bayreuth)
    assert len(scenario.members) == MEMBERS
    options = {"time_limit": 5} if model == "routes" else {}
    run = run_model(scenario, model, **options)
    # a run with a plan passed the model's independent checker (the adapters refuse others)
    assert run.status.has_solution, (model, run.status, run.summary)
    assert run.kpis and all(k.label for k in run.kpis)
    shown = set(run.per_member["member"])
    if model == "hubs":  # its per-member figures are per cooperative: members are in the flows
        flows = ("first_mile", "direct", "farm_gate")
        shown = {m for t in flows for m in run.tables[t]["member"]}
    text = " ".join([run.summary, *run.warnings])
    if model == "procurement":  # the members who buy inputs are billed
        expected = {d.member for d in scenario.demand}
    elif model in ("markets", "hubs"):  # the members who sell
        expected = {s.member for s in scenario.supply}
    else:
        expected = {m.id for m in scenario.members}
    names = {m.id: m.name for m in scenario.members}
    missing = [m for m in expected if m not in shown and m not in text and names[m] not in text]
    assert not missing, (model, missing[:5])
