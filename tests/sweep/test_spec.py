"""Sweep specs: grids, lists and draws from YAML and flags; every bad entry an InputError."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.sweep import load_spec, parse_spec, spec_from_options
from optimizer.sweep.spec import looks_like_spec


def test_grid_list_and_scale_axes() -> None:
    spec = parse_spec(
        {
            "vary": {
                "fuel_price_factor": "0.8:1.6:5",
                "season": ["dry", "rainy"],
                "demand.quantity": "0.9,1.1",
            }
        },
        "s.yaml",
    )
    fuel, season, demand = spec.axes
    assert fuel.values == (0.8, 1.0, 1.2, 1.4, 1.6)
    assert (fuel.op, fuel.target) == ("set", "parameters.fuel_price_factor")
    assert (season.target, season.values) == ("network.season", ("dry", "rainy"))
    assert (demand.op, demand.target, demand.values) == ("scale", "demand.quantity", (0.9, 1.1))
    assert spec.combinations() == 20


def test_draws_from_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(
        "base: ../scenario\nmodel: hubs\nsamples: 12\nseed: 3\n"
        "draw:\n  prices: 0.2\n  supply: 0.3\n"
        "  closures: [{name: B 96, probability: 0.25}]\n"
        "  buyer_missing: {probability: 0.1, among: [B3, B4]}\n",
        encoding="utf-8",
    )
    assert looks_like_spec(path)
    spec = load_spec(path)
    assert spec.base == tmp_path / "../scenario"
    assert (spec.model, spec.samples, spec.seed) == ("hubs", 12, 3)
    draws = spec.draws
    assert (draws.prices, draws.supply, draws.buyer_missing) == (0.2, 0.3, 0.1)
    assert draws.closures == (({"name": "B 96"}, 0.25),)
    assert draws.among == ("B3", "B4")
    assert spec.to_dict()["draw"]["closures"] == [[{"name": "B 96"}, 0.25]]


def test_flags_make_the_same_spec_as_a_file() -> None:
    flags = spec_from_options(
        ["fuel_price_factor=0.8:1.6:3", "season=dry,rainy"],
        ["prices=0.2", "closure=B 96@0.5", "buyer_missing=0.1"],
    )
    file = parse_spec(
        {
            "vary": {"fuel_price_factor": "0.8:1.6:3", "season": "dry,rainy"},
            "draw": {
                "prices": 0.2,
                "closures": [{"name": "B 96", "probability": 0.5}],
                "buyer_missing": 0.1,
            },
        },
        "s.yaml",
    )
    assert flags.to_dict() == file.to_dict()
    merged = file.merged(spec_from_options(["season=rainy"], ["supply=0.1"]))
    assert merged.axes[-1].values == ("rainy",)
    assert (merged.draws.prices, merged.draws.supply) == (0.2, 0.1)


@pytest.mark.parametrize(
    ("data", "key", "expected"),
    [
        ({"vary": {"fuel_price": "1:2:3"}}, "vary.fuel_price", "a parameter"),
        ({"vary": {"fuel_price_factor": "0.8:1.6:zero"}}, "vary.fuel_price_factor", "a grid"),
        ({"vary": {"fuel_price_factor": "a,b"}}, "vary.fuel_price_factor", "numbers"),
        ({"vary": {"currency": ["EUR", "USD"]}}, "vary.currency", "a parameter"),
        ({"vary": {"demand.member": [1, 2]}}, "vary.demand.member", "table.column"),
        ({"vary": {"demand.quantity": [-1]}}, "vary.demand.quantity", "factors of 0 or more"),
        ({"vary": ["season"]}, "vary", "a mapping"),
        ({"draw": {"prices": 1.5}}, "draw.prices", "a fraction"),
        ({"draw": {"wind": 0.1}}, "draw.wind", "one of prices"),
        ({"draw": {"closures": [{"name": "B 96"}]}}, "draw.closures[0].probability", "probability"),
        ({"draw": {"closures": [{"probability": 0.2}]}}, "draw.closures[0]", "exactly one of"),
        ({"draw": {"buyer_missing": 2}}, "draw.buyer_missing", "a probability"),
        ({"samples": 0}, "samples", "a whole number of at least 1"),
        ({"seed": "one"}, "seed", "a whole number"),
        ({"sample": 3}, "sample", "one of the keys"),
    ],
)
def test_bad_entries_name_file_key_and_expectation(
    data: dict[str, object], key: str, expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_spec(data, "sweep.yaml")
    problem = caught.value.problems[0]
    assert (problem.file, problem.key) == ("sweep.yaml", key)
    assert expected in problem.expected


def test_bad_flags_are_input_errors() -> None:
    with pytest.raises(InputError, match="KEY=VALUES"):
        spec_from_options(["season"], [])
    with pytest.raises(InputError, match="probability"):
        spec_from_options([], ["closure=B 96"])
