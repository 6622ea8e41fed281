"""Fixtures of the app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st


@pytest.fixture
def app_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A run store of the test's own (its URL), which the app opens instead of any other."""
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    monkeypatch.setenv("COOP_OPTIMIZER_STORE", url)
    st.cache_resource.clear()  # the app's store is opened once per process
    yield url
    st.cache_resource.clear()


def model_page(model: str) -> None:
    """A model's page alone, for ``AppTest.from_function(model_page, args=(model,))`` (the
    function's source is what runs: it imports what it needs)."""
    from optimizer.app.shell import page_setup
    from optimizer.app.views import render_model_page

    page_setup()
    render_model_page(model)
