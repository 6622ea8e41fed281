r"""Phase one of the member least core: every hub's worst groups bounded together.

Why: under a split found one group at a time, the group that gains most mixes members of
every hub, and its gain is close to the sum of what each hub's worst group gains (measured on
the default scenario: 1,012 EUR against 381 + 69 + 254 + 189 + 225 + 63 + 59 by hub). The
least-core LP lets every row gain up to its one ``eps``, so each hub's worst group sits at
``eps`` and their union gains several times that; the rows that would forbid it are unions
across hubs, too many to meet one by one.

So phase one gives each hub ``d`` its own bound ``theta[d] >= 0`` and minimises their sum
(an LP over the payments ``x`` and ``theta``, one HiGHS model kept warm): a row for the
coalition ``S`` reads ``x(S) - c(S) <= sum of theta[d] over the hubs d with a member outside
S``. Each round solves the LP and, for each hub ``d``, the core-check MILP with every member
of the other hubs held in the coalition (small: only hub ``d``'s members switch; it finds the
groups of hub ``d`` whose leaving gains more than ``theta[d]``); every :data:`FULL_EVERY`
rounds, or when no hub has a group left, the full core-check MILP at ``x`` (cut off at
``sum theta``) bounds every group's gain: that bound, not the phase's LP, is what the split
is worth. Phase one ends when the hubs have no group left and the full MILP proves the sum,
or when its share of the time is up; the rows it found, rows leaving out one group of every
hub at once (:func:`coupled_rows`, which lift the least-core LP's bound to about the sum of
the hub bounds) and its best bounded split start phase two
(:func:`~optimizer.models.procurement._member_rounds.least_core_rounds`), which closes the
least-core bounds themselves.

Phase one runs only with at least two drop points holding two members or more on average,
and more than :data:`HUB_PHASE_FROM` members (below, phase two alone is fast).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from optimizer.models.procurement._member_lp import QP_LIMITS_S, run_warm, sparse_row
from optimizer.models.procurement._member_parts import in_parallel
from optimizer.models.procurement._member_plans import Patterns, removal_rows
from optimizer.models.procurement.data import ProcurementData
from optimizer.results import Status

__all__ = ["HUB_PHASE_FROM", "HubLP", "HubPhase", "closest_point", "hub_phase"]

HUB_PHASE_FROM = 60  # members above which phase one runs (below, phase two alone is quick)
HUB_SHARE = 0.95  # share of the search's time phase one may take (it ends early when done)
FULL_EVERY = 1000  # rounds after which the full MILP bounds the split even when hubs found groups
LAZY_ROUNDS = 20  # QP solves per closest point at most (the LP's rows added as broken)
LAZY_ADD = 200  # rows added to the QP per solve at most, those broken most
# seconds kept at least for the last full MILP (with 3, north Bayreuth's 97-member part at
# tolerance 1e-6 stopped it at 3.45 s with a bound of 64.36 EUR; given 6 it proved 3.51)
RESERVE_S = 6.0
COUPLED_PATTERNS = 8  # plans pricing the coupled rows: the first met (the plan shown first)
COUPLINGS = 60  # random layouts of the hubs' certificate rows (each gives up to ~150 rows)


@dataclass
class HubPhase:
    """What phase one found: rows (coalition → plan cost), its best split bounded by a full
    MILP (``None`` if none was), rounds, MILPs solved, seconds, and unproven statuses."""

    rows: dict[frozenset[int], float] = field(default_factory=dict)
    best: tuple[np.ndarray, Any] | None = None  # (split, Separation)
    rounds: int = 0
    separations: int = 0
    spent_s: float = 0.0
    unproven: list[str] = field(default_factory=list)
    longest_s: float = 0.0  # seconds of the longest full MILP


def wanted(data: ProcurementData) -> bool:
    """Phase one pays off: many members, at two or more drop points shared by several."""
    n = data.n_members
    used = len(np.unique(data.drop_point))
    return n > HUB_PHASE_FROM and used >= 2 and n >= 2 * used


def hub_phase(
    data: ProcurementData,
    *,
    total: float,
    seeds: dict[frozenset[int], float],
    patterns: Patterns,
    time_limit: float,
    gap: float,
    tol: float,
    deadline: float,
    separate: Any,
    reference: np.ndarray,
) -> HubPhase:
    """Run phase one until the hubs have no group left or ``deadline`` (perf_counter) passes.

    ``reference``: the proportional bills, to which each round's point is closest.
    ``separate`` is :func:`~optimizer.models.procurement._member_rounds.separate` (passed in,
    so that the two modules do not import each other).
    """
    clock = time.perf_counter()
    n = data.n_members
    hub = np.asarray(data.drop_point, np.int64)
    scale = max(1.0, abs(total) / max(n, 1))
    lp = HubLP(hub, total, scale)
    qp = HubLP(hub, total, scale, reference)
    phase = HubPhase(rows=dict(seeds) | removal_rows(data, patterns))
    lp.add(phase.rows)
    qp.add(dict(seeds))  # the others as the QP's point breaks them
    solve = _Solves(data, patterns, separate, time_limit, gap, tol, deadline)
    since_full, began, longest = 0, time.perf_counter(), 0.0
    while time.perf_counter() + longest < deadline - max(RESERVE_S, 1.5 * solve.longest):
        longest = max(longest, time.perf_counter() - began)  # the longest round so far
        began = time.perf_counter()
        phase.rounds += 1
        since_full += 1
        x, theta = closest_point(lp, qp, tol)
        new: dict[frozenset[int], float] = {}
        hubs = np.unique(hub)  # groups of hub d, the other hubs' members held in
        seps = in_parallel(partial(_hub_milp, solve, x, theta, hub, tol), [hub != d for d in hubs])
        for d, sep in zip(hubs, seps, strict=True):
            phase.separations += 1  # a row generator: its proof does not matter
            new |= {s: c for s, c in sep.found.items() if float(x[list(s)].sum()) - c > theta[d]}
        found_new = lp.add(new) > 0
        qp.add(new)
        _merge(phase.rows, new)
        if found_new and since_full < FULL_EVERY:
            continue
        since_full = 0
        sep = _bound(phase, solve, x, float(theta.sum()) + tol)
        _merge(phase.rows, sep.found)
        qp.add(sep.found)
        if not lp.add(sep.found) and not found_new:
            break  # no hub has a group left and the full MILP proved the sum
    else:
        if phase.rounds:  # the last rows taken in, the split bounded with the time kept
            x, theta = closest_point(lp, qp, tol)
            level = float(theta.sum()) + tol
            if phase.best is None or phase.best[1].gain_bound > level:  # else no better
                _merge(phase.rows, _bound(phase, solve, x, level).found)
    lp.solve()
    _merge(phase.rows, coupled_rows(lp, patterns))
    phase.spent_s = time.perf_counter() - clock
    phase.longest_s = solve.longest
    return phase


def coupled_rows(lp: HubLP, patterns: Patterns) -> dict[frozenset[int], float]:
    """Rows leaving out one group of every hub at once, from the LP's certificate.

    The LP's optimum is certified by weights on its rows; those leaving out members of one
    hub ``d`` only weigh at most 1 together. Laid out on ``[0, 1)`` hub by hub (in random
    orders, the rest of the interval leaving hub ``d`` whole) and cut where any hub's row
    changes, each piece is a coalition: everyone but the groups its hubs' rows leave out.
    With these rows (priced by the plans) the least-core LP's bound rises to about the sum
    of the hub bounds when the gains add up by hub (default scenario: 80.28 → 118.23 EUR,
    the sum of the bounds being 118.23), where rows found one group at a time leave it.
    """
    hub, n = lp.hub, lp.n
    per: dict[int, list[tuple[float, np.ndarray]]] = {}
    for coalition, weight in zip(lp.keys, lp.weights(), strict=True):
        out = np.ones(n, bool)
        out[list(coalition)] = False
        hubs = np.unique(hub[out])
        if weight > 1e-9 and len(hubs) == 1:
            per.setdefault(int(hubs[0]), []).append((float(weight), out))
    if not per:
        return {}
    rng = np.random.default_rng(0)
    masks = []
    for _ in range(COUPLINGS):
        layout = []
        for rows in per.values():
            order = rng.permutation(len(rows))
            w = np.array([rows[i][0] for i in order])
            w = w / max(1.0, w.sum())
            layout.append((np.cumsum(w), [rows[i][1] for i in order]))
        cuts = np.unique(np.concatenate([[0.0, 1.0]] + [ends for ends, _ in layout]))
        for u in (cuts[:-1] + cuts[1:]) / 2:
            kept = np.ones(n, bool)
            for ends, outs in layout:
                k = int(np.searchsorted(ends, u, side="right"))
                if k < len(outs):
                    kept &= ~outs[k]
            masks.append(kept)
    masks_array = np.array([m for m in masks if 0 < m.sum() < n])
    if not len(masks_array):
        return {}
    costs = patterns.costs(masks_array, first=COUPLED_PATTERNS)
    return {
        frozenset(np.flatnonzero(m).tolist()): float(c)
        for m, c in zip(masks_array, costs, strict=True)
        if math.isfinite(c)
    }


def closest_point(lp: HubLP, qp: HubLP, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """The point closest to the reference at the LP's least sum of bounds (a hair above);
    the LP's own point when the QP fails. Measured on the default scenario, the hubs' worst
    groups gained 185 EUR in all after 30 s from the closest point, 244 from the LP's."""
    x, theta = lp.solve()
    for above in (tol / 10, tol / 5):  # a QP whose active set cycles is solved a hair higher
        qp.hold(float(theta.sum()) + above)
        try:
            found = _lazy(lp, qp, tol)
        except RuntimeError:  # HiGHS' QP stopped (its active set cycled, or its time ran out)
            continue
        if found is not None:
            return found
    return x, theta


