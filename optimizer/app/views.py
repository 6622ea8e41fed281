"""The app's building blocks: KPI cards, tables with downloads, charts, a model's page.

Every model page is the same function, :func:`render_model_page`, over a
:class:`~optimizer.pipeline.run.ModelRun`: whatever a model reports (KPIs, tables, layers,
per-member values) is shown, so a model registered tomorrow gets a page for free.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, NamedTuple

import altair as alt
import pandas as pd
import streamlit as st

from optimizer.app.failures import show_failure
from optimizer.app.map import cooperative_colours, drawing_tolerance, road_features, show_map
from optimizer.app.names import names_for
from optimizer.app.state import (
    MODEL_PAGES,
    WHATIF_OPTIONS,
    cached_network,
    cached_run,
    current_base,
    current_variant,
    network_key,
    roads_key,
    run_key,
    show_input_error,
)
from optimizer.errors import InputError
from optimizer.io.format import (
    DASH,
    column_formatter,
    column_header,
    format_number,
    label_ids,
)
from optimizer.io.write import OSM_ATTRIBUTION, xlsx_bytes
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario

__all__ = [
    "TABLE_ROWS",
    "Choice",
    "Panel",
    "download_tables",
    "kpi_cards",
    "member_chart",
    "names_for",
    "page_runs",
    "readable",
    "render_model_page",
    "roads_for",
    "run_header",
    "summary_html",
    "table_tabs",
    "words_and_notes",
    "xlsx_bytes",
]


# long KPI labels and values wrap on their card instead of ending in an ellipsis
_WRAP_CARDS = """<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *,
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; height: auto !important;
}
[data-testid="stMetricValue"] { font-size: clamp(1.2rem, 1.9vw, 2rem) !important; }
</style>"""


def kpi_cards(run: ModelRun, base: ModelRun | None = None, *, per_row: int = 4) -> None:
    """One ``st.metric`` per KPI, with the change against ``base`` when given."""
    items = list(run.kpis)
    before = base.kpi_values() if base is not None else {}
    st.html(_WRAP_CARDS)
    for start in range(0, len(items), per_row):
        columns = st.columns(per_row)
        for column, kpi in zip(columns, items[start : start + per_row], strict=False):
            label = kpi.label
            delta = None
            if label in before:
                change = float(kpi.value) - float(before[label])
                delta = format_number(change, kpi.unit, sign=True) if abs(change) > 1e-9 else None
            column.metric(
                label,
                format_number(kpi.value, kpi.unit),
                delta=delta,
                delta_color="off",
            )


def readable(frame: pd.DataFrame, scenario: Scenario | None = None) -> Any:
    """A table for the eye: names beside ids, headers in words with their unit, times of day
    as ``HH:MM``, travel times in minutes, money with two decimals, blanks as dashes (the
    downloads keep the raw table)."""
    shown = label_ids(frame, names_for(scenario)) if scenario is not None else frame
    currency = scenario.parameters.currency if scenario is not None else "EUR"
    units = _product_units(frame, scenario)
    unit = units.iloc[0] if len(units) and units.nunique() == 1 else "unit"
    if units.nunique() > 1 and "unit" not in frame.columns:
        # products of several units: each row's unit beside its product ("EUR/unit" reads it)
        shown = shown.copy()
        shown.insert(list(frame.columns).index("product") + 1, "unit", units.to_numpy())
    headers = {c: column_header(str(c), currency, unit=unit) for c in frame.columns}
    if len(set(headers.values())) < len(headers):  # two columns read alike: keep the names
        headers = {c: str(c) for c in frame.columns}
    numbers = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    formats: dict[Any, Any] = {headers[c]: column_formatter(str(c)) for c in numbers}
    return shown.rename(columns=headers).style.format(formats, na_rep=DASH)


def _product_units(frame: pd.DataFrame, scenario: Scenario | None) -> pd.Series:
    """Each row's product unit (``t``, ``kg``, ``L``), empty without a product column."""
    if scenario is None or "product" not in frame.columns:
        return pd.Series([], dtype=object)
    units = {p.id: p.unit for p in scenario.products}
    return frame["product"].astype(str).map(units).fillna("unit").reset_index(drop=True)


