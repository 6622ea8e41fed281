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
    assert qp.solve() == (10.0, pytest.approx([120.0, 93.3333, 93.3333, 93.3333], abs=1e-3))
    # a level a hair above 0 (HiGHS' QP once ignored a column fixed there: "Solve error")
    qp.hold(0.01)
    assert qp.solve()[1] == pytest.approx([110.01, 96.6633, 96.6633, 96.6633], abs=1e-3)
    qp.add({frozenset([1]): 95.0})  # a row added while a level is held is held there too
    assert qp.solve()[1] == pytest.approx([110.01, 95.01, 97.49, 97.49], abs=1e-3)


class _CyclingQP:
    """A closest-point QP that stops (as HiGHS' active set did, cycling) at one level."""

    def __init__(self, model: LeastCoreLP, stalls_at: float) -> None:
        self.model, self.stalls_at, self.levels = model, stalls_at, []

    def hold(self, level: float) -> None:
        self.levels.append(level)
        self.model.hold(level)

    def solve(self) -> tuple[float, np.ndarray]:
        if self.levels[-1] == self.stalls_at:
            raise RuntimeError("least-core LP: Time limit reached")
        return self.model.solve()

    def add(self, rows: dict[frozenset[int], float]) -> int:
        return self.model.add(rows)


def test_a_stalled_closest_point_qp_is_solved_again_a_hair_higher() -> None:
    from optimizer.models.procurement._member_rounds import _Search

    n, total, tol = 4, 400.0, 0.01
    reference = np.array([130.0, 90.0, 90.0, 90.0])
    rows = {frozenset([0]): 110.0, frozenset([1, 2]): 200.0, frozenset([0, 3]): 220.0}
    lp = LeastCoreLP(n, total, scale=100.0)
    lp.add(rows)
    search = _Search(None, lp, None, reference, tol, 1.0, 0.0, 0.0)  # type: ignore[arg-type]
    model = LeastCoreLP(n, total, scale=100.0, reference=reference)
    model.add({frozenset([0]): 110.0})  # the other rows are taken in as the point breaks them
    qp = _CyclingQP(model, stalls_at=0.0)
    y = search._lazy_closest(qp, 0.0)  # type: ignore[arg-type]
    assert qp.levels == [0.0, tol / 10]
    assert y is not None
    assert y == pytest.approx([110.001, 96.6663, 96.6663, 96.6663], abs=1e-3)
    assert lp.gains(y).max() <= tol / 10 + 1e-9
    # stalled at both levels: no point (the caller then takes the LP's own)
    qp = _CyclingQP(LeastCoreLP(n, total, scale=100.0, reference=reference), stalls_at=0.0)
    qp.solve = lambda: (_ for _ in ()).throw(RuntimeError("stalled"))  # type: ignore[method-assign]
    assert search._lazy_closest(qp, 0.0) is None  # type: ignore[arg-type]
