"""Offers and products that cannot be pooled say why, in the words of the data (issue 12 §5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.models.procurement import ProcurementData, check_procurement, solve_procurement
from optimizer.models.procurement.unused import unused_offers
from optimizer.results import Status


def fertiliser(*, min_order: float = 50_000.0, distance_km: float = 10.0) -> ProcurementData:
    """Two members need 4,000 units of fertiliser in all; S3's only offer starts at 50,000;
    S1's offer has no minimum (its road may be cut)."""
    return ProcurementData(
        demand=[[1500.0], [2500.0]],
        local_price=[[12.0], [12.0]],
        offered=[[True], [True]],
        thresholds=[[[0.0]], [[0.0]]],
        unit_price=[[[10.0]], [[8.0]]],
        incremental=[[False], [False]],
        min_order=[[0.0], [min_order]],
        capacity=[[1e6], [1e6]],
        weight_kg=[1.0],
        drop_point=[0, 0],
        distance_km=[[distance_km], [20.0]],
        payload_kg=[1e5, 1e5],
        cost_per_trip=[50.0, 50.0],
        cost_per_km=[1.0, 1.0],
        member_ids=["A", "B"],
        product_ids=["fertiliser"],
        supplier_ids=["S1", "S3"],
    )


def solved_and_checked(data: ProcurementData) -> str:
    result = solve_procurement(data)
    assert result.status is Status.OPTIMAL
    check = check_procurement(data, result)
    assert check.ok, check.summary()
    assert check.cost == pytest.approx(result.objective, rel=1e-6)
    return result.summary()


def test_an_offer_whose_minimum_is_above_the_pooled_demand_is_named() -> None:
    data = fertiliser()
    why = "offer of S3 for fertiliser: min_order 50,000 > pooled demand 4,000"
    assert unused_offers(data) == (why,)
    assert f"not used: {why}" in solved_and_checked(data)
    # one member alone needs even less
    assert unused_offers(data, np.array([True, False]))[0].endswith("pooled demand 1,500")


def test_a_product_with_no_usable_offer_is_bought_locally_and_says_so() -> None:
    data = fertiliser(distance_km=math.inf)
    lines = unused_offers(data)
    assert lines == (
        "offer of S1 for fertiliser: no road from the supplier to any drop point of the members",
        "offer of S3 for fertiliser: min_order 50,000 > pooled demand 4,000",
        "product fertiliser: no usable offer, so the pooled demand of 4,000 is bought at the "
        "members' local dealers",
    )
    text = solved_and_checked(data)
    assert all(f"not used: {line}" in text for line in lines)


def test_usable_offers_say_nothing() -> None:
    data = fertiliser(min_order=1000.0)
    assert unused_offers(data) == ()
    assert "not used" not in solved_and_checked(data)
