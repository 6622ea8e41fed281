"""Uploaded road files live as long as the process (issue 12 §5): a scenario loaded from an
upload keeps working however many uploads follow, and no error shows a server path."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from optimizer.errors import InputError, Problem
from optimizer.io import upload
from optimizer.io.upload import load_upload, shown_path
from optimizer.pipeline.travel import road_network
from optimizer.scenario.variants import apply_overrides
from tests.conftest import LIECHTENSTEIN, TINY

TIMEOUT = 180


def zipped(folder: Path, *, note: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            if file.is_file():
                archive.write(file, file.name)
        archive.writestr("notes.csv", note)  # ignored by the loader: makes each upload differ
    return buffer.getvalue()


def test_roads_outlive_later_uploads_and_one_content_is_one_file() -> None:
    first = load_upload("li.zip", zipped(LIECHTENSTEIN))
    roads = first.network.file
    assert roads is not None and roads.name == "roads.osm.bz2"
    for i in range(25):
        load_upload(f"tiny-{i}.zip", zipped(TINY, note=str(i)))
    again = load_upload("li-again.zip", zipped(LIECHTENSTEIN, note="other bytes"))
    assert again.network.file == roads  # the same roads uploaded twice: one file
    assert roads.is_file()
    root = upload._ROOT[0]
    assert [p.name for p in root.iterdir()] == ["roads"]  # unpacked folders are gone
    assert len(list((root / "roads").glob("*/*"))) == 1
    # a what-if that needs the roads read again (another season) still finds them
    rainy = apply_overrides(first, {"set": {"network.season": "rainy"}})
    assert road_network(rainy) is not None


def test_a_refused_upload_leaves_nothing_behind() -> None:
    load_upload("li.zip", zipped(LIECHTENSTEIN))
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("scenario.yaml", "name: [unclosed")
    with pytest.raises(InputError) as caught:
        load_upload("bad.zip", data.getvalue())
    root = upload._ROOT[0]
    assert str(root) not in str(caught.value)
    assert [p.name for p in root.iterdir()] == ["roads"]


def test_errors_about_kept_roads_name_the_uploaded_file() -> None:
    scenario = load_upload("li.zip", zipped(LIECHTENSTEIN))
    kept = str(scenario.network.file)
    error = InputError(Problem(kept, "roads usable by a truck: the file has none"))
    text = shown_path(str(error))
    assert text.startswith("roads.osm.bz2: expected roads usable")
    root = upload._ROOT[0]
    assert shown_path(f"{root}/upload-x/a.csv, row 2") == "the upload, row 2"
    assert shown_path("scenarios/x/members.csv") == "scenarios/x/members.csv"


def _uploads_page() -> None:
    """Upload the small scenario as a session would, then 25 more from other sessions."""
    import streamlit as st

    from optimizer.app.state import set_base
    from optimizer.io.upload import load_upload as _load_upload
    from tests.conftest import LIECHTENSTEIN as _LI
    from tests.conftest import TINY as _TINY
    from tests.io.test_upload_roads import zipped as packed

    if "base_scenario" not in st.session_state:
        set_base(_load_upload("li.zip", packed(_LI, note="first")), "upload: li.zip")
        for i in range(25):
            _load_upload(f"other-{i}.zip", packed(_TINY, note=str(i)))
    from optimizer.app.shell import page_setup
    from optimizer.app.views import render_model_page

    page_setup()
    render_model_page("markets")


def test_a_what_if_on_an_uploaded_scenario_works_after_many_uploads() -> None:
    at = AppTest.from_function(_uploads_page, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    at.toggle(key="wi_rainy").set_value(True).run()  # another season: the roads are read again
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("rainy" in m.value for m in at.sidebar.markdown)
