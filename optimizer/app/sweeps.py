"""The Sweeps page: set up a sweep, watch it run, read its distributions and the robust plan.

A sweep runs on a background thread of the app's process (:func:`start_sweep`), through
:func:`optimizer.sweep.run.run_sweep` (in the process, or on a local Dask cluster of worker
processes); the page polls its progress every second. Its samples go to the run store as
they finish (the History page shows them). The results are the tables of
:mod:`optimizer.sweep.results` and the charts of :mod:`optimizer.sweep.charts`; with the hubs
model, the hubs to open once for all the samples come from
:func:`optimizer.pipeline.robust.robust_hubs`. Nothing here holds a model rule.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from optimizer.app.failures import plain_message
from optimizer.app.state import available_models, current_base, run_store, show_input_error
from optimizer.app.views import (
    download_tables,
    kpi_cards,
    readable,
    table_tabs,
    words_and_notes,
)
from optimizer.app.whatif import road_names
from optimizer.errors import InputError
from optimizer.io.format import DASH
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from optimizer.sweep.record import MemoryRecorder, Recorder, SampleResult, StoreRecorder
from optimizer.sweep.results import SweepTables, sweep_tables
from optimizer.sweep.spec import SweepSpec, spec_from_options

_log = logging.getLogger(__name__)

__all__ = [
    "SweepJob",
    "SweepSetup",
    "hub_names",
    "jobs",
    "render_sweeps_page",
    "show_results",
    "start_sweep",
]

_JOB = "sweep_job"  # the session's job number
MAX_SAMPLES = 1000


@dataclass(frozen=True)
class SweepSetup:
    """What a sweep varies, as the page's controls set it; :meth:`spec` is the sweep."""

    fuel: tuple[float, float] = (1.0, 1.0)
    fuel_steps: int = 1
    seasons: tuple[str, ...] = ()
    prices: float = 0.0
    supply: float = 0.0
    closures: tuple[str, ...] = ()
    closure_chance: float = 0.3
    buyer_missing: float = 0.0

    def flags(self) -> tuple[list[str], list[str]]:
        """The ``--vary`` and ``--draw`` flags of ``optimizer sweep`` for this setup."""
        vary, draw = [], []
        low, high = self.fuel
        if self.fuel_steps > 1 and high > low:
            vary.append(f"fuel_price_factor={low:g}:{high:g}:{self.fuel_steps}")
        if len(self.seasons) > 1:
            vary.append(f"season={','.join(self.seasons)}")
        if self.prices > 0:
            draw.append(f"prices={self.prices:g}")
        if self.supply > 0:
            draw.append(f"supply={self.supply:g}")
        draw += [f"closure={name}@{self.closure_chance:g}" for name in self.closures]
        if self.buyer_missing > 0:
            draw.append(f"buyer_missing={self.buyer_missing:g}")
        return vary, draw

    def spec(self) -> SweepSpec:
        vary, draw = self.flags()
        return spec_from_options(vary, draw)


@dataclass
class SweepJob:
    """A sweep running (or run) on a background thread; the page reads it, the thread writes."""

    number: int
    model: str
    scenario: str
    total: int
    done: int = 0
    state: str = "running"  # running, robust plan, finished, stopped, failed
    message: str = ""
    sweep_id: int | None = None
    results: tuple[SampleResult, ...] = ()
    failed: int = 0
    robust: ModelRun | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return self.state in ("running", "robust plan")


@st.cache_resource(show_spinner=False)
def jobs() -> dict[int, SweepJob]:
    """The sweeps of this app process, by number (shared by its sessions)."""
    return {}


_numbers = itertools.count(1)


def start_sweep(
    setup: SweepSetup,
    base: Scenario,
    model: str,
    *,
    samples: int,
    seed: int = 0,
    workers: int = 0,
    robust: bool = False,
    recorder: Recorder | None = None,
) -> SweepJob:
    """Check the sweep, then run it on a background thread; the job to poll.

    Raises
    ------
    InputError
        When the setup does not fit the scenario (checked before anything runs).
    """
    from optimizer.sweep.samples import check_spec

    spec = setup.spec()
    check_spec(spec, base)
    job = SweepJob(next(_numbers), model, base.name, samples)
    jobs()[job.number] = job
    if recorder is None:
        store = run_store()
        recorder = MemoryRecorder() if store is None else StoreRecorder(store)
    thread = threading.Thread(
        target=_work,
        args=(job, spec, base, recorder, seed, workers, robust),
        name=f"sweep-{job.number}",
        daemon=True,
    )
    thread.start()
    return job


