"""The Sweeps page: a sweep set up on the page runs in the background, its progress is
polled, and its tables and robust plan are those of the library's sweep on the same setup."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from optimizer.app.sweeps import SweepSetup, hub_names, jobs, start_sweep
from optimizer.pipeline.robust import robust_hubs
from optimizer.scenario.load import load_scenario
from optimizer.sweep import samples
from optimizer.sweep.record import MemoryRecorder
from optimizer.sweep.results import sweep_tables
from optimizer.sweep.run import run_sweep
from tests.conftest import LIECHTENSTEIN
from tests.test_app import SMALL, TIMEOUT, no_errors


def test_the_setup_is_the_command_lines_flags() -> None:
    setup = SweepSetup(
        fuel=(0.8, 1.6),
        fuel_steps=5,
        seasons=("dry", "rainy"),
        prices=0.1,
        closures=("B 191",),
        closure_chance=0.3,
        buyer_missing=0.2,
    )
    vary, draw = setup.flags()
    assert vary == ["fuel_price_factor=0.8:1.6:5", "season=dry,rainy"]
    assert draw == ["prices=0.1", "closure=B 191@0.3", "buyer_missing=0.2"]
    assert SweepSetup().flags() == ([], [])  # nothing varies
    spec = setup.spec()
    assert spec.combinations() == 10 and spec.draws.prices == 0.1


def sweeps_page() -> None:
    from optimizer.app.shell import page_setup
    from optimizer.app.sweeps import render_sweeps_page

    page_setup()
    render_sweeps_page()


def test_a_sweep_runs_from_the_page_and_shows_the_librarys_results(app_store: str) -> None:
    at = AppTest.from_function(sweeps_page, default_timeout=TIMEOUT)
    at.session_state["scenario_choice"] = SMALL
    at.run()
    no_errors(at)
    at.number_input(key="sw-samples").set_value(6)
    at.slider(key="sw-fuel").set_value((0.8, 1.6))
    at.number_input(key="sw-steps").set_value(3)
    at.multiselect(key="sw-seasons").set_value(["dry", "rainy"])
    at.slider(key="sw-prices").set_value(10)
    at.button[0].click()  # the form's submit button
    at.run()
    no_errors(at)
    job = jobs()[int(at.session_state["sweep_job"])]
    deadline = time.monotonic() + TIMEOUT
    while job.running and time.monotonic() < deadline:
        time.sleep(0.5)
    assert job.state == "finished", job.message
    at.run()
    no_errors(at)
    # the same sweep through the library
    base = load_scenario(LIECHTENSTEIN)
    setup = SweepSetup(fuel=(0.8, 1.6), fuel_steps=3, seasons=("dry", "rainy"), prices=0.1)
    spec = setup.spec()
    run = run_sweep(spec, base, "hubs", n=6, seed=0, workers=0, recorder=MemoryRecorder())
    want = sweep_tables(run.results)
    shown = [d.value for d in at.dataframe]
    kpis = next(f for f in shown if "p50" in f.columns)
    pd.testing.assert_frame_equal(kpis.reset_index(drop=True), want.kpis)
    assert job.sweep_id is not None and len(job.results) == 6
    plan = robust_hubs([s.scenario for s in samples(spec, base, 6, 0)])
    assert job.robust is not None
    assert job.robust.kpi_values() == pytest.approx(plan.kpi_values(), nan_ok=True)
    cards = {m.label for m in at.metric}
    assert {k.label for k in plan.kpis} <= cards
    assert "How often each hub is open" in [h.value for h in at.subheader]


def test_a_sweep_can_be_stopped_and_keeps_what_is_done() -> None:
    base = load_scenario(LIECHTENSTEIN)
    setup = SweepSetup(fuel=(0.8, 1.6), fuel_steps=20)
    job = start_sweep(setup, base, "markets", samples=20, recorder=MemoryRecorder())
    while job.done < 1 and job.running:
        time.sleep(0.05)
    job.stop.set()
    deadline = time.monotonic() + TIMEOUT
    while job.running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.state == "stopped"
    assert 1 <= len(job.results) < 20


def test_hubs_are_named() -> None:
    base = load_scenario(LIECHTENSTEIN)
    hubs = pd.DataFrame({"hub": ["H1"], "samples_open": [3], "share_open": [0.75]})
    named = hub_names(hubs, base)
    assert named["hub_name"].tolist() == [f"{base.hubs[0].name} (H1)"]
    assert named["share_open_pct"].tolist() == [75.0]
