"""The robust hubs plan: a case solved by hand, brute force over all hub subsets, bad input.

Every robust solve here also runs the independent check (:func:`check_robust_hubs`), which
re-solves each sample with the hubs fixed.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from optimizer.errors import InputError
from optimizer.models.hubs import HubData, check_hubs, solve_hubs
from optimizer.models.hubs.robust import (
    RobustHubResult,
    fix_hubs,
    sample_weights,
    solve_robust_hubs,
)
from optimizer.models.hubs.robust_check import check_robust_hubs
from optimizer.results import Status

_GAP = 1e-9


def checked(samples: list[HubData], **options: Any) -> RobustHubResult:
    """Solve robustly, then make the independent check agree with the plan and its value."""
    result = solve_robust_hubs(samples, gap=_GAP, time_limit=60, **options)
    assert result.status is Status.OPTIMAL, result.message
    report = check_robust_hubs(samples, result, gap=_GAP)
    assert report.ok, report.summary()
    assert report.cost == pytest.approx(result.objective, rel=1e-7, abs=1e-6)
    return result


def two_futures(**overrides: Any) -> list[HubData]:
    """One member with 100 units of 10 kg, one buyer paying 10 a unit, two candidate hubs A
    (fixed cost 500) and B (600), no direct road, nothing at the farm gate. The first mile
    costs 0.1 a unit-km over 10 km (100 in all), one truck of 2,000 kg costs 50 on either
    corridor. In future 0 the member reaches only A, in future 1 only B: through the hub
    it reachable, it earns 1,000 − 100 − 50 = 850 before the hub's fixed cost."""
    common: dict[str, Any] = {
        "supply": np.array([[100.0]]),
        "weight_kg": np.array([10.0]),
        "value_per_unit": np.array([[10.0]]),
        "distance_member_buyer_km": np.array([[np.inf]]),
        "distance_hub_buyer_km": np.array([[10.0], [10.0]]),
        "first_mile_cost_per_unit_km": np.array([0.1]),
        "direct_cost_per_unit_km": np.array([0.1]),
        "hub_fixed_cost": np.array([500.0, 600.0]),
        "hub_capacity_kg": np.array([5000.0, 5000.0]),
        "truck_payload_kg": 2000.0,
        "truck_fixed_cost": 50.0,
        "truck_cost_per_km": 0.0,
        **overrides,
    }
    return [
        HubData(distance_member_hub_km=np.array([[10.0, np.inf]]), **common),
        HubData(distance_member_hub_km=np.array([[np.inf, 10.0]]), **common),
    ]


@pytest.mark.parametrize("method", ["subsets", "joint"])
def test_two_futures_by_hand(method: str) -> None:
    # Alone, future 0 opens A (850 − 500 = 350) and future 1 opens B (850 − 600 = 250).
    # Weights 0.8 / 0.2: {} 0; {A} 0.8·350 + 0.2·(−500) = 180; {B} 0.8·(−600) + 0.2·250
    # = −430; {A, B} 0.8·(−250) + 0.2·(−250) = −250 -> open A, expected net value 180.
    samples = two_futures()
    expected = checked(samples, weights=[4, 1], method=method)
    assert expected.open_hubs == (0,)
    assert expected.objective == pytest.approx(180.0)
    assert expected.bound == pytest.approx(180.0)
    assert list(expected.own_values) == pytest.approx([350.0, 250.0])
    assert list(expected.net_values) == pytest.approx([350.0, -500.0])
    table = expected.comparison()
    assert list(table["regret"]) == pytest.approx([0.0, 750.0])
    assert list(table["regret_pct"]) == pytest.approx([0.0, 300.0])
    assert table["hubs_added"].tolist() == [(), (0,)]
    assert table["hubs_dropped"].tolist() == [(), (1,)]
    frequency = expected.frequency()
    assert frequency["own_open"].tolist() == [1, 1]
    assert frequency["own_open_share"].tolist() == pytest.approx([0.8, 0.2])
    assert frequency["robust_open"].tolist() == [True, False]
    # Worst regret: {} max(350, 250) = 350; {A} max(0, 250 + 500) = 750; {B} max(350 + 600,
    # 0) = 950; {A, B} max(350 + 250, 250 + 250) = 600 -> open nothing, worst regret 350.
    regret = checked(samples, objective="regret", weights=[4, 1], method=method)
    assert regret.open_hubs == ()
    assert regret.objective == pytest.approx(350.0)
    assert regret.expected_net_value == pytest.approx(0.0)


