"""Capacitated facility location and p-median: hand-solved instances, checker on every solve."""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from optimizer.errors import InputError
from optimizer.models.facility import (
    FacilityData,
    FacilityResult,
    check_facility_location,
    p_median_data,
    solve_facility_data,
    solve_facility_location,
    solve_p_median_capacitated,
)
from optimizer.results import Status

# Two sites, two customers of demand 5. Site 0 is cheap to customer 0 (1/unit) and dear to
# customer 1 (3/unit); site 1 costs 3 and 2. Each site costs 12 to open and holds 10.
#   site 0 alone: 12 + 5·1 + 5·3 = 32     site 1 alone: 12 + 5·3 + 5·2 = 37
#   both:         24 + 5·1 + 5·2 = 39     -> the optimum opens site 0 only, cost 32.
FIXED = np.array([12.0, 12.0])
CAPACITY = np.array([10.0, 10.0])
DEMAND = np.array([5.0, 5.0])
UNIT_COST = np.array([[1.0, 3.0], [3.0, 2.0]])


def solved(data: FacilityData, **options: float) -> FacilityResult:
    """Solve and run the independent checker, which must find nothing wrong."""
    result = solve_facility_data(data, **options)  # type: ignore[arg-type]
    if result.status.has_solution:
        report = check_facility_location(data, result)
        assert report.ok, report.summary()
        assert report.cost == pytest.approx(result.objective, rel=1e-9)
    return result


def test_opens_the_cheapest_single_site() -> None:
    result = solve_facility_location(FIXED, CAPACITY, DEMAND, UNIT_COST)
    assert check_facility_location(FacilityData(FIXED, CAPACITY, DEMAND, UNIT_COST), result).ok
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(32.0)
    assert result.open_sites == (0,)
    assert result.fixed_cost_total == pytest.approx(12.0)
    assert result.transport_cost_total == pytest.approx(20.0)
    assert "cost 32.00" in result.summary()


def test_existing_site_is_kept_open() -> None:
    # Site 1 forced open: site 1 alone costs 37, both 39 -> site 1 alone.
    data = FacilityData(FIXED, CAPACITY, DEMAND, UNIT_COST, existing=np.array([False, True]))
    result = solved(data)
    assert result.open_sites == (1,)
    assert result.objective == pytest.approx(37.0)


def test_capacity_splits_a_customer_unless_single_sourced() -> None:
    # Customers of 8 and 8, sites of capacity 10 with no fixed cost, site 0 at 1/unit and site 1
    # at 2/unit. Split: site 0 ships 10, site 1 ships 6 -> 10 + 12 = 22. Single-sourced: one
    # customer per site -> 8 + 16 = 24.
    args = (np.zeros(2), np.array([10.0, 10.0]), np.array([8.0, 8.0]))
    cost = np.array([[1.0, 1.0], [2.0, 2.0]])
    split = solved(FacilityData(*args, cost))
    assert split.objective == pytest.approx(22.0)
    assert split.flows.groupby("site")["quantity"].sum().to_dict() == pytest.approx(
        {0: 10.0, 1: 6.0}
    )
    single = solved(FacilityData(*args, cost, single_source=True))
    assert single.objective == pytest.approx(24.0)
    assert single.flows.groupby("customer")["site"].nunique().max() == 1


def test_missing_link_is_respected() -> None:
    # Site 0 cannot reach customer 1 (inf), so site 0 alone (32) is out: site 1 alone costs 37,
    # both 39 -> site 1 alone.
    cost = UNIT_COST.copy()
    cost[0, 1] = math.inf
    result = solved(FacilityData(FIXED, CAPACITY, DEMAND, cost))
    assert result.open_sites == (1,)
    assert result.objective == pytest.approx(37.0)


@pytest.mark.parametrize(
    ("capacity", "single_source", "reason"),
    [
        # not enough capacity in total
        ([4.0, 4.0], False, "total capacity 8 is smaller than total demand 10"),
        # enough in total, but no single site can take a whole customer
        ([4.0, 6.0], True, "larger than the capacity of every site"),
    ],
)
def test_obvious_infeasibility_is_reported_in_words(
    capacity: list[float], single_source: bool, reason: str
) -> None:
    demand = np.array([7.0, 3.0]) if single_source else DEMAND
    result = solve_facility_location(
        FIXED, np.array(capacity), demand, UNIT_COST, single_source=single_source
    )
    assert result.status is Status.INFEASIBLE
    assert reason in result.message
    assert "infeasible" in result.summary()


@pytest.mark.parametrize(
    ("kwargs", "column"),
    [
        ({"capacity": np.array([1.0, 2.0, 3.0])}, "capacity"),  # one capacity too many
        ({"demand": np.array([5.0, -1.0])}, "demand"),  # negative demand
        ({"unit_cost": np.ones((2, 3))}, "unit_cost"),  # wrong shape
        ({"unit_cost": np.array([[1.0, np.nan], [1.0, 1.0]])}, "unit_cost"),  # missing cost
    ],
)
def test_bad_input_raises_input_error(kwargs: dict[str, np.ndarray], column: str) -> None:
    args = {"fixed_cost": FIXED, "capacity": CAPACITY, "demand": DEMAND, "unit_cost": UNIT_COST}
    args.update(kwargs)
    with pytest.raises(InputError, match=column):
        solve_facility_location(**args)