def _work(
    job: SweepJob,
    spec: SweepSpec,
    base: Scenario,
    recorder: Recorder,
    seed: int,
    workers: int,
    robust: bool,
) -> None:
    from optimizer.pipeline.robust import robust_hubs
    from optimizer.sweep import samples
    from optimizer.sweep.run import SweepStopped, run_sweep

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total
        if job.stop.is_set():
            raise KeyboardInterrupt  # run_sweep stops, keeps what is done: SweepStopped

    try:
        run = run_sweep(
            spec,
            base,
            job.model,
            n=job.total,
            seed=seed,
            workers=workers,
            recorder=recorder,
            label="app sweep",
            progress=progress,
        )
        job.sweep_id, job.results, job.failed = run.sweep_id, run.results, len(run.failed)
        if robust and job.model == "hubs" and run.results:
            job.state = "robust plan"
            futures = [s.scenario for s in samples(spec, base, job.total, seed)]
            job.robust = robust_hubs(futures)
        job.state = "finished"
    except SweepStopped as stopped:
        job.sweep_id = stopped.sweep_id
        job.results = tuple(recorder.results(stopped.sweep_id))
        job.state, job.message = "stopped", str(stopped)
    except InputError as error:
        job.state, job.message = "failed", error.first_line
    except Exception as error:  # the page shows it; the app goes on
        _log.error("the sweep failed", exc_info=error)
        job.state, job.message = "failed", plain_message(error)
    finally:
        job.ended = time.monotonic()


# ----------------------------------------------------------------------------- the page
def render_sweeps_page() -> None:
    st.title("Sweeps")
    try:
        label, base = current_base()
    except InputError as exc:
        show_input_error(exc)
        return
    job = jobs().get(int(st.session_state.get(_JOB, 0)))
    if job is None or not job.running:
        _setup_form(label, base)
    if job is not None and job.running:
        _progress(job.number)
    elif job is not None:
        _outcome(job)
        show_results(job, base)


def _setup_form(label: str, base: Scenario) -> None:
    models = available_models()
    if not models:
        st.info("No model is installed yet.")
        return
    st.caption(f"Around the base scenario **{label}** (the sidebar's what-ifs are not applied).")
    with st.form("sweep-setup"):
        left, right = st.columns(2)
        default = models.index("hubs") if "hubs" in models else 0
        model = left.selectbox("Model", models, index=default, key="sw-model")
        n = right.number_input("Samples", 1, MAX_SAMPLES, 20, key="sw-samples")
        left.markdown("**What varies**")
        fuel = left.slider(
            "Fuel price factor from ... to", 0.5, 2.0, (0.8, 1.6), 0.05, key="sw-fuel"
        )
        steps = left.number_input("Fuel price steps (1: fixed)", 1, 20, 5, key="sw-steps")
        seasons = left.multiselect("Seasons", ["dry", "rainy"], ["dry", "rainy"], key="sw-seasons")
        right.markdown("**Random draws (from the seed)**")
        prices = right.slider("Prices vary by up to (%)", 0, 50, 10, key="sw-prices")
        supply = right.slider("Supply varies by up to (%)", 0, 50, 0, key="sw-supply")
        names = road_names(_network(base))
        closures = right.multiselect(
            "Roads that may close", names, key="sw-closures", disabled=not names
        )
        chance = right.slider("Chance each of them is closed (%)", 0, 100, 30, key="sw-chance")
        missing = right.slider("Chance one buyer is missing (%)", 0, 100, 0, key="sw-missing")
        left, middle, right = st.columns(3)
        seed = left.number_input("Seed", 0, 2**31 - 1, 0, key="sw-seed")
        workers = middle.number_input(
            "Worker processes (0: in the app's process)", 0, 8, 0, key="sw-workers",
            help="More than 0 starts a local Dask cluster of that many processes.",
        )  # fmt: skip
        robust = right.checkbox("Then the robust hubs plan (hubs model)", True, key="sw-robust")
        submitted = st.form_submit_button("Run the sweep", type="primary")
    if not submitted:
        return
    setup = SweepSetup(
        fuel=(float(fuel[0]), float(fuel[1])),
        fuel_steps=int(steps),
        seasons=tuple(seasons),
        prices=prices / 100,
        supply=supply / 100,
        closures=tuple(closures),
        closure_chance=chance / 100,
        buyer_missing=missing / 100,
    )
    try:
        job = start_sweep(
            setup, base, model, samples=int(n), seed=int(seed), workers=int(workers), robust=robust
        )
    except InputError as exc:
        show_input_error(exc, title="This sweep cannot run")
        return
    st.session_state[_JOB] = job.number
    st.rerun()


