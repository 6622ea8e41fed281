"""Samples: deterministic from the seed, each one a valid scenario made by the variant rules."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.sweep import parse_spec, samples
from tests.conftest import MECKLENBURG

SPEC = {
    "vary": {"fuel_price_factor": "0.8:1.6:3", "season": ["dry", "rainy"]},
    "draw": {
        "prices": 0.2,
        "supply": 0.3,
        "closures": [{"name": "B 96", "probability": 0.5}],
        "buyer_missing": 0.3,
    },
}


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(MECKLENBURG)


def test_same_seed_same_samples_in_any_order(base: Scenario) -> None:
    first = samples(SPEC, base, 8, seed=1)
    again = samples(SPEC, base, 8, seed=1)
    alone = samples(SPEC, base, 8, seed=1, indices=[6, 2])
    assert [s.overrides for s in first] == [s.overrides for s in again]
    assert [s.scenario for s in first] == [s.scenario for s in again]
    assert [s.scenario for s in alone] == [first[6].scenario, first[2].scenario]
    # more samples leave the first ones as they were
    assert [s.overrides for s in samples(SPEC, base, 10, seed=1)[:8]] == [
        s.overrides for s in first
    ]
    other = samples(SPEC, base, 8, seed=2)
    assert [s.overrides for s in other] != [s.overrides for s in first]


def test_samples_apply_what_varied(base: Scenario) -> None:
    found = samples(SPEC, base, 12, seed=1)
    # the grid and the list in turn, the last one fastest
    assert [(s.overrides["fuel_price_factor"], s.overrides["season"]) for s in found[:6]] == [
        (0.8, "dry"),
        (0.8, "rainy"),
        (1.2, "dry"),
        (1.2, "rainy"),
        (1.6, "dry"),
        (1.6, "rainy"),
    ]
    for sample in found:
        scenario = sample.scenario
        assert scenario.parameters.fuel_price_factor == sample.overrides["fuel_price_factor"]
        assert scenario.network.season == sample.overrides["season"]
        closed = [c.name for c in scenario.network.closures]
        assert closed == (["B 96"] if sample.overrides["closed B 96"] else [])
        missing = sample.overrides["buyer missing"]
        buyers = {b.id for b in scenario.buyers}
        assert buyers == {b.id for b in base.buyers} - {missing}
        milk = sample.overrides["price milk"]
        assert 0.8 <= milk <= 1.2
        prices = {(p.buyer, p.product): p.price for p in scenario.buyer_prices}
        for row in base.buyer_prices:
            if row.product == "milk" and row.buyer != missing:
                assert prices[row.buyer, row.product] == pytest.approx(row.price * milk)
        supply = {(s.member, s.product): s.quantity for s in scenario.supply}
        for row in base.supply[:20]:
            factor = sample.overrides[f"supply {row.member}"]
            assert 0.7 <= factor <= 1.3
            assert supply[row.member, row.product] == pytest.approx(row.quantity * factor)
    assert any(s.overrides["closed B 96"] for s in found)
    assert any(not s.overrides["closed B 96"] for s in found)
    assert any(s.overrides["buyer missing"] != "none" for s in found)


def test_without_a_count_one_sample_per_combination(base: Scenario) -> None:
    spec = parse_spec({"vary": {"season": "dry,rainy"}}, "s.yaml")
    assert [s.overrides for s in samples(spec, base)] == [{"season": "dry"}, {"season": "rainy"}]


def test_values_the_scenario_refuses_are_named(base: Scenario) -> None:
    with pytest.raises(InputError) as caught:
        samples({"vary": {"season": "dry,wet"}}, base, 2, seed=1)
    problem = caught.value.problems[0]
    assert (problem.key, problem.value) == ("vary.season", "wet")
    with pytest.raises(InputError) as caught:
        samples({"draw": {"buyer_missing": {"probability": 1, "among": ["B99"]}}}, base)
    assert caught.value.problems[0].key == "draw.buyer_missing.among"


def test_the_speed_preset_varies_like_the_season(base: Scenario) -> None:
    from optimizer.pipeline.travel import road_network

    spec = parse_spec({"vary": {"speed_preset": "rural_europe,periurban"}}, "presets")
    (axis,) = spec.axes
    assert (axis.target, axis.values) == ("network.speed_preset", ("rural_europe", "periurban"))
    rural, periurban = samples(spec, base, seed=1)
    assert (rural.scenario.network.speed_preset, periurban.scenario.network.speed_preset) == (
        "rural_europe",
        "periurban",
    )
    # the sample's roads are timed by its preset: narrow streets and congestion are slower
    fast, slow = road_network(rural.scenario), road_network(periurban.scenario)
    assert slow.edge_time_s.sum() > fast.edge_time_s.sum()
    with pytest.raises(InputError, match=r"vary\.speed_preset"):
        samples({"vary": {"speed_preset": ["rural_europe", "moon"]}}, base, seed=1)
