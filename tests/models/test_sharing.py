"""Cost sharing: the generic splits and core check on hand-checked games."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.models.sharing import (
    CoalitionGame,
    check_core,
    least_core_split,
    proportional_split,
    shapley_split,
)


def airport(costs: list[float]) -> CoalitionGame:
    """The airport game: a coalition pays for the longest runway any of its players needs."""
    return CoalitionGame([f"P{i}" for i in range(len(costs))], lambda s: max(costs[i] for i in s))


def test_shapley_of_the_airport_game() -> None:
    # Runways 1, 2, 3: the first unit is shared by 3, the second by 2, the third by 1:
    # (1/3, 1/3 + 1/2, 1/3 + 1/2 + 1).
    split = shapley_split(airport([1.0, 2.0, 3.0]))
    assert split.shares == pytest.approx([1 / 3, 5 / 6, 11 / 6])
    assert split.shares.sum() == pytest.approx(split.total)


def test_sampled_shapley_is_close_and_efficient() -> None:
    split = shapley_split(airport([1.0, 2.0, 3.0, 4.0]), exact_limit=0, samples=400, seed=1)
    exact = shapley_split(airport([1.0, 2.0, 3.0, 4.0])).shares
    assert split.std_error is not None
    assert np.all(np.abs(split.shares - exact) <= 4 * split.std_error + 1e-9)
    assert split.shares.sum() == pytest.approx(4.0)


def symmetric_game() -> CoalitionGame:
    """C(i) = 100, C(pair) = 150, C(all) = 210."""
    return CoalitionGame(["A", "B", "C"], lambda s: {1: 100.0, 2: 150.0, 3: 210.0}[len(s)])


def test_least_core_of_a_symmetric_game() -> None:
    # Summing the three pair constraints: 2 x 210 <= 3 x 150 + 3 eps, so eps >= -10, met by
    # x = (70, 70, 70) (then singletons have 30 to spare).
    split = least_core_split(symmetric_game())
    assert split.epsilon == pytest.approx(-10)
    assert split.shares == pytest.approx([70, 70, 70])
    assert check_core(symmetric_game(), split.shares).stable


def test_core_check_by_enumeration_names_the_coalition() -> None:
    # (100, 100, 10): A and B pay 200 together but would pay 150 alone.
    check = check_core(symmetric_game(), [100.0, 100.0, 10.0])
    assert not check.stable
    assert check.coalition == ("A", "B") and check.gain == pytest.approx(50)
    assert check.message == "members A, B would save 50 EUR by ordering alone under this split"


def test_core_check_names_the_group_by_name_with_the_id_beside() -> None:
    # the same split as above; A has a name, B is named by its id, so B stays as it is
    game = symmetric_game()
    game.labels.update({"A": "Dairy farm Riepke 27", "B": "B"})
    check = check_core(game, [100.0, 100.0, 10.0])
    assert check.coalition == ("A", "B")  # the ids, for the tables and the app
    assert check.message == (
        "members Dairy farm Riepke 27 (A), B would save 50 EUR by ordering alone under this split"
    )


def test_a_long_group_is_shortened_in_words() -> None:
    # C(S) = |S|; everyone pays 2: the whole group of ten gains most (10), each gains 1.
    # Six names are shown, then "and 4 more".
    ids = [f"M{i:03d}" for i in range(10)]
    game = CoalitionGame(ids, len, labels={m: f"Farm {m[-1]}" for m in ids})
    check = check_core(game, [2.0] * 10)
    assert check.coalition == tuple(ids) and check.gain == pytest.approx(10)
    shown = ", ".join(f"Farm {i} (M00{i})" for i in range(6))
    assert check.message.startswith(f"members {shown} and 4 more would save 10 EUR")
    assert "M006" not in check.message


def test_proportional_split_takes_float_noise_below_zero_as_zero() -> None:
    # a hubs sweep sample: one cooperative leaves nothing on the table, computed as -3.5e-10
    alone = {0: 70_807.52, 1: -3.49245965e-10, 2: 314_175.04}
    game = CoalitionGame(
        ["A", "B", "C"],
        lambda s: alone[next(iter(s))] if len(s) == 1 else 384_900.58,
    )
    split = proportional_split(game)
    assert split.shares.sum() == pytest.approx(384_900.58)
    assert split.shares[1] == 0.0
    assert split.shares[0] / split.shares[2] == pytest.approx(70_807.52 / 314_175.04)


def test_proportional_split_refuses_a_real_negative_weight() -> None:
    game = CoalitionGame(["A", "B"], lambda s: 10.0 if len(s) == 1 else 15.0)
    with pytest.raises(ValueError, match="non-negative"):
        proportional_split(game, [5.0, -0.01])
