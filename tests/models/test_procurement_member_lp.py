"""The least-core LP kept warm between solves equals the LP solved at once (scipy)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from optimizer.models.procurement._member_lp import LeastCoreLP


def least_core_lp(n: int, total: float, rows: dict[frozenset[int], float]) -> float:
    """``min eps`` s.t. ``x(S) <= cost(S) + eps`` for the rows given, ``sum x = total``."""
    a = np.array([[1.0 if i in s else 0.0 for i in range(n)] for s in rows])
    lp = linprog(
        c=np.r_[np.zeros(n), 1.0],
        A_ub=np.c_[a, -np.ones(len(a))],
        b_ub=np.array(list(rows.values())),
        A_eq=np.r_[np.ones(n), 0.0][None, :],
        b_eq=[total],
        bounds=[(None, None)] * (n + 1),
        method="highs",
    )
    assert lp.status == 0
    return float(lp.x[n])


def test_rows_added_in_batches_and_a_lowered_cost_give_the_lp_solved_at_once() -> None:
    rng = np.random.default_rng(7)
    n, total = 9, 900.0
    rows = {frozenset([i]): 120.0 for i in range(n)}
    model = LeastCoreLP(n, total, scale=100.0)
    assert model.add(rows) == n
    for _ in range(4):
        batch = {}
        for _ in range(15):
            s = frozenset(np.flatnonzero(rng.random(n) < 0.5).tolist())
            if 0 < len(s) < n:
                batch[s] = 100.0 * len(s) - float(rng.uniform(0, 80))
        model.add(batch)
        for s, c in batch.items():  # a row keeps the cheapest plan met for its coalition
            rows[s] = min(rows.get(s, np.inf), c)
        eps, x = model.solve()
        assert eps == pytest.approx(least_core_lp(n, total, rows), abs=1e-7)
        assert x.sum() == pytest.approx(total)
        # every row holds at the LP's point, and one binds
        assert model.gains(x).max() == pytest.approx(eps, abs=1e-7)
    # a cheaper plan found for a known coalition lowers its row (never raises it)
    known = next(s for s in rows if len(s) > 1)
    assert model.add({known: rows[known] - 50.0}) == 1
    assert model.add({known: rows[known]}) == 0
    rows[known] -= 50.0
    assert model.solve()[0] == pytest.approx(least_core_lp(n, total, rows), abs=1e-7)
    # the empty and the grand coalition are no rows
    assert model.add({frozenset(): 0.0, frozenset(range(n)): total}) == 0


def test_closest_point_model_holds_eps_and_moves_toward_the_reference() -> None:
    n, total = 4, 400.0
    reference = np.array([130.0, 90.0, 90.0, 90.0])
    rows = {frozenset([0]): 110.0, frozenset([1, 2]): 200.0, frozenset([0, 3]): 220.0}
    qp = LeastCoreLP(n, total, scale=100.0, reference=reference)
    qp.add(rows)
    qp.hold(0.0)
    _, y = qp.solve()
    # by hand: x0 <= 110 binds (the reference asks 130); the 20 go to the others evenly
    assert y == pytest.approx([110.0, 96.6667, 96.6667, 96.6667], abs=1e-3)
    qp.hold(10.0)  # rows 10 looser: x0 <= 120
    assert qp.solve()[1] == pytest.approx([120.0, 93.3333, 93.3333, 93.3333], abs=1e-3)
