r"""The least-core LP kept in one HiGHS model, rows added as coalitions are found.

Columns: the members' payments ``x`` and ``eps``; rows: ``sum x = C(N)`` and, per
coalition ``S`` found, ``x(S) - eps <= c(S)``. The model is kept between rounds, so each
solve starts from the last basis (dual simplex over the added rows) instead of building the
LP anew; a row's cost only ever goes down (a cheaper plan found for ``S``).

Why ``c(S)`` may be any *upper* bound on the coalition's cost ``C(S)`` (the cost of a
feasible plan for ``S``) but never a lower one: the least-core LP is
``min eps`` s.t. ``x(S) <= C(S) + eps`` for every ``S``. With ``c(S) >= C(S)`` each row is
weaker, and rows left out are weaker still, so every point feasible for the true LP is
feasible here: the LP is a relaxation and its ``eps`` is a lower bound ``L <= eps*``. A
lower bound ``c(S) < C(S)`` would cut off splits the true LP allows and could push ``eps``
above ``eps*``: unsound. The upper side comes from elsewhere: a split ``x`` whose largest
gain ``max_S x(S) - C(S)`` is proven at most ``U`` by the core-check MILP is feasible for
the true LP with ``eps = U``, so ``L <= eps* <= U``.

Values are scaled by the largest reference share (HiGHS' tolerances are absolute).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optimizer.models.sharing import _closest as _closest_slsqp

__all__ = ["QP_LIMITS_S", "LeastCoreLP", "closest_few", "run_warm", "sparse_row"]

# seconds for the closest-point QP from its last basis, then from scratch (its solves took at
# most 0.12 s on 148 members; one in 92 on a 51-member game cycled from either start: the
# callers then hold its level a hair higher, where it was solved in 0.004 s)
QP_LIMITS_S = (0.5, 0.5)


class LeastCoreLP:
    """``min eps`` over the rows found so far, kept warm between solves."""

    def __init__(
        self, n: int, total: float, scale: float, reference: np.ndarray | None = None
    ) -> None:
        import highspy

        self.n = n
        self.total = total
        self.scale = scale
        self.reference = reference
        self.row_of: dict[frozenset[int], int] = {}
        self.coalitions: list[frozenset[int]] = []
        self._cost: list[float] = []
        self._offset: list[float] = []  # total for a row written over the complement, else 0
        self._masks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None  # (rows, n) 0/1, rebuilt when rows were added
        self._held = 0.0  # the closest-point model's eps, scaled (added to every row's bound)
        inf = highspy.kHighsInf
        self._inf = inf
        lp = _highs()
        lp.setOptionValue("solver", "simplex")
        lp.addVars(n + 1, np.full(n + 1, -inf), np.full(n + 1, inf))
        lp.changeColsCost(1, np.array([n], np.int32), np.array([1.0]))
        index = np.arange(n, dtype=np.int32)
        lp.addRow(total / scale, total / scale, n, index, np.ones(n))
        if reference is not None:  # the point closest to the reference, eps held fixed
            lp.changeColsCost(
                n + 1, np.arange(n + 1, dtype=np.int32), np.r_[-2.0 * reference / scale, 0.0]
            )
            diag = np.r_[np.full(n, 2.0), 0.0]
            lp.passHessian(n + 1, n, 1, np.r_[np.arange(n), n, n].astype(np.int32), index, diag[:n])
        self._lp = lp

    def __len__(self) -> int:
        return len(self.coalitions)

    def centre(self, reference: np.ndarray) -> None:
        """The closest-point model's point to stay near (its basis kept)."""
        self.reference = np.asarray(reference, float)
        cols = np.arange(self.n, dtype=np.int32)
        self._lp.changeColsCost(self.n, cols, -2.0 * self.reference / self.scale)

    def add(self, found: dict[frozenset[int], float]) -> int:
        """Add rows for new coalitions, lower the cost of known ones; how many changed."""
        changed = 0
        starts: list[int] = []
        nonzeros = 0
        index: list[np.ndarray] = []
        signs: list[np.ndarray] = []
        upper: list[float] = []
        for coalition, cost in found.items():
            if not np.isfinite(cost) or not 0 < len(coalition) < self.n:
                continue
            row = self.row_of.get(coalition)
            if row is not None:
                if cost < self._cost[row] - 1e-9 * max(1.0, abs(cost)):
                    self._cost[row] = cost
                    bound = (cost - self._offset[row]) / self.scale + self._held
                    self._lp.changeRowBounds(row + 1, -self._inf, bound)
                    changed += 1
                continue
            members = np.fromiter(sorted(coalition), np.int32, len(coalition))
            self.row_of[coalition] = len(self.coalitions)
            self.coalitions.append(coalition)
            self._cost.append(cost)
            mask = np.zeros(self.n, bool)
            mask[members] = True
            self._masks.append(mask)
            cols, sign, offset = sparse_row(mask, self.total)
            self._offset.append(offset)
            starts.append(nonzeros)
            nonzeros += len(cols) + 1
            index.append(np.r_[cols, self.n].astype(np.int32))
            signs.append(np.r_[np.full(len(cols), sign), -1.0])  # the eps column closes it
            upper.append((cost - offset) / self.scale + self._held)
            changed += 1
        if index:
            flat = np.concatenate(index)
            values = np.concatenate(signs)
            self._lp.addRows(
                len(index),
                np.full(len(index), -self._inf),
                np.asarray(upper),
                len(flat),
                np.asarray(starts, np.int32),
                flat,
                values,
            )
            self._matrix = None
        return changed

    @property
    def matrix(self) -> np.ndarray:
        """``(rows, n)`` 0/1 membership of each row's coalition (as floats)."""
        if self._matrix is None:
            masks = np.vstack(self._masks) if self._masks else np.zeros((0, self.n), bool)
            self._matrix = masks.astype(float)
        return self._matrix

    @property
    def costs(self) -> np.ndarray:
        return np.asarray(self._cost, float)

    def gains(self, x: np.ndarray) -> np.ndarray:
        """Each row's gain ``x(S) - c(S)`` under ``x``."""
        # einsum, not matmul: a threaded BLAS is many times slower on a loaded machine
        return np.einsum("rm,m->r", self.matrix, np.asarray(x, float)) - self.costs

    def hold(self, eps: float) -> None:
        """Fix ``eps`` (the closest-point model): every row's bound moves up by it, the
        ``eps`` column held at 0 (HiGHS' QP solver 1.16 ignored a column fixed at a small
        value, 1e-4 here after scaling, and then called its point infeasible)."""
        self._held = eps / self.scale
        zero = np.zeros(1)
        self._lp.changeColsBounds(1, np.array([self.n], np.int32), zero, zero)
        if self.coalitions:
            rows = np.arange(1, len(self.coalitions) + 1, dtype=np.int32)
            upper = (self.costs - np.asarray(self._offset)) / self.scale + self._held
            self._lp.changeRowsBounds(len(rows), rows, np.full(len(rows), -self._inf), upper)

    def solve(self) -> tuple[float, np.ndarray]:
        """``eps`` (the level held, for the closest-point model) and the point (the basis of
        the last solve is kept)."""
        limits = QP_LIMITS_S if self.reference is not None else None
        col = run_warm(self._lp, "least-core LP", limits) * self.scale
        return float(col[self.n]) + self._held * self.scale, col[: self.n]


