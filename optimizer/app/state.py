"""The app's state and caches: which scenario is the base, the what-ifs, cached runs.

Loaded scenarios, road networks and model runs are heavy, shared, read-only objects:
``st.cache_resource``. Runs are keyed by a hash of what the model reads of the scenario
(:func:`optimizer.pipeline.inputs.input_digest`; a Scenario is passed as the unhashed
``_scenario``), so a what-if a model never reads reuses its run; a run is never changed in
place, so every session reads the one kept (``st.cache_data`` unpickled a copy on every
rerun: 0.08-0.18 s of CPU for the Markets run's 1.3 MB). Each run is recorded once in the run
store (:mod:`optimizer.store`) on a thread of its own, behind the figures. Nothing here holds
model logic: it calls :func:`optimizer.pipeline.run_model` and
:mod:`optimizer.scenario.variants`.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from optimizer.errors import InputError
from optimizer.io.upload import shown_path
from optimizer.pipeline.inputs import input_digest
from optimizer.pipeline.registry import MODELS, run_model
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import road_network
from optimizer.scenario.bundled import bundled_scenarios_dir
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.variants import apply_overrides
from optimizer.store import RunStore, open_store

_log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SCENARIO",
    "MODEL_PAGES",
    "PAGES",
    "ROOT",
    "WHATIF_OPTIONS",
    "available_models",
    "bundled_scenarios",
    "cached_network",
    "cached_run",
    "cached_variant",
    "current_base",
    "current_variant",
    "freeze_kept",
    "load_bundled",
    "record_later",
    "records_done",
    "roads_key",
    "run_key",
    "run_store",
    "scenario_key",
    "set_base",
    "show_input_error",
]

# the folder holding ``scenarios/``: inside the installed package, or the checkout
ROOT = bundled_scenarios_dir().parent
DEFAULT_SCENARIO = "scenarios/mecklenburg"
# the page scripts, inside the package so that an installed app finds them from any folder
PAGES = Path(__file__).resolve().parent / "pages"
# the registered model names the app has pages for: title, page file, icon
MODEL_PAGES: dict[str, tuple[str, str, str]] = {
    "procurement": ("Procurement", str(PAGES / "procurement.py"), ":material/shopping_cart:"),
    "markets": ("Markets", str(PAGES / "markets.py"), ":material/storefront:"),
    "hubs": ("Hubs & corridors", str(PAGES / "hubs.py"), ":material/hub:"),
    "routes": ("Routes", str(PAGES / "routes.py"), ":material/local_shipping:"),
    "credit": ("Credit", str(PAGES / "credit.py"), ":material/account_balance:"),
}

#: the options of a what-if's run, by model, and what they change in words (shown beside
#: the what-if's figures): the routing searches stop once they settle, most of them well
#: before the base's full time limit (1 s); tests/test_app_e2e.py times every what-if
WHATIF_OPTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "routes": (
        {"stall": 300},
        "The what-if's tours come from a shorter search than the base's: each vehicle group's "
        "search stops once it has gone 300 iterations without finding a better plan (the "
        "base's searches run their full time limit). A change of a few tenths of a percent in "
        "km or cost can come from the search alone.",
    ),
}


def bundled_scenarios() -> dict[str, str]:
    """Label → path (relative to :data:`ROOT`) of every bundled scenario and variant."""
    found = {}
    for folder in ("mecklenburg", "liechtenstein"):
        if (ROOT / "scenarios" / folder / "scenario.yaml").is_file():
            found[f"{folder.title()} (scenarios/{folder})"] = f"scenarios/{folder}"
    for file in sorted((ROOT / "scenarios" / "variants").glob("*.yaml")):
        found[f"Variant: {file.stem} (scenarios/variants)"] = f"scenarios/variants/{file.name}"
    return found


def available_models() -> list[str]:
    """The models registered in the pipeline, the ones with their own page first."""
    known = [m for m in MODEL_PAGES if m in MODELS]
    return known + sorted(m for m in MODELS if m not in MODEL_PAGES)


def scenario_key(scenario: Scenario) -> str:
    """A short hash of everything in a scenario (what the caches are keyed on)."""
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:20]


@st.cache_resource(show_spinner="Loading the scenario ...", max_entries=16)
def load_bundled(path: str, mtime: float) -> Scenario:
    """A bundled scenario (``mtime`` in the key so an edited file is read again)."""
    return load_scenario(ROOT / path)


@st.cache_resource(show_spinner="Loading the road network ...", max_entries=8)
def cached_network(key: str, _scenario: Scenario) -> Any:
    """The scenario's road network (``key`` names its file and settings)."""
    return road_network(_scenario)


def network_key(scenario: Scenario) -> str:
    return scenario.network.model_dump_json()


def roads_key(scenario: Scenario) -> str:
    """What the roads drawn on a map depend on: the road file and the closures (not the
    season or the speeds, which leave the roads where they are)."""
    return scenario.network.model_dump_json(include={"file", "closures"})


@st.cache_resource(show_spinner=False, max_entries=64)
def cached_variant(key: str, overrides_json: str, _base: Scenario) -> Scenario:
    """The base with the what-if overrides applied."""
    return apply_overrides(_base, json.loads(overrides_json), source="what-if controls")