def download_tables(tables: Mapping[str, pd.DataFrame], *, prefix: str, key: str) -> None:
    """Download buttons: all tables as one XLSX workbook."""
    if not tables:
        return
    st.download_button(
        "All tables (XLSX)",
        partial(xlsx_bytes, dict(tables)),
        on_click="ignore",
        file_name=f"{prefix}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx",
    )


_EVERYONE = "all members"
#: the most rows a table shows (formatted for the eye on every run of the page: Markets at
#: 1,500 members has 5,000 route comparisons); its CSV download holds them all
TABLE_ROWS = 1000


def table_tabs(run: ModelRun, scenario: Scenario, *, key: str) -> None:
    """The run's tables in tabs, names beside ids, each with a member filter and its CSV
    download."""
    if not run.tables:
        st.info("This model reported no tables.")
        return
    names = list(run.tables)
    members = names_for(scenario)["member"]
    for tab, name in zip(st.tabs(names, key=f"{key}-tabs"), names, strict=True):
        with tab:
            frame = run.tables[name]
            if "member" in frame.columns and frame["member"].nunique() > 1:
                ids = sorted(frame["member"].astype(str).unique(), key=lambda m: members.get(m, m))
                choice = st.selectbox(
                    "Member",
                    [_EVERYONE, *ids],
                    format_func=lambda m: m if m == _EVERYONE else member_label(m, members),
                    key=f"{key}-{name}-member",
                )
                if choice != _EVERYONE:
                    frame = frame[frame["member"].astype(str) == choice]
            st.dataframe(
                readable(frame.head(TABLE_ROWS), scenario),
                width="stretch",
                hide_index=True,
                placeholder=DASH,
            )
            if len(frame) > TABLE_ROWS:
                st.caption(
                    f"The first {TABLE_ROWS:,} of {len(frame):,} rows are shown, in the "
                    "model's order"
                    + (": pick a member above to see theirs" if "member" in frame else "")
                    + f"; {name}.csv below holds every row."
                )
            st.download_button(
                f"{name}.csv",
                partial(_csv_bytes, frame),
                file_name=f"{run.model}-{name}.csv",
                mime="text/csv",
                key=f"{key}-{name}-csv",
                on_click="ignore",  # a rerun would drop the other buttons' deferred files
            )


def member_label(member: str, names: Mapping[str, str]) -> str:
    """A member as people know them: ``Name (ID)``."""
    name = names.get(member)
    return f"{name} ({member})" if name and name != member else member


def member_chart(run: ModelRun, scenario: Scenario, *, base: ModelRun | None = None) -> None:
    """Each member's value as bars coloured by cooperative, and totals per group."""
    frame = run.per_member
    if frame is None or frame.empty:
        return
    coops = {c.id: c.name for c in scenario.cooperatives}
    members = names_for(scenario)["member"]
    shown = frame.assign(
        cooperative_name=frame["cooperative"].map(coops).fillna(frame["cooperative"]),
        member_name=frame["member"].astype(str).map(lambda m: member_label(m, members)),
    )
    label = run.value_label
    # some models report one value per cooperative (member = cooperative)
    per_coop = bool((frame["member"].astype(str) == frame["cooperative"].astype(str)).all())
    palette = cooperative_colours(
        [c.name for c in scenario.cooperatives] + list(shown["cooperative_name"].astype(str))
    )
    x_field, x_title = (
        ("cooperative_name", "cooperative") if per_coop else ("member_name", "member")
    )
    st.subheader(f"Per {x_title}: {label}")
    chart = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x=alt.X(
                f"{x_field}:N",
                sort="-y",
                title=x_title,
                axis=alt.Axis(
                    labels=len(shown) <= 60,
                    labelAngle=0 if per_coop else -90,
                    labelLimit=300,
                ),
            ),
            y=alt.Y("value:Q", title=None),
            color=alt.Color(
                "cooperative_name:N",
                title="cooperative",
                scale=alt.Scale(domain=list(palette), range=list(palette.values())),
                legend=alt.Legend(labelLimit=260),
            ),
            tooltip=[
                alt.Tooltip(f"{x_field}:N", title=x_title),
                alt.Tooltip("cooperative_name:N", title="cooperative"),
                alt.Tooltip("value:Q", format=",.2f", title=label),
            ],
        )
        .properties(height=260 if not per_coop else 200)
    )
    st.altair_chart(chart, width="stretch")
    if per_coop:
        return
    tags = {m.id: m.tags for m in scenario.members}
    groups = [
        shown.groupby("cooperative_name")["value"]
        .agg(["count", "sum", "mean"])
        .reset_index()
        .rename(columns={"cooperative_name": "group"})
    ]
    exploded = shown.assign(tag=shown["member"].map(lambda m: list(tags.get(str(m), ())))).explode(
        "tag"
    )
    exploded = exploded.dropna(subset=["tag"])
    if not exploded.empty:
        by_tag = exploded.groupby("tag")["value"].agg(["count", "sum", "mean"]).reset_index()
        by_tag["tag"] = "tag: " + by_tag["tag"].astype(str)
        groups.append(by_tag.rename(columns={"tag": "group"}))
    table = pd.concat(groups, ignore_index=True).rename(
        columns={"count": "members", "sum": f"total {label}", "mean": f"mean {label}"}
    )
    st.caption("By cooperative and by member tag (equity figures)")
    st.dataframe(readable(table, scenario), width="stretch", hide_index=True, placeholder=DASH)


