"""Loading scenarios: both bundled ones, the two on-disk forms, lookups and exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import InputError, Scenario, load_scenario
from tests.conftest import LIECHTENSTEIN, MECKLENBURG, TINY


@pytest.mark.parametrize("path", [MECKLENBURG, LIECHTENSTEIN, TINY])
def test_bundled_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.members and scenario.products and scenario.cooperatives


def test_default_scenario_has_the_promised_shape() -> None:
    sc = load_scenario(MECKLENBURG)
    assert len(sc.members) == 150
    assert len(sc.cooperatives) == 3
    assert 4 <= len(sc.inputs()) <= 6 and 3 <= len(sc.produce()) <= 4
    assert len(sc.suppliers) == 4
    assert {o.discount for o in sc.offers} == {"all_units", "incremental"}
    assert 6 <= len(sc.buyers) <= 10
    assert sum(h.existing for h in sc.hubs) == 1 and 6 <= len(sc.hubs) - 1 <= 8
    assert 2 <= len(sc.vehicles) <= 3
    assert sc.network.file is not None and sc.network.file.name == "roads.osm.bz2"
    assert sc.network.file.is_file()


def test_small_scenario_is_small() -> None:
    sc = load_scenario(LIECHTENSTEIN)
    assert 25 <= len(sc.members) <= 35
    assert sc.parameters.currency == "CHF"


def test_folder_and_workbook_load_to_equal_objects(tmp_path: Path) -> None:
    folder = load_scenario(MECKLENBURG)
    book = folder.to_xlsx(tmp_path / "mecklenburg.xlsx")
    assert load_scenario(book) == folder


def test_written_folder_loads_back_equal(tmp_path: Path) -> None:
    original = load_scenario(TINY)
    assert load_scenario(original.to_folder(tmp_path / "copy")) == original


def test_scenario_yaml_path_loads_its_folder() -> None:
    assert load_scenario(TINY / "scenario.yaml") == load_scenario(TINY)


def test_rows_are_typed_and_frozen() -> None:
    sc = load_scenario(TINY)
    m1 = sc.member("m1")
    assert m1.tags == ("women_led", "smallholder")
    assert sc.product("milk").perishability_h == 3.0
    assert sc.hub("h1").existing is True and sc.hub("h2").existing is False
    assert sc.hub("h2").cooperative is None
    with pytest.raises(Exception, match="frozen"):
        m1.lat = 0.0  # type: ignore[misc]


def test_lookup_of_unknown_id_names_it() -> None:
    with pytest.raises(KeyError, match="no member with id 'zz'"):
        load_scenario(TINY).member("zz")


def test_table_has_file_columns() -> None:
    frame = load_scenario(TINY).table("members")
    assert list(frame.columns[:5]) == ["id", "name", "cooperative", "lat", "lon"]
    assert frame.loc[0, "tags"] == "women_led;smallholder"


def test_summary_totals_by_product() -> None:
    summary = load_scenario(TINY).summary()
    # demand.csv: m1 1000 + m2 3000 kg feed; supply: 20000 + 30000 kg milk
    assert summary["demand"]["feed"] == 4000
    assert summary["supply"]["milk"] == 50000
    assert summary["members_per_cooperative"] == {"dairy": 2, "grain": 1}


def test_optional_tables_may_be_left_out(tiny_dir: Path) -> None:
    for name in ("suppliers", "offers", "brackets", "vehicles"):
        (tiny_dir / f"{name}.csv").unlink()
    sc = load_scenario(tiny_dir)
    assert sc.suppliers == () and sc.vehicles == ()


def test_semicolon_separated_csv_is_read(tiny_dir: Path) -> None:
    path = tiny_dir / "cooperatives.csv"
    path.write_text(path.read_text().replace(",", ";"), encoding="utf-8")
    assert load_scenario(tiny_dir) == load_scenario(TINY)


def test_not_a_scenario_path(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(InputError, match=r"notes\.txt"):
        load_scenario(other)
    with pytest.raises(InputError, match="not found"):
        load_scenario(tmp_path / "missing")