# whether objects that live as long as the caches were made since the last freeze_kept (the
# imports, at start), and how many freezes there have been
_GROWN = [True]
_FREEZES = [0]
# every this many freezes, what is frozen is thawed and collected once (one full collection,
# 0.25-0.3 s at load 9) before freezing again: runs the caches let go of since, if they sit
# in reference cycles, are then freed, so a long-lived server holds at most this many runs'
# worth of such garbage
THAW_EVERY = 16


def freeze_kept() -> None:
    """Keep the collector from walking what the caches hold, after a script run that added
    to them (and after the first): ``gc.freeze()``.

    A full collection walks every object the process holds, and the kept runs' map layers
    alone are some 150,000 lists on the default scenario (a walk took 0.25-0.3 s of a what-if
    at load 9; now it walks what is new since the last freeze). What stays alive is freed by
    its reference count as before when the cache lets it go; only objects that the run left
    in reference cycles and that die later wait for the next thaw (:data:`THAW_EVERY`).
    """
    if _GROWN[0]:
        _GROWN[0] = False
        _FREEZES[0] += 1
        if _FREEZES[0] % THAW_EVERY == 0:
            gc.unfreeze()
            gc.collect()
        gc.freeze()


@st.cache_resource(show_spinner=False, max_entries=64)
def cached_run(
    key: str,
    model: str,
    _scenario: Scenario,
    what_if: bool = False,
    chosen: tuple[tuple[str, str], ...] = (),
) -> ModelRun:
    """One model's run on one scenario, recorded in the run store behind the figures (on a
    thread of its own: :func:`record_later`); the raw solver result is not kept.

    ``key`` is the scenario's :func:`~optimizer.pipeline.inputs.input_digest` for ``model``:
    a what-if on what the model never reads reuses its run. A ``what_if`` run takes the
    model's :data:`WHATIF_OPTIONS`; ``chosen`` are options the user picked on the page (the
    split of the bill), as ``(name, value)`` pairs.
    """
    options = dict(WHATIF_OPTIONS[model][0]) if what_if and model in WHATIF_OPTIONS else {}
    options |= dict(chosen)
    run = replace(run_model(_scenario, model, **options), result=None)
    _GROWN[0] = True
    record_later(run, _scenario, options)
    return run


def run_key(scenario: Scenario, model: str) -> str:
    """The key of ``model``'s cached run on ``scenario``: a digest of what it reads."""
    return input_digest(scenario, model)


@st.cache_resource(show_spinner=False)
def _recorder() -> ThreadPoolExecutor:
    """One thread that records the app's runs in the store, in the order they are made."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-runs")


def record_later(
    run: ModelRun, scenario: Scenario, options: Mapping[str, Any] | None = None
) -> Future[int | None] | None:
    """Record a run (and the options it was solved with) in the store on the recording
    thread (the figures need not wait)."""
    store = run_store()
    if store is None:
        return None
    return _recorder().submit(_record, store, run, scenario, options or None)


def records_done(timeout: float = 60.0) -> None:
    """Wait until every run handed to :func:`record_later` so far is in the store."""
    _recorder().submit(lambda: None).result(timeout=timeout)


def _record(
    store: RunStore, run: ModelRun, scenario: Scenario, options: Mapping[str, Any] | None
) -> int | None:
    try:
        return store.record(run, scenario, options=options, label="app")
    except (InputError, SQLAlchemyError) as error:  # no page to show it on: the server log
        _log.warning("a run of %s was not recorded: %s", run.model, error)
        return None


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore | None:
    """The run store of this app (``$COOP_OPTIMIZER_STORE``, else the user's); None when it
    cannot be opened: the app then works without recording."""
    try:
        return open_store()
    except InputError as error:
        st.toast(f"Runs are not recorded: {error.first_line}")
        return None


def set_base(scenario: Scenario, label: str) -> None:
    """Make an uploaded or edited scenario the base of every page."""
    st.session_state["base_scenario"] = scenario
    st.session_state["base_label"] = label


def current_base() -> tuple[str, Scenario]:
    """The label and scenario every page starts from: uploaded or edited, else bundled."""
    scenario = st.session_state.get("base_scenario")
    if isinstance(scenario, Scenario):
        return str(st.session_state.get("base_label", scenario.name)), scenario
    path = str(st.session_state.get("scenario_choice", DEFAULT_SCENARIO))
    full = ROOT / path
    mtime = (full / "scenario.yaml" if full.is_dir() else full).stat().st_mtime
    return path, load_bundled(path, mtime)


def current_variant(base: Scenario) -> Scenario | None:
    """The base with the sidebar's what-ifs, or None when no what-if is set."""
    overrides = st.session_state.get("overrides") or {}
    if not overrides:
        return None
    text = json.dumps(overrides, sort_keys=True)
    return cached_variant(scenario_key(base), text, base)


def show_input_error(error: InputError, *, title: str = "The input has problems") -> None:
    """Every problem of an InputError as one message (never a traceback, nor a server path)."""
    lines = [f"- {shown_path(str(problem))}" for problem in error.problems[:30]]
    if len(error.problems) > 30:
        lines.append(f"- ... and {len(error.problems) - 30} more")
    st.error(f"**{title}**\n\n" + "\n".join(lines))
