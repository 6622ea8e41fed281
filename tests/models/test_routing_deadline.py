"""The hard wall-clock limit around every routing engine call (``_deadline``)."""

from __future__ import annotations

import math
import re
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
from optimizer.models.routing._deadline import (
    Late,
    call_with_deadline,
    grace,
    searching,
    setup_allowance,
)
from optimizer.models.routing.solve import RoutingResult
from optimizer.results import Status
from tests.models.test_routing import _corners, _square

# what the call may add to its deadline: the kill and the join (measured 5-40 ms), with room
# for a loaded machine
OVERHEAD_S = 0.3


def sleep_forever(*args: Any, **kwargs: Any) -> Any:
    """An engine that never returns, as PyVRP once did for ten minutes."""
    while True:
        time.sleep(1)


def search_forever(*args: Any, **kwargs: Any) -> Any:
    """An engine that sets up at once and then searches for ever."""
    searching()
    sleep_forever()


def slow_setup(*args: Any, **kwargs: Any) -> Any:
    """The real engine after a set-up of 2.5 s (a large problem's hand-over and model), longer
    than the search's limit and its grace."""
    time.sleep(2.5)
    return solve.run_engine(*args, **kwargs)


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


def _three_corners() -> RoutingProblem:
    """Three corners of the 10 x 10 square to collect from the fourth: one tour of 40."""
    return RoutingProblem(
        (Depot(0),),
        tuple(Client(i, pickup=1) for i in (1, 2, 3)),
        (VehicleType(1, 10),),
        _square(),
        _square(),
    )


def _solve_with(
    monkeypatch: pytest.MonkeyPatch, engine: Any
) -> tuple[RoutingProblem, RoutingResult, float]:
    """The problem, the result and the seconds taken of a 0.5 s solve by ``engine``."""
    # the child resolves the patched function by name: this module's function
    monkeypatch.setattr(solve, "run_engine", engine)
    problem = _problem()
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)  # boot the fork server first
    started = time.perf_counter()
    result = solve_routes(problem, time_limit=0.5)
    return problem, result, time.perf_counter() - started


def test_a_search_that_hangs_is_reported_within_its_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem, result, took = _solve_with(monkeypatch, search_forever)
    assert 0.5 + grace(0.5) <= took < setup_allowance(4, 3) + 0.5 + grace(0.5) + OVERHEAD_S
    assert result.status is Status.NO_SOLUTION
    assert result.message.startswith("the search did not finish in 0.5 s")
    # killed at its deadline counted from the start of its search (the message has 0.1 s)
    assert 0.5 + grace(0.5) - 0.05 <= _searched_s(result.message) < 0.5 + grace(0.5) + OVERHEAD_S
    assert check_routes(problem, result).problems == ("no solution to check",)


def test_a_setup_that_hangs_is_killed_after_its_allowance_and_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem, result, took = _solve_with(monkeypatch, sleep_forever)
    allowance = setup_allowance(problem.num_locations, len(problem.clients))
    bound = allowance + 0.5 + grace(0.5)
    assert bound <= took < bound + OVERHEAD_S
    assert result.status is Status.NO_SOLUTION
    assert result.message.startswith(
        f"setting up the search over {problem.num_locations} places took longer than its "
        f"allowance of {allowance:.1f} s"
    )


def test_a_search_that_hangs_after_its_setup_is_killed_at_its_limit() -> None:
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)
    started = time.perf_counter()
    with pytest.raises(Late) as late:
        call_with_deadline(search_forever, (), {}, limit_s=0.5, setup_s=30.0)
    assert 0.5 <= time.perf_counter() - started < 30.0
    assert not late.value.in_setup
    assert 0.45 <= _searched_s(str(late.value)) < 0.5 + OVERHEAD_S


def _searched_s(message: str) -> float:
    """The seconds of search a deadline's message reports."""
    found = re.search(r"([0-9.]+) s searching", message)
    assert found, message
    return float(found.group(1))


def test_a_slow_setup_still_searches_for_the_whole_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting up takes longer than the search's limit and grace: the search still runs."""
    monkeypatch.setattr(solve, "run_engine", slow_setup)
    problem = _three_corners()
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)
    monkeypatch.setattr(solve, "setup_allowance", lambda n, c=0: 30.0)
    result = solve_routes(problem, time_limit=0.5)
    assert result.status is Status.FEASIBLE, result.message
    assert result.runtime_s >= 2.5 + 0.5
    assert check_routes(problem, result).ok
    assert result.objective == pytest.approx(40.0)


def test_the_setup_allowance_grows_with_the_problem() -> None:
    assert setup_allowance(5) == pytest.approx(2.0, abs=1e-3)
    assert setup_allowance(1500) > setup_allowance(150) > 2.0
    # clients at few places: PyVRP's neighbourhoods still weigh every pair of clients, and
    # an iteration still works on every client
    assert grace(1.0, 2000, 5000) > grace(1.0, 2000) > grace(1.0)
    assert setup_allowance(2000, 5000) > setup_allowance(2000, 1500) > setup_allowance(2000)


@pytest.mark.parametrize("limit", [math.inf, math.nan, 0.0, -1.0])
def test_a_time_limit_that_is_not_a_positive_finite_number_is_refused(limit: float) -> None:
    with pytest.raises(InputError, match="time_limit"):
        solve_routes(_problem(), time_limit=limit)


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_a_normal_search_answers_within_its_limit(engine: str) -> None:
    problem = _three_corners()
    call_with_deadline(time.sleep, (0,), {}, limit_s=5)
    started = time.perf_counter()
    result = solve_routes(problem, engine=engine, time_limit=0.5)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 0.5 + grace(0.5) + OVERHEAD_S
    assert result.status is Status.FEASIBLE
    assert check_routes(problem, result).ok
