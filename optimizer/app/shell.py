"""The app's frame: the page list (one page per registered model) and the shared sidebar."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from optimizer.app.state import (
    MODEL_PAGES,
    PAGES,
    available_models,
    cached_network,
    current_base,
    network_key,
    show_input_error,
)
from optimizer.app.whatif import whatif_sidebar
from optimizer.errors import InputError

__all__ = ["navigation", "page_setup", "run_app"]

_DRAWN = "_shell_drawn"


def run_app() -> None:
    """Draw the sidebar, then run the chosen page (what ``optimizer.app.entry`` does)."""
    nav = navigation()
    st.session_state[_DRAWN] = True
    try:
        nav.run()
    finally:
        st.session_state[_DRAWN] = False


def page_setup() -> None:
    """Draw the shared sidebar when a page runs on its own (not through the router).

    ``AppTest.switch_page`` runs a page without the router's code, and so may a user
    who starts a page file directly; every page still gets its scenario and what-ifs.
    """
    if not st.session_state.get(_DRAWN, False):
        _sidebar(available_models())


def navigation() -> Any:
    """Draw the sidebar and return the ``st.navigation`` object to run."""
    models = available_models()
    pages = [
        st.Page(PAGES / "scenario.py", title="Scenario", icon=":material/table:", default=True)
    ]
    for model in models:
        if model in MODEL_PAGES:
            title, path, icon = MODEL_PAGES[model]
            pages.append(st.Page(path, title=title, icon=icon))
        else:
            from optimizer.app.views import render_model_page

            pages.append(
                st.Page(partial(render_model_page, model), title=model.title(), url_path=model)
            )
    if models:
        pages.append(st.Page(PAGES / "compare.py", title="Compare", icon=":material/compare:"))
    pages.append(st.Page(PAGES / "history.py", title="History", icon=":material/history:"))
    if models:
        pages.append(
            st.Page(PAGES / "sweeps.py", title="Sweeps", icon=":material/stacked_line_chart:")
        )
    _sidebar(models)  # before st.navigation: drawn on every run, whichever the page
    return st.navigation(pages)


def _sidebar(models: list[str]) -> None:
    if not models:
        st.sidebar.warning("No optimisation model is installed yet: only the Scenario page.")
    try:
        label, base = current_base()
    except InputError as exc:
        show_input_error(exc, title="The scenario could not be loaded")
        st.session_state["overrides"] = {}
        return
    st.sidebar.markdown(f"**Scenario:** {base.name}  \n`{label}`")
    network = None
    if base.network.file is not None:
        try:
            network = cached_network(network_key(base), base)
        except InputError as exc:
            show_input_error(exc, title="The road network could not be loaded")
    whatif_sidebar(base, network)
    st.sidebar.divider()
    st.sidebar.toggle(
        "Interactive map (needs internet)",
        key="interactive_map",
        help="Pan and zoom with Leaflet, which the browser loads from the internet. "
        "The default map works offline.",
    )