def _lazy(lp: HubLP, qp: HubLP, tol: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The QP's point, the LP's rows it breaks added to it until it breaks none (the QP
    starts with few rows: with every "all but three" row at once, 0.32 s a solve)."""
    for _ in range(LAZY_ROUNDS):
        y, theta = qp.solve()
        excess = lp.excess(y, theta)
        over = np.flatnonzero(excess > tol / 10)
        if not len(over):
            return y, theta
        rows: dict[frozenset[int], float] = {}
        for r in over[np.argsort(-excess[over])][:LAZY_ADD]:
            rows |= lp.row(int(r))
        qp.add(rows)
    return None


def _merge(rows: dict[frozenset[int], float], new: dict[frozenset[int], float]) -> None:
    """Take ``new`` into ``rows``, each coalition at the least cost known for it."""
    for coalition, cost in new.items():
        rows[coalition] = min(cost, rows.get(coalition, math.inf))


def _bound(phase: HubPhase, solve: _Solves, x: np.ndarray, above: float) -> Any:
    """The full MILP at ``x`` (cut off at ``above``); the split kept when it is the best."""
    sep = solve(x, above=above, full=True)
    phase.separations += 1
    if sep.status is not Status.OPTIMAL:
        phase.unproven.append(sep.status.value)
    better = phase.best is None or sep.gain_bound < phase.best[1].gain_bound
    if sep.status.has_solution and better:
        phase.best = (x.copy(), sep)
    return sep


@dataclass
class _Solves:
    """The separation MILP with the phase's time limits; the longest full one, in seconds."""

    data: ProcurementData
    patterns: Patterns
    separate: Any
    time_limit: float
    gap: float
    tol: float
    deadline: float
    longest: float = 0.0

    def __call__(
        self, x: np.ndarray, *, above: float, fixed_in: np.ndarray | None = None, full: bool = False
    ) -> Any:
        clock = time.perf_counter()  # the hubs' MILPs leave the full one its seconds
        left = max(self.deadline - clock - (0.0 if full else RESERVE_S), 1.0 if full else 0.5)
        sep = self.separate(
            self.data,
            x,
            self.patterns,
            time_limit=min(self.time_limit, left),
            gap=self.gap,
            above=above,
            fixed_in=fixed_in,
        )
        if full:
            self.longest = max(self.longest, time.perf_counter() - clock)
        return sep


def _hub_milp(
    solve: _Solves, x: np.ndarray, theta: np.ndarray, hub: np.ndarray, tol: float, held: np.ndarray
) -> Any:
    """The groups of one hub gaining more than its bound, the other hubs' members ``held``."""
    return solve(x, above=float(theta[hub[~held][0]]) + tol, fixed_in=held)


class HubLP:
    """``min sum theta`` over ``x`` (free) and ``theta >= 0`` (one per drop point), rows
    ``x(S) - sum_{d in H(S)} theta[d] <= c(S)``, ``H(S)`` the drop points of the members
    outside ``S``, and ``sum x = total``; one HiGHS model kept warm, values scaled.

    With a ``reference``: the point closest to it (least squares) with ``sum theta`` held at
    most at a level (:meth:`hold`), the same rows (a QP).
    """

    def __init__(
        self,
        hub: np.ndarray,
        total: float,
        scale: float,
        reference: np.ndarray | None = None,
        *,
        touched: bool = False,
    ) -> None:
        from optimizer.solver import _quiet_highs

        self.hub = hub
        self.touched = touched  # a row's bounds: its groups with members inside (else outside)
        self.n = len(hub)
        self.d = int(hub.max()) + 1 if len(hub) else 0
        self.scale = scale
        self.total = total
        self.known: dict[frozenset[int], float] = {}
        self.keys: list[frozenset[int]] = []  # each row's coalition, in the model's order
        self._rows: list[tuple[np.ndarray, np.ndarray, float]] = []  # inside, hubs out, cost
        self._dense: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        lp = _quiet_highs()
        lp.setOptionValue("solver", "simplex")
        import highspy

        self._inf = highspy.kHighsInf
        n, d = self.n, self.d
        lower = np.r_[np.full(n, -self._inf), np.zeros(d)]
        lp.addVars(n + d, lower, np.full(n + d, self._inf))
        lp.changeColsCost(d, np.arange(n, n + d, dtype=np.int32), np.ones(d))
        index = np.arange(n, dtype=np.int32)
        lp.addRow(total / scale, total / scale, n, index, np.ones(n))
        self.reference = reference
        if reference is not None:
            cost = np.r_[-2.0 * reference / scale, np.zeros(d)]
            lp.changeColsCost(n + d, np.arange(n + d, dtype=np.int32), cost)
            start = np.r_[np.arange(n), np.full(d + 1, n)].astype(np.int32)
            lp.passHessian(n + d, n, 1, start, index, np.full(n, 2.0))
            lp.addRow(-self._inf, self._inf, d, np.arange(n, n + d, dtype=np.int32), np.ones(d))
        self._lp = lp

    def weights(self) -> np.ndarray:
        """Each coalition row's dual weight at the last solve (``>= 0``; the LP only)."""
        return -np.asarray(self._lp.getSolution().row_dual, float)[1 : 1 + len(self.keys)]

    def hold(self, level: float) -> None:
        """The closest-point model: ``sum theta <= level`` (row 1)."""
        self._lp.changeRowBounds(1, -self._inf, level / self.scale)

    def add(self, rows: dict[frozenset[int], float]) -> int:
        """Add the rows not held yet (a known row whose cost fell is added again): how many."""
        starts: list[int] = []
        index: list[np.ndarray] = []
        values: list[np.ndarray] = []
        upper: list[float] = []
        nonzeros = 0
        for coalition, cost in rows.items():
            if not math.isfinite(cost) or not 0 < len(coalition) < self.n:
                continue
            if self.known.get(coalition, math.inf) <= cost + 1e-9 * max(1.0, abs(cost)):
                continue
            self.known[coalition] = cost
            self.keys.append(coalition)
            inside = np.zeros(self.n, bool)
            inside[list(coalition)] = True
            hubs = np.unique(self.hub[inside] if self.touched else self.hub[~inside])
            out = np.zeros(self.d, bool)
            out[hubs] = True
            self._rows.append((inside, out, cost))
            self._dense = None
            cols, sign, offset = sparse_row(inside, self.total)
            starts.append(nonzeros)
            index.append(np.r_[cols, self.n + hubs].astype(np.int32))
            values.append(np.r_[np.full(len(cols), sign), -np.ones(len(hubs))])
            nonzeros += len(cols) + len(hubs)
            upper.append((cost - offset) / self.scale)
        if index:
            self._lp.addRows(
                len(index),
                np.full(len(index), -self._inf),
                np.asarray(upper),
                nonzeros,
                np.asarray(starts, np.int32),
                np.concatenate(index),
                np.concatenate(values),
            )
        return len(index)

    def excess(self, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Each row's ``x(S) - c(S) - sum_{d in H(S)} theta[d]`` (``> 0``: broken)."""
        if self._dense is None:
            inside, out, cost = zip(*self._rows, strict=True) if self._rows else ((), (), ())
            self._dense = (
                np.array(inside, float).reshape(-1, self.n),
                np.array(out, float).reshape(-1, self.d),
                np.array(cost, float),
            )
        inside_m, out_m, cost_m = self._dense
        # einsum, not matmul: a threaded BLAS is many times slower on a loaded machine
        paid = np.einsum("rm,m->r", inside_m, np.asarray(x, float))
        return paid - cost_m - np.einsum("rd,d->r", out_m, np.asarray(theta, float))

    def row(self, r: int) -> dict[frozenset[int], float]:
        """Row ``r`` as ``{coalition: cost}``."""
        return {self.keys[r]: self._rows[r][2]}

    def value(self) -> float:
        """The least sum of the bounds (the LP solved again from its last basis)."""
        return float(self.solve()[1].sum())

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        """The payments ``x`` and the bounds ``theta`` (the last basis is kept)."""
        limits = QP_LIMITS_S if self.reference is not None else None
        col = run_warm(self._lp, "hub least-core LP", limits) * self.scale
        return col[: self.n], col[self.n :]