def sparse_row(members: np.ndarray, total: float) -> tuple[np.ndarray, float, float]:
    """``x(S)`` written with the fewer columns: ``S``'s own (sign 1, offset 0) or, for a
    coalition of more than half the players, ``total - x(N - S)`` (sign -1, offset
    ``total``), which ``sum x = total`` makes the same row. Returns the columns, the sign
    and the offset to take from the row's bound."""
    mask = np.asarray(members, bool)
    if mask.sum() * 2 > len(mask):
        return np.flatnonzero(~mask), -1.0, total
    return np.flatnonzero(mask), 1.0, 0.0


def run_warm(lp: Any, name: str, limits: tuple[float, float] | None = None) -> np.ndarray:
    """Solve a kept HiGHS model from its last basis (once more from scratch if that fails);
    its columns' values. ``RuntimeError`` naming ``name`` when it is not solved to optimality.

    ``limits``: seconds for the warm run and for the run from scratch (HiGHS' time limit
    counts every run of a kept model, so each is set from the time run so far).
    """
    import highspy

    if limits is not None:
        lp.setOptionValue("time_limit", lp.getRunTime() + limits[0])
    lp.run()
    status = lp.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        lp.clearSolver()
        if limits is not None:
            lp.setOptionValue("time_limit", lp.getRunTime() + limits[1])
        lp.run()
        status = lp.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"{name}: {lp.modelStatusToString(status)}")
    return np.asarray(lp.getSolution().col_value, float)


def _highs() -> Any:
    from optimizer.solver import _quiet_highs

    return _quiet_highs()


def closest_few(
    rows: np.ndarray, upper: np.ndarray, total: float, ref: np.ndarray, start: np.ndarray
) -> np.ndarray | None:
    """SLSQP's closest point (few members), checked feasible."""
    x = _closest_slsqp(rows, upper, total, ref, start)
    slack = 1e-9 * max(1.0, abs(total))
    if x is None or np.any(rows @ x > upper + slack) or abs(x.sum() - total) > slack:
        return None
    return x