def test_checker_finds_a_bad_plan() -> None:
    data = FacilityData(FIXED, CAPACITY, DEMAND, UNIT_COST, single_source=True)
    flows = pd.DataFrame(
        {"site": [0, 1, 1], "customer": [0, 0, 1], "quantity": [3.0, 2.0, 4.0], "cost": 0.0}
    )
    bad = FacilityResult(Status.OPTIMAL, 1.0, 1.0, 0.0, 0.0, open_sites=(0,), flows=flows)
    problems = "\n".join(check_facility_location(data, bad).problems)
    assert "customer 1 receives 4" in problems
    assert "site 1 ships but is not open" in problems
    assert "customer 0 is served by 2 sites" in problems
    assert "differs from the reported" in problems


def test_p_median_on_a_line() -> None:
    # Points at 0, 1, 10, 11, demand 1, capacity 2, two medians: one median per pair, cost 1+1.
    x = np.array([0.0, 1.0, 10.0, 11.0])
    distance = np.abs(x[:, None] - x[None, :])
    result = solve_p_median_capacitated(distance, np.ones(4), 2.0, 2)
    assert check_facility_location(p_median_data(distance, np.ones(4), 2.0, 2), result).ok
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(2.0)
    assignment = result.assignment()
    assert assignment[0] == assignment[1] != assignment[2] == assignment[3]
    assert len(result.open_sites) == 2


def test_p_median_capacity_moves_a_point() -> None:
    # Points at 0, 1, 2 and 10, capacity 2, two medians. Without the capacity the median at 1
    # would take 0, 1, 2 (cost 2); with it, one of the three goes to the median at 10. Best:
    # medians 1 (serving 1 and 0 or 2) and 10 (serving 10 and 2, distance 8): cost 1 + 8 = 9.
    x = np.array([0.0, 1.0, 2.0, 10.0])
    distance = np.abs(x[:, None] - x[None, :])
    result = solve_p_median_capacitated(distance, np.ones(4), 2.0, 2)
    assert check_facility_location(p_median_data(distance, np.ones(4), 2.0, 2), result).ok
    assert result.objective == pytest.approx(9.0)
    assert result.assignment().value_counts().max() == 2


def _brute_force(data: FacilityData) -> float:
    """Enumerate every set of open sites and solve the transportation LP with scipy."""
    n_i, n_j = data.unit_cost.shape
    best = math.inf
    for mask in itertools.product([0, 1], repeat=n_i):
        sites = [i for i in range(n_i) if mask[i]]
        if not sites or data.capacity[sites].sum() < data.demand.sum():
            continue
        cost = data.unit_cost[sites].ravel()
        a_ub = np.kron(np.eye(len(sites)), np.ones(n_j))  # site capacity rows
        a_eq = np.kron(np.ones(len(sites)), np.eye(n_j))  # demand rows
        lp = linprog(cost, A_ub=a_ub, b_ub=data.capacity[sites], A_eq=a_eq, b_eq=data.demand)
        if lp.status == 0:
            best = min(best, lp.fun + data.fixed_cost[sites].sum())
    return best


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_on_random_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = FacilityData(
        fixed_cost=rng.integers(10, 60, 4).astype(float),
        capacity=rng.integers(10, 30, 4).astype(float),
        demand=rng.integers(1, 10, 6).astype(float),
        unit_cost=rng.integers(1, 10, (4, 6)).astype(float),
    )
    result = solved(data)
    assert result.objective == pytest.approx(_brute_force(data), rel=1e-7)


CFLP_DIR = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "cflp"


@pytest.mark.shared
@pytest.mark.skipif(not (CFLP_DIR / "cap41.txt").exists(), reason="OR-Library files not here")
def test_cap41_reaches_the_published_optimum() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from facility import cap_data, read_cap  # type: ignore[import-not-found]

    data = cap_data(read_cap(CFLP_DIR / "cap41.txt"))
    result = solved(data, time_limit=60.0, gap=1e-7)
    assert result.objective == pytest.approx(1040444.375, rel=1e-6)  # capopt.txt


def test_orlibrary_readers_on_a_tiny_file(tmp_path: Path) -> None:
    # Two sites with the symbolic "capacity" of capa/b/c, two customers whose costs are for
    # their whole demand (10 and 20): per unit that is cost / demand.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from facility import cap_data, read_cap, read_capopt  # type: ignore[import-not-found]

    (tmp_path / "capz.txt").write_text(
        "2 2\n capacity 100. \n capacity 50.\n 10\n 30. 60.\n 20\n 80. 40.\n"
    )
    (tmp_path / "capopt.txt").write_text(
        "Data file   Optimal solution value\ncap41       1040444.375\n"
        "capz        123.5 (capacity 30)\n            99.25 (capacity 40)\n"
    )
    data = cap_data(read_cap(tmp_path / "capz.txt"), 30.0)
    assert data.capacity.tolist() == [30.0, 30.0]
    assert data.unit_cost.tolist() == [[3.0, 4.0], [6.0, 2.0]]
    assert read_capopt(tmp_path / "capopt.txt") == {
        "cap41": 1040444.375,
        "capz-30": 123.5,
        "capz-40": 99.25,
    }
    # Total demand 30 fits one site. Site 0 alone: 100 + 10·3 + 20·4 = 210; site 1 alone:
    # 50 + 10·6 + 20·2 = 150; both: 150 + 30 + 40 = 220.
    assert solved(data).objective == pytest.approx(150.0)
