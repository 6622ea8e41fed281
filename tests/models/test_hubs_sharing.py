"""The hubs game on a network solved by hand: value of sharing, splits, stability."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.models.hubs import check_hubs, hubs_game, split_hubs
from optimizer.models.hubs.scenario import HubScenario, solve_coalition
from optimizer.models.sharing import check_core
from optimizer.results import Status
from tests.models.test_hubs import network


def two_cooperatives() -> HubScenario:
    """Cooperatives X and Y, one member of 10 units each; the hub is shared (nobody owns it),
    so only the two together may use it. Each alone ships direct: 10 x 7.5 = 75 net; together
    they fill one truck through the hub: 200 - 2 - 20 - 5 = 173 (tests/models/test_hubs.py)."""
    return HubScenario(
        data=network([10.0, 10.0]),
        member_ids=("m1", "m2"),
        hub_ids=("H",),
        buyer_ids=("B",),
        product_ids=("milk",),
        member_coop=("X", "Y"),
        hub_owner=("",),
        cooperatives=("X", "Y"),
        upper_value=np.array([100.0, 100.0]),  # 10 units at 10, no transport
    )


def test_sharing_a_hub_is_worth_what_the_pair_gains_and_splits_evenly() -> None:
    hs = two_cooperatives()
    data, grand, _, _ = solve_coalition(hs, hs.cooperatives, time_limit=30, gap=1e-9)
    assert grand.status is Status.OPTIMAL and check_hubs(data, grand).ok
    assert grand.objective == pytest.approx(173)
    sharing = split_hubs(hs, grand, time_limit=30, gap=1e-9)
    # C(X) = C(Y) = 100 - 75 = 25, C(XY) = 200 - 173 = 27: sharing is worth 50 - 27 = 23,
    # and by symmetry every rule gives each 11.5 of it (each pays 13.5 instead of 25)
    assert sharing.value == pytest.approx(23)
    for rule in ("shapley", "least_core", "proportional"):
        assert sharing.split[f"gain_{rule}"].tolist() == pytest.approx([11.5, 11.5])
        assert sharing.split[f"net_value_{rule}"].tolist() == pytest.approx([86.5, 86.5])
    assert sharing.split["net_value_alone"].tolist() == pytest.approx([75, 75])
    assert sharing.stability["stable"].all() and sharing.chosen == "shapley"
    assert sharing.statuses == (Status.OPTIMAL,) * 3  # the pair, then X and Y alone
    assert "value of sharing: 23.00 EUR a week" in sharing.summary("week")
    assert "split (shapley): X +11.50 EUR; Y +11.50 EUR" in sharing.summary()


def test_a_cooperative_paying_too_much_is_named_in_the_verdict() -> None:
    # C(X) = C(Y) = 25, C(XY) = 27 (above): X charged 26 of the 27 would save 1 alone
    hs = two_cooperatives()
    _, grand, _, _ = solve_coalition(hs, hs.cooperatives, time_limit=30, gap=1e-9)
    names = {"X": "Milk cooperative Ost", "Y": "Bauernverbund West"}
    game = hubs_game(hs, grand, time_limit=30, gap=1e-9, labels=names)
    check = check_core(game, [26.0, 1.0])
    assert not check.stable and check.coalition == ("X",) and check.gain == pytest.approx(1)
    assert check.message == (
        "cooperative Milk cooperative Ost (X) would save 1 EUR by running their collection "
        "alone under this split"
    )