def summary_html(run: ModelRun, scenario_label: str, base: ModelRun | None = None) -> str:
    """A one-page summary: status, the summary in words, KPIs (and changes), warnings."""
    rows = []
    before = base.kpi_values() if base is not None else {}
    for kpi in run.kpis:
        label, value, unit = kpi.label, kpi.value, kpi.unit
        change = ""
        if label in before:
            change = format_number(float(value) - float(before[label]), unit, sign=True)
        rows.append(
            f"<tr><td>{html.escape(label)}</td><td>{html.escape(format_number(value, unit))}</td>"
            f"<td>{html.escape(change)}</td></tr>"
        )
    notes = "".join(f"<li>{html.escape(w)}</li>" for w in run.warnings)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(run.model)}: {html.escape(scenario_label)}</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}"
        "td,th{padding:.2em .8em;border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>{html.escape(run.model.title())}</h1><p>Scenario: {html.escape(scenario_label)} "
        f"({html.escape(run.scenario)}); status <b>{html.escape(run.status.value)}</b>, "
        f"solved in {run.runtime_s:.1f} s.</p>"
        f"<pre style='white-space:pre-wrap'>{html.escape(run.summary)}</pre>"
        "<table><tr><th>KPI</th><th>value</th><th>change vs base</th></tr>"
        + "".join(rows)
        + "</table>"
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + f"<p><small>Roads and maps: {html.escape(OSM_ATTRIBUTION)}</small></p></body></html>"
    )


def roads_for(scenario: Scenario) -> list[dict[str, Any]]:
    """The map background of a scenario (empty without a road file), drawn for the map chosen
    in the sidebar (:func:`~optimizer.app.map.drawing_tolerance`)."""
    if scenario.network.file is None:
        return []
    network = cached_network(network_key(scenario), scenario)
    if network is None:
        return []
    lat_lo, lon_lo, lat_hi, lon_hi = network.bbox
    zoomable = bool(st.session_state.get("interactive_map", False))
    tolerance = drawing_tolerance([lat_lo, lat_hi], [lon_lo, lon_hi], zoomable=zoomable)
    return road_features(roads_key(scenario), network, tolerance)


def _downloads(run: ModelRun, label: str, base: ModelRun | None, *, key: str) -> None:
    st.subheader("Downloads")
    columns = st.columns(3)
    with columns[0]:
        download_tables({"kpis": run.kpi_table(), **run.tables}, prefix=run.model, key=key)
    with columns[1]:
        layers = {
            "type": "FeatureCollection",
            "attribution": OSM_ATTRIBUTION,
            "features": [
                {**f, "properties": {**(f.get("properties") or {}), "layer": name}}
                for name, features in run.layers.items()
                for f in features
            ],
        }
        st.download_button(
            "Map layers (GeoJSON)",
            partial(_json_bytes, layers),
            on_click="ignore",
            file_name=f"{run.model}.geojson",
            mime="application/geo+json",
            key=f"{key}-geojson",
            disabled=not run.layers,
        )
    with columns[2]:
        st.download_button(
            "One-page summary (HTML)",
            partial(_summary_bytes, run, label, base),
            on_click="ignore",
            file_name=f"{run.model}-summary.html",
            mime="text/html",
            key=f"{key}-summary",
        )


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, default=str).encode()


def _summary_bytes(run: ModelRun, label: str, base: ModelRun | None) -> bytes:
    return summary_html(run, label, base).encode()


