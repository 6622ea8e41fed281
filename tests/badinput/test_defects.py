"""Each bad input the issue-12 campaign found crashing, hanging or accepted: now an InputError.

Every test here failed before its fix (a crash, a hang, exit 1, or no error at all).
"""

from __future__ import annotations

import io
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from optimizer.errors import InputError
from optimizer.io.upload import load_upload
from optimizer.scenario.load import load_scenario
from tests.conftest import LIECHTENSTEIN, replace_in

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "li"
    shutil.copytree(LIECHTENSTEIN, target)
    return target


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def _folder_entries(folder: Path) -> list[tuple[str, bytes]]:
    return [(f"s/{p.name}", p.read_bytes()) for p in sorted(folder.iterdir())]


def _alias_bomb(levels: int = 9) -> str:
    lines = ["  l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels + 1):
        lines.append(f"  l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_quickly(folder: Path, tmp_path: Path) -> None:
    variant = tmp_path / "bomb.yaml"
    variant.write_text(
        f"base: {folder}\nscale:\n" + _alias_bomb() + "set:\n  description: *l9\n",
        encoding="utf-8",
    )
    started = time.monotonic()
    with pytest.raises(InputError, match="aliases"):
        load_scenario(variant)
    assert time.monotonic() - started < 5


def test_yaml_alias_bomb_in_upload(folder: Path) -> None:
    settings = folder / "scenario.yaml"
    settings.write_text(settings.read_text() + "bomb:\n" + _alias_bomb(), encoding="utf-8")
    with pytest.raises(InputError, match="aliases"):
        load_upload("s.zip", _zip(_folder_entries(folder)))


def test_recursive_alias_in_add(folder: Path, tmp_path: Path) -> None:
    variant = tmp_path / "loop.yaml"
    variant.write_text(f"base: {folder}\nadd: &a {{buyers: [*a]}}\n", encoding="utf-8")
    with pytest.raises(InputError, match="alias inside its own anchor"):
        load_scenario(variant)


def _workbook(folder: Path, tmp_path: Path) -> dict[str, bytes]:
    book = tmp_path / "base.xlsx"
    load_scenario(folder).to_xlsx(book)
    with zipfile.ZipFile(book) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_book(parts: dict[str, bytes], path: Path) -> Path:
    path.write_bytes(_zip(list(parts.items())))
    return path


def test_nested_workbook_bomb_in_uploaded_zip(folder: Path, tmp_path: Path) -> None:
    parts = _workbook(folder, tmp_path)
    book = io.BytesIO()
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet99.xml", "w", force_zip64=True) as sink:
            for _ in range(96):  # 1.5 GB of zeros, 1.5 MB packed
                sink.write(bytes(1 << 24))
    started = time.monotonic()
    with pytest.raises(InputError, match="MB unpacked"):
        load_upload("s.zip", _zip([("book.xlsx", book.getvalue())]))
    assert time.monotonic() - started < 10


def test_dimension_claiming_a_million_rows(folder: Path, tmp_path: Path) -> None:
    parts = _workbook(folder, tmp_path)
    for name in parts:
        if name.startswith("xl/worksheets/"):
            parts[name] = re.sub(
                rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', parts[name]
            )
    book = _write_book(parts, tmp_path / "dim.xlsx")
    started = time.monotonic()
    assert load_scenario(book).members
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("how", "match"),
    [
        ("truncated", "ParseError"),
        ("entity", "ParseError"),
        ("deflate", "workbook"),
    ],
)
def test_damaged_workbook_parts(folder: Path, tmp_path: Path, how: str, match: str) -> None:
    parts = _workbook(folder, tmp_path)
    sheet = "xl/worksheets/sheet3.xml"
    if how == "truncated":
        parts[sheet] = parts[sheet][: len(parts[sheet]) // 2]
    elif how == "entity":
        parts[sheet] = parts[sheet].replace(b"<sheetData>", b"<sheetData>&foo;", 1)
    book = _write_book(parts, tmp_path / f"{how}.xlsx")
    if how == "deflate":
        data = bytearray(book.read_bytes())
        for i in range(len(data) // 3, len(data) // 3 + 40):
            data[i] ^= 0x55
        book.write_bytes(bytes(data))
    with pytest.raises(InputError, match=match):
        load_scenario(book)


@pytest.mark.parametrize(
    "entries",
    [
        [("s/" + "a" * 300 + ".csv", b"x")],
        [("s/" + "a" * 300 + "/b.csv", b"x")],
        [("s/x.csv", b"x"), ("s/x.csv/y.csv", b"y")],
        [("s/x.csv/y.csv", b"y"), ("s/x.csv", b"x")],
    ],
)
def test_upload_entry_names(folder: Path, entries: list[tuple[str, bytes]]) -> None:
    with pytest.raises(InputError, match=r"bytes|same name"):
        load_upload("s.zip", _zip(_folder_entries(folder) + entries))


def _variant(tmp_path: Path, folder: Path, body: str) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(f"base: {folder}\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("set: {parameters.fuel_price_factor.x: 1}", "holds a value"),
        (
            "update: {brackets: [{where: {supplier: S1}, set: {unit_prise: 0.3}}]}",
            "unit_prise.*unit_price|column of the brackets",
        ),
        ("add: {cooperatives: [{id: c9, name: C9, knd: x}]}", "column of the cooperatives"),
        ("remove: {cooperatives: [dairy, veg]}", "at least one member"),
    ],
)
def test_bad_variants(folder: Path, tmp_path: Path, body: str, match: str) -> None:
    with pytest.raises(InputError, match=match):
        load_scenario(_variant(tmp_path, folder, body))


@pytest.mark.parametrize(
    ("file", "old", "new", "column"),
    [
        ("buyer_prices.csv", "1000000", "1e308", "max_intake"),
        ("products.csv", "kg,1,", "kg,1e308,", "weight_kg"),
        ("buyer_prices.csv", "200000.0,1000000", "2000000,1000000", "min_contract"),
    ],
)
def test_out_of_bounds_cells(folder: Path, file: str, old: str, new: str, column: str) -> None:
    replace_in(folder / file, old, new)
    with pytest.raises(InputError) as caught:
        load_scenario(folder)
    problem = caught.value.problems[0]
    assert problem.file.endswith(file) and problem.column == column and problem.row == 2


def test_rich_markup_in_names_prints_as_written(folder: Path) -> None:
    replace_in(folder / "scenario.yaml", "name: Liechtenstein cooperatives", "name: Coop [/x]")
    replace_in(folder / "cooperatives.csv", "Unterland Dairy Cooperative", "Dairy [/i] coop")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Coop [/x]" in result.output


def test_huge_one_word_description_prints_quickly(folder: Path) -> None:
    replace_in(folder / "scenario.yaml", "description: A dairy", "description: " + "x" * 1_000_000)
    started = time.monotonic()
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0
    assert time.monotonic() - started < 10


def test_out_onto_a_file_or_into_proc(folder: Path, tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("keep", encoding="utf-8")
    for out in (afile, Path("/proc/coop-out")):
        result = runner.invoke(
            app, ["solve", str(folder), "--model", "procurement", "--out", str(out)]
        )
        assert result.exit_code == 2, result.output
        assert "folder" in result.output
    assert afile.read_text(encoding="utf-8") == "keep"


def test_markup_in_member_id_after_the_solve(folder: Path) -> None:
    for file in folder.glob("*.csv"):
        text = file.read_text(encoding="utf-8")
        file.write_text(re.sub(r"\bM001\b", "m[/i]1", text), encoding="utf-8")
    replace_in(folder / "cooperatives.csv", "Unterland Dairy Cooperative", "Coop [/x]")
    result = runner.invoke(app, ["solve", str(folder), "--model", "procurement"])
    assert result.exit_code == 0, result.output
    assert "m[/i]1" in result.output
