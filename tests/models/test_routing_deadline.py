"""The hard wall-clock limit around every routing engine call (``_deadline``)."""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from optimizer.errors import InputError
from optimizer.models.routing import (
    Client,
    Depot,
    RoutingProblem,
    VehicleType,
    check_routes,
    solve,
    solve_routes,
)
from optimizer.models.routing._deadline import Late, call_with_deadline, grace
from optimizer.results import Status
from tests.models.test_routing import _corners, _square

# what the call may add to its deadline: the kill and the join (measured 5-40 ms), with room
# for a loaded machine
OVERHEAD_S = 0.3


def sleep_forever(*args: Any, **kwargs: Any) -> Any:
    """An engine that never returns, as PyVRP once did for ten minutes."""
    while True:
        time.sleep(1)


def fail(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("the engine broke")


def _problem() -> RoutingProblem:
    m = _square()
    return RoutingProblem((Depot(0),), tuple(_corners()), (VehicleType(1, 10),), m, m)


def test_a_call_that_never_returns_is_killed_at_its_deadline() -> None:
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)  # boot the fork server first
    started = time.perf_counter()
    with pytest.raises(Late):
        call_with_deadline(sleep_forever, (), {}, limit_s=0.5)
    took = time.perf_counter() - started
    assert 0.5 <= took < 0.5 + OVERHEAD_S


def test_an_engine_error_is_raised_in_the_caller() -> None:
    with pytest.raises(ValueError, match="the engine broke"):
        call_with_deadline(fail, (), {}, limit_s=5)


def test_a_search_that_hangs_is_reported_within_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the child resolves the patched function by name: this module's sleep_forever
    monkeypatch.setattr(solve, "run_engine", sleep_forever)
    problem = _problem()
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)
    started = time.perf_counter()
    result = solve_routes(problem, time_limit=0.5)
    took = time.perf_counter() - started
    assert took < 0.5 + grace(0.5) + OVERHEAD_S
    assert result.status is Status.NO_SOLUTION
    assert result.message.startswith("the search did not finish in 0.5 s")
    assert check_routes(problem, result).problems == ("no solution to check",)


@pytest.mark.parametrize("limit", [math.inf, math.nan, 0.0, -1.0])
def test_a_time_limit_that_is_not_a_positive_finite_number_is_refused(limit: float) -> None:
    with pytest.raises(InputError, match="time_limit"):
        solve_routes(_problem(), time_limit=limit)


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_a_normal_search_answers_within_its_limit(engine: str) -> None:
    problem = RoutingProblem(
        (Depot(0),),
        tuple(Client(i, pickup=1) for i in (1, 2, 3)),
        (VehicleType(1, 10),),
        _square(),
        _square(),
    )
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)
    started = time.perf_counter()
    result = solve_routes(problem, engine=engine, time_limit=0.5)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 0.5 + grace(0.5) + OVERHEAD_S
    assert result.status is Status.FEASIBLE
    assert check_routes(problem, result).ok