def words_and_notes(run: ModelRun) -> None:
    """The run's summary in words (open) and each of its warnings."""
    if run.summary:
        with st.expander("In words", expanded=True):
            st.text(run.summary)
    for note in dict.fromkeys(run.warnings):  # a note met on two road matrices, once
        st.warning(note)


def solve(
    model: str,
    scenario: Scenario,
    what: str,
    *,
    what_if: bool = False,
    chosen: tuple[tuple[str, str], ...] = (),
) -> ModelRun | None:
    """A cached run with a spinner (with the model's what-if options for a ``what_if``, and
    the options ``chosen`` on the page); bad input becomes a message, None."""
    try:
        with st.spinner(f"Solving {what} ..."):
            return cached_run(run_key(scenario, model), model, scenario, what_if, chosen)
    except InputError as exc:
        show_input_error(exc, title=f"{what} cannot be solved")
    except Exception as exc:  # the app shows a message, never a traceback nor a path
        show_failure(exc, title=f"{what} failed")
    return None


class PageRuns(NamedTuple):
    """What a model page shows: the scenario's label, the scenario shown (the variant when
    what-ifs are set), its run, and the run on the base when the shown one is a what-if."""

    label: str
    scenario: Scenario
    run: ModelRun
    base_run: ModelRun | None


def run_header(run: ModelRun, label: str, base: ModelRun | None) -> None:
    """What every model page starts with: the scenario, the status, KPI cards (against
    ``base``, the run on the base scenario, when this one is a what-if), words and notes."""
    caption = f"Scenario: **{label}**"
    if base is not None:
        caption += " with the what-ifs from the sidebar (changes are against the base)"
    st.markdown(caption)
    message = f"Status: **{run.status.value}** · solved in {run.runtime_s:.1f} s"
    (st.success if run.status.has_solution else st.warning)(message)
    kpi_cards(run, base)
    words_and_notes(run)


def page_runs(model: str, title: str, chosen: tuple[tuple[str, str], ...] = ()) -> PageRuns | None:
    """The model's run on the base scenario and, with what-ifs set, on the variant (None, with
    a message shown, when either cannot be solved); both with the options ``chosen``."""
    label, base = current_base()
    try:
        variant = current_variant(base)
    except InputError as exc:
        # no figures at all: the base's would read as the what-if's answer
        show_input_error(exc, title="The what-if controls give an invalid scenario")
        st.info("No figures are shown until the what-ifs in the sidebar give a valid scenario.")
        return None
    base_run = solve(model, base, f"{title} on the base", chosen=chosen)
    if base_run is None:
        return None
    run = base_run
    if variant is not None:
        what_if = solve(model, variant, f"{title} with the what-ifs", what_if=True, chosen=chosen)
        if what_if is None:
            return None
        run = what_if
    return PageRuns(label, variant or base, run, base_run if variant is not None else None)


#: a user's panel on a model page: drawn under the KPI cards from the run, its scenario and
#: the roads of the map (``optimizer.app.roles``)
Panel = Callable[[ModelRun, Scenario, Sequence[Mapping[str, Any]]], None]


#: options a user picks at the top of a model page, drawn by the function, which returns them
#: (``optimizer.app.split_choice``)
Choice = Callable[[], dict[str, str]]


def render_model_page(model: str, panel: Panel | None = None, choice: Choice | None = None) -> None:
    """A model's page: the user's options (``choice``), base and what-if runs, KPI cards, a
    user's panel, map, members, tables, downloads."""
    title = MODEL_PAGES.get(model, (model.title(),))[0]
    st.title(title)
    chosen = tuple(sorted(choice().items())) if choice is not None else ()
    runs = page_runs(model, title, chosen)
    if runs is None:
        return
    label, shown, run, against = runs
    run_header(run, label, against)
    if against is not None and model in WHATIF_OPTIONS:
        st.info(WHATIF_OPTIONS[model][1])
    try:
        roads = roads_for(shown)
    except InputError as exc:
        show_input_error(exc, title="The road network could not be loaded")
        roads = []
    if panel is not None:
        panel(run, shown, roads)
    st.subheader("Map")
    show_map(shown, layers=run.layers, roads=roads, key=f"map-{model}")
    member_chart(run, shown, base=against)
    st.subheader("Tables")
    table_tabs(run, shown, key=f"tables-{model}")
    _downloads(run, label, against, key=f"dl-{model}")
