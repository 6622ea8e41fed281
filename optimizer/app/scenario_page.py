"""The Scenario page: choose, upload, look at and edit the base scenario."""

from __future__ import annotations

import re
from functools import partial

import pandas as pd
import streamlit as st

from optimizer.app.map import show_map
from optimizer.app.state import (
    DEFAULT_SCENARIO,
    bundled_scenarios,
    current_base,
    set_base,
    show_input_error,
)
from optimizer.app.views import roads_for
from optimizer.errors import InputError, Problem
from optimizer.io.upload import (
    MAX_UPLOAD_BYTES,
    file_stem,
    load_upload,
    pack_scenario,
    workbook_bytes,
)
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import TABLE_MODELS
from optimizer.scenario.variants import replace_tables

__all__ = ["problems_by_table", "render_scenario_page"]

_TABLE_IN = re.compile(r"\(table '([a-z_]+)'\)")
_LOADED = "_upload_message"


def problems_by_table(problems: tuple[Problem, ...]) -> dict[str, list[Problem]]:
    """Problems of edited tables grouped by table name (``""`` for the others)."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        found = _TABLE_IN.search(problem.file)
        grouped.setdefault(found.group(1) if found else "", []).append(problem)
    return grouped


def _pick_bundled() -> None:
    choice = st.session_state.get("_pick_scenario")
    scenarios = bundled_scenarios()
    if choice in scenarios:
        st.session_state["scenario_choice"] = scenarios[choice]
        st.session_state.pop("base_scenario", None)
        st.session_state.pop("edit_problems", None)
        st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1


def render_scenario_page() -> None:
    st.title("Scenario")
    scenarios = bundled_scenarios()
    current = str(st.session_state.get("scenario_choice", DEFAULT_SCENARIO))
    labels = list(scenarios)
    index = next((i for i, lab in enumerate(labels) if scenarios[lab] == current), 0)
    left, right = st.columns(2)
    with left:
        st.selectbox(
            "Bundled scenario",
            labels,
            index=index,
            key="_pick_scenario",
            on_change=_pick_bundled,
            help="The default is Mecklenburg; Liechtenstein is small and quick.",
        )
    with right:
        _upload_box()
    try:
        label, base = current_base()
    except InputError as exc:
        show_input_error(exc, title="The scenario could not be loaded")
        return
    _overview(label, base)
    _editors(base)


def _upload_box() -> None:
    upload = st.file_uploader(
        "Or upload a scenario (.zip of a folder, or .xlsx; at most "
        f"{MAX_UPLOAD_BYTES // 2**20} MB)",
        type=["zip", "xlsx"],
        key="upload",
    )
    loaded = st.session_state.pop(_LOADED, None)
    if loaded:
        st.success(loaded)
    if upload is None:
        return
    marker = (upload.name, upload.size)
    if st.session_state.get("upload_done") == marker:
        return
    try:
        with st.spinner("Checking the upload ..."):
            scenario = load_upload(upload.name, upload.getvalue())
    except InputError as exc:
        show_input_error(exc, title=f"'{upload.name}' is not a valid scenario")
        return
    st.session_state["upload_done"] = marker
    st.session_state.pop("edit_problems", None)
    st.session_state["editor_version"] = st.session_state.get("editor_version", 0) + 1
    set_base(scenario, f"upload: {upload.name}")
    st.session_state[_LOADED] = f"Loaded '{scenario.name}' from {upload.name}."
    st.rerun()  # the sidebar, drawn before this page, names the new scenario


def _overview(label: str, base: Scenario) -> None:
    summary = base.summary()
    st.subheader(base.name)
    if base.description:
        st.write(base.description)
    st.caption(f"From `{label}`")
    cols = st.columns(6)
    cols[0].metric("Members", summary["members"])
    cols[1].metric("Cooperatives", len(base.cooperatives))
    cols[2].metric("Suppliers", summary["suppliers"])
    cols[3].metric("Buyers", summary["buyers"])
    cols[4].metric("Hubs (existing)", f"{summary['hubs']} ({summary['existing_hubs']})")
    cols[5].metric("Vehicles", summary["vehicles"])
    totals = pd.DataFrame(
        [
            {
                "product": p.name,
                "kind": p.kind,
                "unit": p.unit,
                "demand": summary["demand"].get(p.id),
                "supply": summary["supply"].get(p.id),
            }
            for p in base.products
        ]
    ).astype({"demand": float, "supply": float})
    amount = st.column_config.NumberColumn(format="localized")
    st.dataframe(
        totals,
        hide_index=True,
        width="stretch",
        column_config={"demand": amount, "supply": amount},
        placeholder="–",
    )
    with st.expander("Map of the scenario", expanded=True):
        try:
            roads = roads_for(base)
        except InputError as exc:
            show_input_error(exc, title="The road network could not be loaded")
            roads = []
        show_map(base, roads=roads, key="map-scenario")
    zipped, book = st.columns(2)
    zipped.download_button(
        "Download the scenario with its roads (.zip)",
        partial(pack_scenario, base),
        on_click="ignore",
        file_name=f"{file_stem(base.name)}.zip",
        mime="application/zip",
        key="dl-scenario-zip",
        help="scenario.yaml, one CSV per table and the road file: upload it here again as it is.",
    )
    book.download_button(
        "Download the tables (.xlsx)",
        partial(workbook_bytes, base),
        on_click="ignore",
        file_name=f"{file_stem(base.name)}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl-scenario",
        help="One sheet per table. It names the road file but cannot hold it: to upload the "
        "workbook again, pack it in a .zip with the road file beside it.",
    )


def _editors(base: Scenario) -> None:
    st.subheader("Tables")
    st.caption(
        "Edit any cell, add or delete rows, then apply: the edited scenario is checked like a "
        "file and becomes the base of every page."
    )
    version = st.session_state.get("editor_version", 0)
    edited: dict[str, pd.DataFrame] = {}
    names = list(TABLE_MODELS)
    # titles that never change while editing, and a key: the open tab stays open on a rerun
    titles = [f"{n} ({len(getattr(base, n))})" for n in names]
    tabs = st.tabs(titles, key="edit-tabs")
    for tab, name in zip(tabs, names, strict=True):
        with tab:
            original = base.table(name)
            frame = st.data_editor(
                original,
                num_rows="dynamic",
                width="stretch",
                hide_index=True,
                placeholder="",  # an empty cell, not "None"
                key=f"edit-{name}-{version}",
            )
            if not _same(frame, original):
                edited[name] = frame
    apply, discard = st.columns(2)
    if apply.button("Apply the edits", type="primary", disabled=not edited, key="apply-edits"):
        try:
            scenario = replace_tables(base, edited)
        except InputError as exc:
            st.session_state["edit_problems"] = exc.problems  # shown below, no rerun
        else:
            st.session_state.pop("edit_problems", None)
            st.session_state["editor_version"] = version + 1
            set_base(scenario, f"edited: {base.name}")
            st.rerun()
    problems = tuple(st.session_state.get("edit_problems", ()))
    if discard.button("Discard the edits", disabled=not edited and not problems, key="discard"):
        st.session_state.pop("edit_problems", None)
        st.session_state["editor_version"] = version + 1
        st.rerun()
    if problems:
        with apply:
            lines = [f"- {_located(table, p)}" for table, p in _flat(problems)]
            st.error("**The edits were not applied:**\n\n" + "\n".join(lines[:30]))
    if edited:
        st.info(f"Edited, not yet applied: {', '.join(edited)}.")


def _flat(problems: tuple[Problem, ...]) -> list[tuple[str, Problem]]:
    return [
        (table, problem)
        for table, found in problems_by_table(problems).items()
        for problem in found
    ]


def _located(table: str, problem: Problem) -> str:
    """Where a problem is, as the editor shows it: table, row (the first row is 1), column."""
    if not table:
        return str(problem)
    where = [f"table '{table}'"]
    if problem.row is not None:
        where.append(f"row {problem.row - 1}")  # the editor has no header row
    if problem.column:
        where.append(f"column '{problem.column}'")
    got = "" if problem.value is None else f"got {problem.value!r}, "
    return f"{', '.join(where)}: {got}expected {problem.expected}"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether the editor's table is the original: blanks (None, NaN, NA, "") are equal
    however the browser sends them back, values are compared as text."""
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return False
    left, right = _cells(a), _cells(b)
    return bool((left == right).all().all())


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    text = frame.reset_index(drop=True).astype(object).astype(str)
    blank = frame.reset_index(drop=True).isna().to_numpy() | (text.to_numpy() == "")
    return text.mask(blank, "")