def random_futures(seed: int, n_samples: int) -> list[HubData]:
    """Six members, four candidate hubs, two buyers, two products; each future scales each
    member's supply (×0–2) and each buyer's prices (×0.6–1.4)."""
    rng = np.random.default_rng(seed)
    n_m, n_h, n_b, n_p = 6, 4, 2, 2
    network: dict[str, Any] = {
        "weight_kg": np.array([10.0, 25.0]),
        "distance_member_hub_km": rng.uniform(1, 30, (n_m, n_h)),
        "distance_member_buyer_km": rng.uniform(20, 90, (n_m, n_b)),
        "distance_hub_buyer_km": rng.uniform(10, 80, (n_h, n_b)),
        "first_mile_cost_per_unit_km": 0.02,
        "direct_cost_per_unit_km": 0.08,
        "hub_fixed_cost": rng.uniform(50, 200, n_h),
        "hub_capacity_kg": rng.uniform(1500, 5000, n_h),
        "truck_payload_kg": 3000.0,
        "truck_fixed_cost": 40.0,
        "truck_cost_per_km": 1.2,
        "farm_gate_value": 2.0,
    }
    supply = rng.integers(0, 40, (n_m, n_p)).astype(float)
    value = rng.uniform(5, 12, (n_b, n_p))
    return [
        HubData(
            supply=supply * rng.uniform(0, 2, (n_m, 1)),
            value_per_unit=value * rng.uniform(0.6, 1.4, (n_b, 1)),
            **network,
        )
        for _ in range(n_samples)
    ]


def brute_force(samples: list[HubData]) -> dict[tuple[int, ...], np.ndarray]:
    """Each sample's optimum for every subset of hubs opened (each plan checked)."""
    values = {}
    n_h = samples[0].n_hubs
    for k in range(n_h + 1):
        for subset in itertools.combinations(range(n_h), k):
            row = []
            for data in samples:
                fixed = fix_hubs(data, subset)
                result = solve_hubs(fixed, gap=_GAP)
                assert result.status is Status.OPTIMAL
                assert check_hubs(fixed, result).ok
                row.append(result.objective)
            values[subset] = np.array(row)
    return values


def test_against_brute_force_over_all_hub_subsets() -> None:
    # seed 40: the five futures' own plans open four different hub sets, and the two
    # objectives choose differently ({0, 1} and {0, 2}, the latter no future's own choice)
    samples = random_futures(40, 5)
    values = brute_force(samples)
    weights = np.array([1.0, 2.0, 1.0, 1.0, 3.0])
    for w, method in ((None, "subsets"), (weights, "subsets"), (weights, "joint")):
        p = sample_weights(len(samples), w)
        expected = checked(samples, weights=w, method=method)
        own = expected.own_values
        assert len({r.open_hubs for r in expected.own}) >= 3
        best_value = max(p @ v for v in values.values())
        best = [s for s, v in values.items() if p @ v >= best_value - 1e-6]
        assert expected.open_hubs in best
        assert expected.objective == pytest.approx(best_value, rel=1e-7)
        regret = checked(samples, objective="regret", weights=w, method=method)
        least = min(float(np.max(own - v)) for v in values.values())
        fewest = [s for s, v in values.items() if np.max(own - v) <= least + 1e-6]
        assert regret.open_hubs in fewest
        assert regret.objective == pytest.approx(least, rel=1e-7, abs=1e-6)
    assert expected.open_hubs != regret.open_hubs  # the instance tells the objectives apart


def test_own_plans_given_are_used() -> None:
    samples = two_futures()
    own = [solve_hubs(d, gap=_GAP) for d in samples]
    result = checked(samples, own=own)
    assert result.own == tuple(own)
    assert result.open_hubs == ()  # equal weights: {} 0, {A} −75, {B} −175, {A, B} −250


@pytest.mark.parametrize(
    ("options", "column"),
    [
        ({"weights": [1.0]}, "weights"),
        ({"weights": [1.0, -1.0]}, "weights"),
        ({"weights": [0.0, 0.0]}, "weights"),
        ({"weights": [1.0, float("nan")]}, "weights"),
        ({"objective": "worst"}, "objective"),
        ({"method": "benders"}, "method"),
    ],
)
def test_bad_options_are_input_errors(options: dict[str, Any], column: str) -> None:
    with pytest.raises(InputError, match=column):
        solve_robust_hubs(two_futures(), **options)


def test_samples_must_share_their_candidate_hubs() -> None:
    first, second = two_futures()
    fewer = fix_hubs(second, [1])
    one_hub = HubData(
        supply=second.supply,
        weight_kg=second.weight_kg,
        value_per_unit=second.value_per_unit,
        distance_member_hub_km=np.array([[10.0]]),
        distance_member_buyer_km=second.distance_member_buyer_km,
        distance_hub_buyer_km=np.array([[10.0]]),
        first_mile_cost_per_unit_km=np.array([0.1]),
        direct_cost_per_unit_km=np.array([0.1]),
        hub_fixed_cost=np.array([500.0]),
        hub_capacity_kg=np.array([5000.0]),
        truck_payload_kg=np.array([[2000.0]]),
        truck_fixed_cost=np.array([[50.0]]),
        truck_cost_per_km=np.array([[0.0]]),
    )
    with pytest.raises(InputError, match="same 2 candidate hubs"):
        solve_robust_hubs([first, one_hub])
    with pytest.raises(InputError, match="same existing hubs"):
        solve_robust_hubs([first, fewer])
    with pytest.raises(InputError, match="at least one sample"):
        solve_robust_hubs([])
    with pytest.raises(InputError, match="existing hubs open"):
        fix_hubs(fewer, [0])
