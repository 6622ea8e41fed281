"""Uploaded scenarios: good zips and workbooks load; unsafe or broken ones are clear errors."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from optimizer import load_scenario
from optimizer.errors import InputError
from optimizer.io import upload as _upload
from optimizer.io.upload import MAX_ENTRIES, MAX_UPLOAD_BYTES, load_upload
from tests.conftest import LIECHTENSTEIN, TINY


def zip_folder(folder: Path, *, prefix: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            if file.is_file():
                archive.write(file, prefix + file.name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zipped_folder_loads_like_the_folder() -> None:
    scenario = load_upload("tiny.zip", zip_folder(TINY, prefix="tiny/"))
    assert scenario.model_dump(exclude={"network"}) == load_scenario(TINY).model_dump(
        exclude={"network"}
    )


def test_a_zipped_folder_keeps_its_road_file_inside_the_upload() -> None:
    scenario = load_upload("li.zip", zip_folder(LIECHTENSTEIN))
    assert scenario.network.file is not None
    assert scenario.network.file.name == "roads.osm.bz2"
    assert scenario.network.file.is_file()
    assert "coop-optimizer-uploads-" in str(scenario.network.file)


def test_a_workbook_loads(tmp_path: Path) -> None:
    book = load_scenario(TINY).to_xlsx(tmp_path / "tiny.xlsx")
    scenario = load_upload("tiny.xlsx", book.read_bytes())
    assert scenario.members == load_scenario(TINY).members


def test_path_traversal_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    data = zip_folder(TINY, extra={"../evil.csv": b"x"})
    with pytest.raises(InputError, match=r"got '\.\./evil\.csv', expected paths without '\.\.'"):
        load_upload("tiny.zip", data)
    root = _upload._ROOT[0]
    assert not (root / "evil.csv").exists()
    assert not (root.parent / "evil.csv").exists()
    assert not list(root.rglob("evil.csv"))
    assert not list(root.glob("upload-*"))  # nothing of that upload is left


def test_absolute_paths_and_links_are_refused() -> None:
    with pytest.raises(InputError, match="relative paths inside the archive"):
        load_upload("a.zip", zip_folder(TINY, extra={"/etc/evil.csv": b"x"}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("members.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InputError, match="not symbolic links"):
        load_upload("a.zip", buffer.getvalue())


def test_too_many_entries_are_refused() -> None:
    extra = {f"notes/{i}.csv": b"a\n" for i in range(MAX_ENTRIES + 1)}
    with pytest.raises(InputError, match=f"at most {MAX_ENTRIES} entries"):
        load_upload("many.zip", zip_folder(TINY, extra=extra))


def test_oversized_uploads_and_entries_are_refused() -> None:
    with pytest.raises(InputError, match="an upload of at most 50 MB"):
        load_upload("big.zip", b"\0" * (MAX_UPLOAD_BYTES + 1))
    # 150 MB of zeros packs into a small zip: its unpacked size gives it away
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("roads.osm", "w", force_zip64=True) as entry,
    ):
        for _ in range(150):
            entry.write(b"\0" * 2**20)
    assert len(buffer.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(InputError, match="entries of at most 100 MB"):
        load_upload("bomb.zip", buffer.getvalue())


def test_files_named_outside_the_upload_are_refused(tmp_path: Path) -> None:
    settings = (TINY / "scenario.yaml").read_text(encoding="utf-8")
    sneaky = settings + "tables:\n  members: ../../../../etc/passwd\n"
    data = zip_folder(TINY, extra={})
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            body = sneaky.encode() if info.filename == "scenario.yaml" else source.read(info)
            target.writestr(info.filename, body)
    with pytest.raises(InputError, match="a file inside the uploaded folder"):
        load_upload("sneaky.zip", buffer.getvalue())


def test_bad_files_are_clear_errors() -> None:
    with pytest.raises(InputError, match=r"bad\.xlsx: .*an Excel \.xlsx workbook"):
        load_upload("bad.xlsx", b"this is not a workbook")
    with pytest.raises(InputError, match=r"a \.zip archive of a scenario folder"):
        load_upload("bad.zip", b"PK\x03\x04 broken")
    with pytest.raises(InputError, match=r"\.zip, or an \.xlsx workbook"):
        load_upload("scenario.pickle", b"\x80\x04")
    with pytest.raises(InputError, match=r"no scenario\.yaml"):
        load_upload("empty.zip", zip_folder(TINY / "..", extra={"readme.txt": b"hi"}))


def test_a_bad_cell_names_the_file_inside_the_upload_and_its_row() -> None:
    members = (TINY / "members.csv").read_text(encoding="utf-8").splitlines()
    header = members[0].split(",")
    cells = members[1].split(",")
    cells[header.index("lat")] = "north"
    members[1] = ",".join(cells)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in TINY.iterdir():
            body = "\n".join(members) + "\n" if file.name == "members.csv" else file.read_text()
            archive.writestr(file.name, body)
    with pytest.raises(InputError) as caught:
        load_upload("tiny.zip", buffer.getvalue())
    problem = caught.value.problems[0]
    assert problem.file == "tiny.zip: members.csv"
    assert (problem.row, problem.column) == (2, "lat")