def _network(base: Scenario) -> Any:
    from optimizer.app.state import cached_network, network_key

    if base.network.file is None:
        return None
    try:
        return cached_network(network_key(base), base)
    except InputError:
        return None


@st.fragment(run_every=1.0)
def _progress(number: int) -> None:
    """The running job's progress, redrawn every second; the whole page once it is over."""
    job = jobs().get(number)
    if job is None or not job.running:
        st.rerun()  # the whole page: the outcome and the results
        return
    seconds = time.monotonic() - job.started
    what = f"Sweep of {job.model} on {job.scenario}: {job.done} of {job.total} samples"
    st.progress(job.done / max(job.total, 1), text=f"{what} ({seconds:.0f} s)")
    if job.state == "robust plan":
        st.info("All samples are done; choosing the hubs to open for all of them ...")
    if st.button("Stop the sweep", key=f"sw-stop-{number}"):
        job.stop.set()


def _outcome(job: SweepJob) -> None:
    """How the sweep ended."""
    seconds = (job.ended or time.monotonic()) - job.started
    text = (
        f"Sweep of {job.model} on {job.scenario}: {len(job.results)} of {job.total} samples, "
        f"{job.state} after {seconds:.0f} s"
    )
    if job.sweep_id is not None:
        text += f" (sweep {job.sweep_id} in the run store)"
    if job.state == "failed":
        st.error(f"{text}: {job.message}")
    elif job.state == "stopped" or job.failed:
        st.warning(text + (f"; {job.failed} samples failed" if job.failed else ""))
    else:
        st.success(text)


def show_results(job: SweepJob, base: Scenario) -> None:
    """The sweep's distributions, tornado chart, hub use and the robust plan."""
    if not job.results:
        return
    tables = sweep_tables(job.results)
    st.header("Results")
    st.subheader("Each KPI over the samples")
    st.dataframe(readable(tables.kpis), hide_index=True, width="stretch", placeholder=DASH)
    _chart(tables, "distribution")
    st.subheader("What moves the KPIs most (tornado)")
    if tables.sensitivity.empty:
        st.info("Nothing varied between the samples: no sensitivity to show.")
    else:
        _chart(tables, "tornado")
    hubs = hub_names(tables.hubs, base)
    if not hubs.empty:
        st.subheader("How often each hub is open")
        bars = (
            alt.Chart(hubs)
            .mark_bar()
            .encode(
                x=alt.X("share_open_pct:Q", title="samples with the hub open (%)"),
                y=alt.Y("hub_name:N", sort="-x", title=None),
                tooltip=["hub_name", "hub", "samples_open", "share_open_pct"],
            )
        )
        st.altair_chart(bars, width="stretch")
    if job.robust is not None:
        _robust(job.robust, base)
    download_tables(tables.as_dict(), prefix=f"sweep-{job.sweep_id}", key=f"sw-dl-{job.number}")


def _chart(tables: SweepTables, kind: str) -> None:
    from optimizer.sweep.charts import distribution_chart, tornado_chart

    chart = distribution_chart(tables) if kind == "distribution" else tornado_chart(tables)
    if chart is not None:
        st.altair_chart(chart)


def hub_names(hubs: pd.DataFrame, base: Scenario) -> pd.DataFrame:
    """The hub-use table with each hub's name and its share in percent."""
    if hubs.empty:
        return hubs
    names = {h.id: h.name for h in base.hubs}
    return hubs.assign(
        hub_name=[f"{names.get(h, h)} ({h})" for h in hubs["hub"]],
        share_open_pct=100.0 * hubs["share_open"],
    )


def _robust(run: ModelRun, base: Scenario) -> None:
    st.subheader("The robust plan: hubs to open once, for every sample")
    kpi_cards(run)
    words_and_notes(run)
    table_tabs(run, base, key="sw-robust")
