"""Variants: a base scenario plus overrides, validated like a scenario on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import InputError, apply_overrides, load_scenario
from tests.conftest import MECKLENBURG, ROOT, TINY


def _variant(folder: Path, text: str) -> Path:
    path = folder / "variant.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_variant_applies_every_kind_of_override(tmp_path: Path) -> None:
    base = load_scenario(TINY)
    path = _variant(
        tmp_path,
        f"""
base: {TINY}
name: Tiny, rainy and dear
set:
  parameters.fuel_price_factor: 1.2
  network.season: rainy
add:
  network.closures: [{{name: "B 104"}}]
  buyers: [{{id: b3, name: New dairy, kind: processor, lat: 53.6, lon: 13.3}}]
  buyer_prices: [{{buyer: b3, product: milk, price: 0.52, max_intake: 20000}}]
remove:
  buyers: [b1]
update:
  brackets:
    - where: {{supplier: s1, product: feed, threshold: 5000}}
      set: {{unit_price: 0.30}}
scale:
  demand.quantity: 1.5
""",
    )
    variant = load_scenario(path)
    assert variant.name == "Tiny, rainy and dear"
    assert variant.parameters.fuel_price_factor == 1.2
    assert variant.network.season == "rainy"
    assert [c.name for c in variant.network.closures] == ["B 104"]
    assert [b.id for b in variant.buyers] == ["b2", "b3"]
    # b1's wheat price row goes with it; b3's milk price is added
    assert {(p.buyer, p.product) for p in variant.buyer_prices} == {("b2", "milk"), ("b3", "milk")}
    assert [b.unit_price for b in variant.brackets if b.product == "feed"] == [0.38, 0.30]
    assert [d.quantity for d in variant.demand] == [1500.0, 4500.0, 30.0]
    assert base.parameters.fuel_price_factor == 1.0 and len(base.buyers) == 2  # base untouched


def test_removing_a_member_removes_its_rows() -> None:
    variant = apply_overrides(load_scenario(TINY), {"remove": {"members": ["m1"]}})
    assert "m1" not in {m.id for m in variant.members}
    assert all(d.member != "m1" for d in variant.demand)
    assert all(s.member != "m1" for s in variant.supply)


def test_removing_a_buyer_clears_routes_that_end_there() -> None:
    variant = apply_overrides(load_scenario(TINY), {"remove": {"buyers": ["b2"]}})
    assert variant.vehicles[0].end_buyer is None


def test_bundled_variants_load() -> None:
    rainy = load_scenario(ROOT / "scenarios" / "variants" / "rainy-diesel.yaml")
    assert rainy.network.season == "rainy" and rainy.parameters.fuel_price_factor == 1.2
    assert rainy.network.file == load_scenario(MECKLENBURG).network.file
    closed = load_scenario(ROOT / "scenarios" / "variants" / "cheese-dairy-closes.yaml")
    assert "B4" not in {b.id for b in closed.buyers}


def test_variant_of_a_variant(tmp_path: Path) -> None:
    _variant(tmp_path, f"base: {TINY}\nset: {{parameters.fuel_price_factor: 1.5}}\n")
    second = tmp_path / "second.yaml"
    second.write_text("base: variant.yaml\nset: {network.season: rainy}\n", encoding="utf-8")
    scenario = load_scenario(second)
    assert scenario.parameters.fuel_price_factor == 1.5 and scenario.network.season == "rainy"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        # an override that breaks a rule is caught like a bad cell, naming the variant file
        (
            "set: {parameters.fuel_price_factor: -1}",
            ("variant.yaml", "parameters.fuel_price_factor"),
        ),
        ("remove: {buyers: [zz]}", ("variant.yaml", "remove.buyers", "'zz'")),
        (
            "update: {brackets: [{where: {supplier: s9}, set: {unit_price: 1}}]}",
            ("variant.yaml", "update.brackets[0]", "matches at least one row"),
        ),
        (
            "add: {members: [{id: m9, name: X, cooperative: nobody, lat: 53, lon: 13}]}",
            ("variant.yaml", "table 'members' after overrides", "column 'cooperative'", "'nobody'"),
        ),
        ("colour: red", ("variant.yaml", "key 'colour'")),
        ("remove: {trucks: [T1]}", ("variant.yaml", "key 'remove.trucks'", "a table")),
        ("update: {trucks: []}", ("variant.yaml", "key 'update.trucks'", "a table")),
        ("scale: {demand.quantity: -2}", ("variant.yaml", "scale.demand.quantity")),
    ],
)
def test_bad_override_is_located(tmp_path: Path, body: str, words: tuple[str, ...]) -> None:
    path = _variant(tmp_path, f"base: {TINY}\n{body}\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    for word in words:
        assert word in str(caught.value)


def test_variant_without_base(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="key 'base'"):
        load_scenario(_variant(tmp_path, "name: orphan\n"))


def test_variant_cycle_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "base: variant.yaml\n")
    with pytest.raises(InputError, match="without a cycle"):
        load_scenario(path)


def test_edited_tables_replace_and_validate() -> None:
    from optimizer.scenario.variants import replace_tables

    base = load_scenario(TINY)
    demand = base.table("demand")
    demand.loc[0, "quantity"] = 2000
    edited = replace_tables(base, {"demand": demand})
    assert edited.demand[0].quantity == 2000 and edited.members == base.members
    members = base.table("members")
    members.loc[1, "lat"] = 99
    with pytest.raises(InputError, match=r"table 'members'\), row 3, column 'lat'"):
        replace_tables(base, {"members": members})
