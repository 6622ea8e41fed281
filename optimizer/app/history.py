"""The History page: the runs in the run store, filtered, reopened and compared.

Each of the three is one call of :class:`~optimizer.store.RunStore`: ``list`` (by scenario,
model and date), ``get`` (a run's KPIs, tables and layers as recorded) and ``compare`` (the
side by side of ``optimizer runs compare``). Nothing is solved here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from optimizer.app.compare import show_comparison
from optimizer.app.state import run_store, show_input_error
from optimizer.app.views import (
    download_tables,
    kpi_cards,
    readable,
    table_tabs,
    words_and_notes,
)
from optimizer.errors import InputError
from optimizer.io.format import DASH
from optimizer.store import RunStore, RunSummary

__all__ = ["ANY", "render_history_page", "runs_frame"]

ANY = "any"
MAX_ROWS = 500  # runs listed at once (newest first)


def runs_frame(summaries: list[RunSummary]) -> pd.DataFrame:
    """One row per stored run, as the History table shows it (recorded in UTC)."""
    rows: list[dict[str, Any]] = []
    for s in summaries:
        rows.append(
            {
                "run": s.id,
                "recorded (UTC)": s.created_at.strftime("%Y-%m-%d %H:%M"),
                "scenario": s.scenario,
                "model": s.model,
                "label": s.label or DASH,
                "status": s.status.value,
                "gap (%)": None if s.gap is None else 100.0 * s.gap,
                "runtime (s)": s.runtime_s,
                "sweep": DASH if s.sweep_id is None else f"{s.sweep_id} #{s.sample}",
            }
        )
    return pd.DataFrame(rows)


def render_history_page() -> None:
    st.title("History")
    store = run_store()
    if store is None:
        st.warning("The run store cannot be opened: no run is recorded, none can be shown.")
        return
    try:
        _history(store)
    except InputError as exc:
        show_input_error(exc, title="The run store cannot answer")
    except SQLAlchemyError as exc:
        st.error(f"The run store cannot answer: {exc.__class__.__name__}")


def _history(store: RunStore) -> None:
    names = store.names()
    if not names["model"]:
        st.info("No run is recorded yet: solve a model on one of the pages, and it appears here.")
        return
    left, middle, right = st.columns(3)
    scenario = left.selectbox("Scenario", [ANY, *names["scenario"]], key="hist-scenario")
    model = middle.selectbox("Model", [ANY, *names["model"]], key="hist-model")
    days = right.date_input("Recorded between", value=[], key="hist-dates", format="YYYY-MM-DD")
    sweeps = st.toggle("Include the samples of sweeps", key="hist-sweeps")
    since, until = _day_range(days)
    summaries = store.list(
        scenario=None if scenario == ANY else scenario,
        model=None if model == ANY else model,
        since=since,
        until=until,
        limit=MAX_ROWS,
    )
    if not sweeps:
        summaries = [s for s in summaries if s.sweep_id is None]
    if not summaries:
        st.info("No stored run matches these filters.")
        return
    note = f" (the newest {MAX_ROWS})" if len(summaries) >= MAX_ROWS else ""
    st.caption(f"{len(summaries)} runs{note}, newest first. Pick runs below the table.")
    frame = runs_frame(summaries)
    st.dataframe(readable(frame), hide_index=True, width="stretch", placeholder=DASH)
    labels = {s.id: _label(s) for s in summaries}
    chosen = st.multiselect(
        "Runs to reopen (one) or compare (two or more)",
        list(labels),
        format_func=lambda i: labels.get(i, f"run {i}"),
        key="hist-runs",
    )
    if not chosen:
        return
    if len(chosen) == 1:
        _reopen(store, chosen[0])
    else:
        _compare(store, chosen, summaries)


def _label(summary: RunSummary) -> str:
    return (
        f"run {summary.id} · {summary.model} · {summary.scenario} · "
        f"{summary.created_at:%Y-%m-%d %H:%M}" + (f" · {summary.label}" if summary.label else "")
    )


def _day_range(days: Any) -> tuple[datetime | None, datetime | None]:
    """The first and last moment of the picked days (UTC); open ends where none is picked."""
    picked = [d for d in (days if isinstance(days, (tuple, list)) else [days]) if d]
    if not picked:
        return None, None
    first: date = min(picked)
    last: date = max(picked)
    return (
        datetime.combine(first, time.min, tzinfo=UTC),
        datetime.combine(last, time.max, tzinfo=UTC),
    )


def _reopen(store: RunStore, run_id: int) -> None:
    stored = store.get(run_id)
    run = stored.run
    st.header(f"Run {stored.id}: {run.model} on {stored.scenario_name}")
    st.markdown(
        f"Recorded {stored.created_at:%Y-%m-%d %H:%M} UTC · label **{stored.label or DASH}** · "
        f"status **{stored.status.value}** · {stored.verdict} · solved in {run.runtime_s:.1f} s"
    )
    if stored.overrides:
        st.caption(f"What-ifs on the scenario: {stored.overrides}")
    kpi_cards(run)
    words_and_notes(run)
    st.subheader("Tables")
    table_tabs(run, store.scenario(run_id), key=f"hist-{run_id}")
    download_tables(
        {"kpis": run.kpi_table(), **run.tables}, prefix=f"run-{run_id}", key=f"hist-dl-{run_id}"
    )


def _compare(store: RunStore, chosen: list[int], summaries: list[RunSummary]) -> None:
    models = {s.id: s.model for s in summaries}
    kinds = sorted({models[i] for i in chosen})
    if len(kinds) > 1:
        st.warning(
            f"Runs of one model compare side by side; these are of {', '.join(kinds)}. "
            "Filter by model, or pick runs of one model."
        )
        return
    ordered = sorted(chosen)
    st.header(f"Runs {', '.join(str(i) for i in ordered)} side by side")
    st.caption(f"The oldest, run {ordered[0]}, is the base.")
    comparison = store.compare(ordered)
    runs = {f"run {i}": store.get(i).run for i in ordered}  # the members left out, and why
    show_comparison(comparison, runs, store.scenario(ordered[0]), key="hist-cmp")
