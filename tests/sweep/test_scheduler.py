"""A sweep on a real Dask scheduler with two workers (started by .ci/run) equals the serial run.

Set ``COOP_OPTIMIZER_TEST_SCHEDULER`` to the scheduler's address (``tcp://127.0.0.1:PORT``);
its workers must import this checkout's ``optimizer``. Without it the tests are skipped.
"""

from __future__ import annotations

import os

import pytest

from optimizer.errors import InputError
from optimizer.scenario.load import load_scenario
from optimizer.sweep.run import run_sweep
from tests.conftest import MECKLENBURG, free_port
from tests.sweep.test_run import ROADS_SPEC, assert_same_results

SCHEDULER = os.environ.get("COOP_OPTIMIZER_TEST_SCHEDULER")

pytestmark = [
    pytest.mark.dask,
    pytest.mark.filterwarnings("ignore::UserWarning:distributed"),
    pytest.mark.skipif(not SCHEDULER, reason="COOP_OPTIMIZER_TEST_SCHEDULER is not set"),
]


def test_sweep_on_a_scheduler_with_two_workers_equals_serial() -> None:
    from distributed import Client

    with Client(SCHEDULER, timeout="10s") as client:
        assert len(client.scheduler_info()["workers"]) == 2
    base = load_scenario(MECKLENBURG)
    serial = run_sweep(ROADS_SPEC, base, "markets", n=6, seed=5, workers=0)
    remote = run_sweep(ROADS_SPEC, base, "markets", n=6, seed=5, scheduler=SCHEDULER)
    assert_same_results(serial, remote)
    assert len(remote.network_loads) == 2  # both workers took samples
    assert set(remote.network_loads.values()) == {1}  # and read the roads once each


def test_an_unreachable_scheduler_is_an_input_error() -> None:
    base = load_scenario(MECKLENBURG)
    with pytest.raises(InputError, match="--scheduler"):
        run_sweep(
            ROADS_SPEC, base, "markets", n=1, seed=5, scheduler=f"tcp://127.0.0.1:{free_port()}"
        )
