"""Every kind of bad input gives an InputError naming file, row and column, and CLI exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer import InputError, load_scenario
from optimizer.cli.main import app
from optimizer.io.read import MAX_FILE_BYTES
from tests.conftest import TINY, replace_in

Edit = Callable[[Path], None]


def _edit(file: str, old: str, new: str) -> Edit:
    return lambda folder: replace_in(folder / file, old, new)


def _write(file: str, text: str) -> Edit:
    return lambda folder: (folder / file).write_text(text, encoding="utf-8")


def _append(file: str, line: str) -> Edit:
    def edit(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8") as handle:
            handle.write(line)

    return edit


def _delete(file: str) -> Edit:
    return lambda folder: (folder / file).unlink()


# (case, edit, the words the message must hold: file, row, column, value, expectation)
CASES: list[tuple[str, Edit, tuple[str, ...]]] = [
    ("missing required file", _delete("members.csv"), ("members.csv", "not found")),
    (
        "missing column",
        _write(
            "members.csv",
            "id,name,cooperative,lat\nm1,A,dairy,53.5\nm2,B,dairy,53.5\nm3,C,grain,53.5\n",
        ),
        ("members.csv", "row 1", "column 'lon'", "required column"),
    ),
    (
        "unknown column",
        _edit("hubs.csv", "existing", "existin"),
        ("hubs.csv", "row 1", "column 'existin'", "one of the columns"),
    ),
    (
        "empty table",
        _write("buyers.csv", "id,name,kind,lat,lon\n"),
        ("buyers.csv", "at least one row"),
    ),
    ("empty file", _write("products.csv", ""), ("products.csv", "header row")),
    (
        "wrong type",
        _edit("demand.csv", "m2,feed,3000", "m2,feed,lots"),
        ("demand.csv", "row 3", "column 'quantity'", "'lots'", "a number"),
    ),
    (
        "negative where positive",
        _edit("demand.csv", "m2,feed,3000", "m2,feed,-3000"),
        ("demand.csv", "row 3", "column 'quantity'", "greater than 0"),
    ),
    (
        "zero where positive",
        _edit("products.csv", "feed,Dairy feed,kg,1,", "feed,Dairy feed,kg,0,"),
        ("products.csv", "row 2", "column 'weight_kg'", "greater than 0"),
    ),
    (
        "latitude out of range",
        _edit("members.csv", "m2,Farm Two,dairy,53.56", "m2,Farm Two,dairy,93.56"),
        ("members.csv", "row 3", "column 'lat'", "'93.56'", "latitude between -90 and 90"),
    ),
    (
        "longitude out of range",
        _edit(
            "buyers.csv",
            "b1,Town market,market,53.557,13.261",
            "b1,Town market,market,53.557,213.261",
        ),
        ("buyers.csv", "row 2", "column 'lon'", "longitude between -180 and 180"),
    ),
    (
        "duplicate id",
        _append("members.csv", "m2,Farm Four,grain,53.5,13.2,\n"),
        ("members.csv", "row 5", "column 'id'", "'m2'", "unique id (already used in row 3)"),
    ),
    (
        "unknown product",
        _edit("demand.csv", "m1,feed", "m1,fed"),
        ("demand.csv", "row 2", "column 'product'", "'fed'", "an id from the products table"),
    ),
    (
        "unknown member",
        _edit("supply.csv", "m3,wheat", "m9,wheat"),
        ("supply.csv", "row 4", "column 'member'", "'m9'", "an id from the members table"),
    ),
    (
        "unknown supplier",
        _edit("brackets.csv", "s1,fert,50,27", "s2,fert,50,27"),
        ("brackets.csv", "row 5", "column 'supplier'", "'s2'", "an id from the suppliers table"),
    ),
    (
        "unknown hub",
        _edit("vehicles.csv", "v1,Milk tanker,h1", "v1,Milk tanker,h9"),
        ("vehicles.csv", "row 2", "column 'depot'", "'h9'", "an id from the hubs table"),
    ),
    (
        "unknown cooperative",
        _edit("members.csv", "m3,Farm Three,grain", "m3,Farm Three,grains"),
        ("members.csv", "row 4", "column 'cooperative'", "'grains'", "cooperatives table"),
    ),
    (
        "brackets not increasing in threshold",
        _edit(
            "brackets.csv", "s1,feed,0,0.38\ns1,feed,5000,0.33", "s1,feed,5000,0.33\ns1,feed,0,0.38"
        ),
        ("brackets.csv", "row 3", "column 'threshold'", "above the previous bracket"),
    ),
    (
        "brackets increasing in price",
        _edit("brackets.csv", "s1,feed,5000,0.33", "s1,feed,5000,0.43"),
        ("brackets.csv", "row 3", "column 'unit_price'", "no higher than the previous"),
    ),
    (
        "minimum order above capacity",
        _edit("offers.csv", "all_units,2000,100000", "all_units,200000,100000"),
        ("offers.csv", "row 2", "column 'min_order'", "no larger than the capacity"),
    ),
    (
        "unknown discount type",
        _edit("offers.csv", "all_units", "volume"),
        ("offers.csv", "row 2", "column 'discount'", "'volume'", "'all_units'", "'incremental'"),
    ),
    (
        "produce listed as demand",
        _edit("demand.csv", "m3,fert,20,30", "m3,wheat,20,30"),
        ("demand.csv", "row 4", "column 'product'", "'wheat'", "kind 'input'"),
    ),
    (
        "input listed as supply",
        _edit("supply.csv", "m3,wheat", "m3,fert"),
        ("supply.csv", "row 4", "column 'product'", "'fert'", "kind 'produce'"),
    ),
    (
        "unreadable file",
        lambda f: (f / "hubs.csv").write_bytes(b"id,name\n\xff\xfe\x00\x01"),
        ("hubs.csv", "UTF-8"),
    ),
    (
        "yaml not a mapping",
        _write("scenario.yaml", "- just\n- a list\n"),
        ("scenario.yaml", "YAML mapping"),
    ),
    ("broken yaml", _write("scenario.yaml", "name: [unclosed\n"), ("scenario.yaml", "valid YAML")),
    (
        "bad parameter",
        _edit("scenario.yaml", "fuel_price_factor: 1.0", "fuel_price_factor: cheap"),
        ("scenario.yaml", "key 'parameters.fuel_price_factor'", "'cheap'", "a number"),
    ),
    (
        "unknown setting",
        _edit("scenario.yaml", "  fuel_price_factor: 1.0", "  fuel_factor: 1.0"),
        ("scenario.yaml", "key 'parameters.fuel_factor'"),
    ),
    (
        "missing road file",
        _edit("scenario.yaml", "network:\n", "network:\n  file: nowhere.osm\n"),
        ("scenario.yaml", "key 'network.file'", "'nowhere.osm'", "road network file"),
    ),
]


@pytest.mark.parametrize(("case", "edit", "words"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_located(
    tiny_dir: Path, case: str, edit: Edit, words: tuple[str, ...]
) -> None:
    edit(tiny_dir)
    with pytest.raises(InputError) as caught:
        load_scenario(tiny_dir)
    message = str(caught.value)
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"


@pytest.mark.parametrize(("case", "edit", "words"), CASES, ids=[c[0] for c in CASES])
def test_cli_exits_2_with_one_line(
    tiny_dir: Path, case: str, edit: Edit, words: tuple[str, ...]
) -> None:
    edit(tiny_dir)
    result = CliRunner().invoke(app, ["validate", str(tiny_dir)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and words[0] in lines[0]
    assert "Traceback" not in result.output


def test_oversized_file_is_refused(tiny_dir: Path) -> None:
    path = tiny_dir / "members.csv"
    with path.open("a", encoding="utf-8") as handle:
        handle.write("#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(
        InputError, match=r"members.csv: got '[0-9,]+ bytes', expected a file of at most"
    ):
        load_scenario(tiny_dir)


def test_all_problems_are_reported_together(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "members.csv", "m2,Farm Two,dairy,53.56", "m2,Farm Two,dairy,93.56")
    replace_in(tiny_dir / "demand.csv", "m2,feed,3000", "m2,feed,-3000")
    replace_in(tiny_dir / "offers.csv", "all_units", "volume")
    with pytest.raises(InputError) as caught:
        load_scenario(tiny_dir)
    assert len(caught.value.problems) == 3
    assert str(caught.value).startswith("3 problems in the input")
    result = CliRunner().invoke(app, ["validate", str(tiny_dir)])
    assert result.exit_code == 2 and result.output.count("error: ") == 3


def test_missing_sheet_in_workbook(tmp_path: Path) -> None:
    import openpyxl

    book = load_scenario(TINY).to_xlsx(tmp_path / "tiny.xlsx")
    workbook = openpyxl.load_workbook(book)
    del workbook["members"]
    workbook.save(book)
    with pytest.raises(InputError, match=r"tiny.xlsx, sheet 'members': expected a sheet named"):
        load_scenario(book)


def test_bad_cell_in_workbook_names_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = load_scenario(TINY).to_xlsx(tmp_path / "tiny.xlsx")
    workbook = openpyxl.load_workbook(book)
    workbook["members"]["D3"] = "north"  # column D is lat, row 3 is m2
    workbook.save(book)
    with pytest.raises(
        InputError, match=r"tiny.xlsx, sheet 'members', row 3, column 'lat': got 'north'"
    ):
        load_scenario(book)


def test_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(InputError, match=r"fake\.xlsx: expected an Excel \.xlsx workbook"):
        load_scenario(fake)
