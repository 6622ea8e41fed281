"""The app records each run it makes in the run store, once, with the scenario it ran on."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from optimizer.app.state import records_done
from optimizer.pipeline.registry import MODELS
from optimizer.scenario.load import load_scenario
from optimizer.store import open_store
from tests.conftest import LIECHTENSTEIN
from tests.test_app import SMALL, TIMEOUT, no_errors, toy_model, toy_page


def test_the_app_records_its_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    monkeypatch.setenv("COOP_OPTIMIZER_STORE", url)
    monkeypatch.setitem(MODELS, "toy", toy_model)
    st.cache_resource.clear()  # the app's store is opened once per process
    st.cache_data.clear()
    try:
        at = AppTest.from_function(toy_page, default_timeout=TIMEOUT)
        at.session_state["scenario_choice"] = SMALL
        at.run()
        no_errors(at)
        at.run()  # shown again from the cache: not recorded twice
        no_errors(at)
        records_done()  # the runs are recorded behind the figures
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    store = open_store(url)
    listed = store.list()
    assert [(r.model, r.label) for r in listed] == [("toy", "app")]
    stored = store.get(listed[0].id)
    assert stored.kpi_values()["km"] == 12.5 and set(stored.layers) == {"routes"}
    assert store.scenario(listed[0].id) == load_scenario(LIECHTENSTEIN)
    store.close()
