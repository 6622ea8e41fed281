r"""Split a pooled cost among players, and check that no group would do better alone.

The splits work with any cost function ``C(S)`` over coalitions ``S`` of players (a
:class:`CoalitionGame`), so the procurement model (members or cooperatives buying together)
and the hubs model (cooperatives sharing hubs) use the same code:

* **proportional**: ``x_i = C(N) w_i / sum_j w_j`` with weights ``w`` (standalone cost
  ``C({i})`` by default, or volume);
* **Shapley**: ``x_i = sum_{S not containing i} |S|! (n-|S|-1)! / n! (C(S + i) - C(S))``,
  exact over all ``2^n`` coalitions up to ``exact_limit`` players, otherwise the mean of
  the marginal costs over random orders, with its standard error;
* **least core**: minimise ``eps`` subject to ``sum_{i in S} x_i <= C(S) + eps`` for every
  proper coalition ``S`` and ``sum_i x_i = C(N)``; then, with ``eps`` fixed, the point
  closest (least squares) to the proportional split. Coalition constraints are generated:
  solve the LP on the coalitions known so far, ask an *oracle* for the coalition with the
  largest gain
  ``sum_{i in S} x_i - C(S)``, add it, repeat until no gain exceeds ``eps``.

**Core check**: a split ``x`` is stable when no coalition gains by leaving:
``max_S (sum_{i in S} x_i - C(S)) <= tolerance``. The oracle answers it: by enumeration for
small games, or, for procurement, by one MILP (:mod:`optimizer.models.procurement.core`).

This module holds the games only; the procurement game and its split are in
:mod:`optimizer.models.procurement.sharing`, the hubs game in
:mod:`optimizer.models.hubs.sharing` (they import this module, never the other way round).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.models._wording import bounds_note, group_words

__all__ = [
    "CoalitionGame",
    "CoreCheck",
    "CostFunction",
    "Oracle",
    "Split",
    "bounds_note",
    "check_core",
    "core_verdict",
    "enumeration_oracle",
    "group_words",
    "least_core_split",
    "proportional_split",
    "shapley_split",
]

# C(S), or (C(S), proven): False when the value is only an upper bound (a solve that stopped
# before proving its plan optimal within its gap)
CostFunction = Callable[[frozenset[int]], "float | tuple[float, bool]"]
Oracle = Callable[[np.ndarray], frozenset[int]]  # shares -> the coalition gaining most
EXACT_LIMIT = 12


class CoalitionGame:
    """Players and the cost ``C(S)`` of each coalition, computed once and remembered.

    Parameters
    ----------
    players
        Player names, in index order.
    cost
        ``C(S)`` for a frozenset of player indices; ``C(empty) = 0`` is not asked.
    currency, noun, alone, going_alone
        Words for the verdicts: "stable: no group of {noun} can {alone} cheaper alone" and
        "{noun} A, B would save 50 {currency} by {going_alone} alone under this split"
        (procurement: "buy", "ordering"; hubs: "run their collection", "running their
        collection").
    labels
        Player id → the name people know it by: the verdicts write ``Name (ID)``; players
        without a name (or named by their id) stay as their id.
    """

    def __init__(
        self,
        players: Sequence[str],
        cost: CostFunction,
        *,
        currency: str = "EUR",
        noun: str = "members",
        alone: str = "buy",
        going_alone: str = "ordering",
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.players = tuple(str(p) for p in players)
        self.labels = dict(labels or {})
        self._cost = cost
        self._known: dict[frozenset[int], float] = {frozenset(): 0.0}
        self._unproven: set[frozenset[int]] = set()
        self.currency = currency
        self.noun = noun
        self.alone = alone
        self.going_alone = going_alone

    @property
    def n(self) -> int:
        return len(self.players)

    @property
    def evaluations(self) -> int:
        """How many coalition costs were computed."""
        return len(self._known) - 1

    def cost(self, coalition: Iterable[int]) -> float:
        key = frozenset(int(i) for i in coalition)
        if key not in self._known:
            value = self._cost(key)
            cost, proven = value if isinstance(value, tuple) else (value, True)
            self.record(key, cost, proven=proven)
        return self._known[key]

    def record(self, coalition: Iterable[int], cost: float, *, proven: bool = True) -> None:
        """Give ``C(S)`` from elsewhere (the plan shown, say); ``proven=False``: a bound."""
        key = frozenset(int(i) for i in coalition)
        self._known[key] = float(cost)
        if proven:
            self._unproven.discard(key)
        else:
            self._unproven.add(key)

    def proven(self, coalition: Iterable[int]) -> bool:
        """False when ``C(S)`` is known only as an upper bound (its solve was not proven)."""
        return frozenset(int(i) for i in coalition) not in self._unproven

    def bounds(self) -> tuple[str, ...]:
        """The coalitions whose costs used so far are upper bounds, not proven optima."""
        found = sorted(self._unproven, key=lambda s: (len(s), sorted(s)))
        return tuple("{" + group_words([self.label(p) for p in self.names(s)]) + "}" for s in found)

    @property
    def grand_cost(self) -> float:
        return self.cost(range(self.n))

    def standalone(self) -> np.ndarray:
        return np.array([self.cost([i]) for i in range(self.n)])

    def names(self, coalition: Iterable[int]) -> list[str]:
        return [self.players[i] for i in sorted(coalition)]

    def label(self, player: str) -> str:
        """A player as people know it: ``Name (ID)``, or the id when it has no other name."""
        name = self.labels.get(player)
        return f"{name} ({player})" if name and name != player else player


@dataclass(frozen=True, eq=False)
class Split:
    """Shares of the grand coalition's cost ``total``, one per player."""

    method: str
    players: tuple[str, ...]
    shares: np.ndarray
    total: float
    standalone: np.ndarray
    std_error: np.ndarray | None = None
    epsilon: float = math.nan
    iterations: int = 0
    runtime_s: float = 0.0
    currency: str = "EUR"
    bounds: tuple[str, ...] = ()  # coalitions whose cost is an upper bound, not proven

    def table(self) -> pd.DataFrame:
        """player, standalone_cost, share, savings, savings_pct (and std_error if sampled)."""
        savings = self.standalone - self.shares
        frame = pd.DataFrame(
            {
                "player": list(self.players),
                "standalone_cost": self.standalone,
                "share": self.shares,
                "savings": savings,
                "savings_pct": np.divide(
                    savings, self.standalone, out=np.zeros_like(savings), where=self.standalone != 0
                )
                * 100,
            }
        )
        if self.std_error is not None:
            frame["std_error"] = self.std_error
        return frame

    def summary(self) -> str:
        saved = float(np.sum(self.standalone) - self.total)
        better = int(np.sum(self.shares <= self.standalone + 1e-9))
        lines = [
            f"{self.method} split of {self.total:,.2f} {self.currency} among "
            f"{len(self.players)} players (savings {saved:,.2f} {self.currency}); "
            f"{better} of {len(self.players)} pay no more than alone"
        ]
        if math.isfinite(self.epsilon):
            lines.append(f"  least-core epsilon {self.epsilon:,.4f} ({self.iterations} rounds)")
        if self.std_error is not None and len(self.std_error):
            lines.append(f"  sampled: largest standard error {np.max(self.std_error):,.2f}")
        if self.bounds:
            lines.append(f"  {bounds_note(self.bounds)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class CoreCheck:
    """Whether a split is stable, and the coalition that would gain most by leaving."""

    stable: bool
    gain: float
    coalition: tuple[str, ...]
    message: str
    proven: bool = True
    runtime_s: float = 0.0

    def summary(self) -> str:
        return self.message


def proportional_split(
    game: CoalitionGame,
    weights: Sequence[float] | np.ndarray | None = None,
    *,
    method: str = "proportional",
) -> Split:
    """Split ``C(N)`` in proportion to ``weights`` (default: the standalone costs)."""
    start = time.perf_counter()
    alone = game.standalone()
    w = alone if weights is None else np.asarray(weights, float)
    # a cost of 0 computed as a difference of large sums comes out as -3.5e-10 (a hubs sample
    # of a sweep crashed on it): negatives within float noise of the weights' scale are 0
    noise = 1e-9 * max(1.0, float(np.abs(w).sum())) if len(w) else 0.0
    w = np.where((w < 0) & (w >= -noise), 0.0, w)
    if len(w) != game.n or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights must be one non-negative number per player, not all 0")
    total = game.grand_cost
    return Split(
        method,
        game.players,
        total * w / w.sum(),
        total,
        alone,
        runtime_s=time.perf_counter() - start,
        currency=game.currency,
        bounds=game.bounds(),
    )


def shapley_split(
    game: CoalitionGame,
    *,
    exact_limit: int = EXACT_LIMIT,
    samples: int = 200,
    seed: int = 0,
) -> Split:
    """The Shapley value: exact up to ``exact_limit`` players, else ``samples`` random orders."""
    start = time.perf_counter()
    n = game.n
    shares = np.zeros(n)
    error: np.ndarray | None = None
    if n <= exact_limit:
        weight = [
            math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)
        ]
        for i in range(n):
            others = [j for j in range(n) if j != i]
            for k in range(n):
                for subset in itertools.combinations(others, k):
                    shares[i] += weight[k] * (game.cost([*subset, i]) - game.cost(subset))
        method = "shapley"
    else:
        rng = np.random.default_rng(seed)
        marginal = np.zeros((samples, n))
        for r in range(samples):
            order = rng.permutation(n)
            before = 0.0
            for k in range(n):
                after = game.cost(order[: k + 1])
                marginal[r, order[k]] = after - before
                before = after
        shares = marginal.mean(axis=0)
        error = marginal.std(axis=0, ddof=1) / math.sqrt(samples) if samples > 1 else None
        method = f"shapley (sampled, {samples} orders)"
    return Split(
        method,
        game.players,
        shares,
        game.grand_cost,
        game.standalone(),
        std_error=error,
        runtime_s=time.perf_counter() - start,
        currency=game.currency,
        bounds=game.bounds(),
    )


def enumeration_oracle(game: CoalitionGame, *, proper: bool = True) -> Oracle:
    """An oracle that tries every coalition (``2^n`` costs, remembered by the game)."""
    if game.n > 20:
        raise ValueError(f"enumerating coalitions of {game.n} players is too slow; give an oracle")
    sizes = range(1, game.n) if proper else range(1, game.n + 1)
    everyone = [frozenset(c) for k in sizes for c in itertools.combinations(range(game.n), k)]

    def oracle(shares: np.ndarray) -> frozenset[int]:
        return max(everyone, key=lambda s: float(sum(shares[i] for i in s)) - game.cost(s))

    return oracle


def least_core_split(
    game: CoalitionGame,
    *,
    oracle: Oracle | None = None,
    reference: np.ndarray | None = None,
    tolerance: float = 1e-6,
    max_iterations: int = 500,
) -> Split:
    """A least-core split by constraint generation (see the module docstring).

    Parameters
    ----------
    oracle
        Returns the proper coalition with the largest gain against given shares; by
        default every coalition is tried (small games only).
    reference
        The split to stay closest to among least-core splits (default: proportional to
        standalone cost).
    tolerance
        Relative to ``C(N)``: gains up to this are not violations.
    """
    start = time.perf_counter()
    n, total = game.n, game.grand_cost
    alone = game.standalone()
    if n == 1:
        return Split(
            "least core",
            game.players,
            np.array([total]),
            total,
            alone,
            epsilon=0.0,
            currency=game.currency,
            bounds=game.bounds(),
        )
    find = oracle or enumeration_oracle(game, proper=True)
    ref = alone * total / alone.sum() if reference is None else np.asarray(reference, float)
    slack = tolerance * max(1.0, abs(total))
    known: list[frozenset[int]] = [frozenset([i]) for i in range(n)]
    shares, epsilon = ref, math.inf
    iteration = 0
    while iteration < max_iterations:
        iteration += 1
        rows = np.zeros((len(known), n))
        for r, s in enumerate(known):
            rows[r, list(s)] = 1.0
        costs = np.array([game.cost(s) for s in known])
        epsilon, shares = _least_core_lp(rows, costs, total, ref, slack)
        found = find(shares)
        gain = float(shares[list(found)].sum()) - game.cost(found) if found else -math.inf
        if gain <= epsilon + slack or found in known:
            break
        known.append(found)
    return Split(
        "least core",
        game.players,
        shares,
        total,
        alone,
        epsilon=epsilon,
        iterations=iteration,
        runtime_s=time.perf_counter() - start,
        currency=game.currency,
        bounds=game.bounds(),
    )


def _least_core_lp(
    rows: np.ndarray, costs: np.ndarray, total: float, ref: np.ndarray, slack: float
) -> tuple[float, np.ndarray]:
    """min eps, then the least-core point closest to ``ref``; rows are coalitions."""
    from scipy.optimize import linprog  # scipy.optimize takes 0.7 s: only for the least core

    k, n = rows.shape
    free = [(None, None)] * (n + 1)
    first = linprog(
        c=np.r_[np.zeros(n), 1.0],
        A_ub=np.c_[rows, -np.ones(k)],
        b_ub=costs,
        A_eq=np.r_[np.ones(n), 0.0][None, :],
        b_eq=[total],
        bounds=free,
        method="highs",
    )
    if first.status != 0:
        raise RuntimeError(f"least-core LP failed: {first.message}")
    epsilon = float(first.x[n])
    shares = _closest(rows, costs + epsilon + slack / 10, total, ref, first.x[:n])
    return epsilon, first.x[:n] if shares is None else shares


def _closest(
    rows: np.ndarray, upper: np.ndarray, total: float, ref: np.ndarray, start: np.ndarray
) -> np.ndarray | None:
    """The point closest to ``ref`` (least squares) with ``rows x <= upper``, ``sum x = total``.

    A quadratic program, so that players in the same position get the same share; solved
    from ``start``, a feasible point.
    """
    from scipy.optimize import minimize  # scipy.optimize takes 0.7 s: only for the least core

    scale = max(1.0, float(np.max(np.abs(ref))))
    found = minimize(
        lambda x: float(np.sum((x - ref / scale) ** 2)),
        start / scale,
        jac=lambda x: 2.0 * (x - ref / scale),
        constraints=[
            {"type": "ineq", "fun": lambda x: upper / scale - rows @ x, "jac": lambda x: -rows},
            {
                "type": "eq",
                "fun": lambda x: np.array([x.sum() - total / scale]),
                "jac": lambda x: np.ones((1, len(x))),
            },
        ],
        method="SLSQP",
        options={"maxiter": 500, "ftol": 1e-12},
    )
    if not found.success:
        return None
    shares = np.asarray(found.x, float) * scale
    return shares if np.all(rows @ shares <= upper + 1e-6 * scale) else None


def check_core(
    game: CoalitionGame,
    shares: Sequence[float] | np.ndarray,
    *,
    oracle: Oracle | None = None,
    tolerance: float = 1e-4,
) -> CoreCheck:
    """Is the split stable? Finds the coalition with the largest gain by leaving.

    ``tolerance`` is relative to the total bill; a coalition's gain is recomputed from its
    own cost ``C(S)`` whatever the oracle says.
    """
    start = time.perf_counter()
    x = np.asarray(shares, float)
    find = oracle or enumeration_oracle(game, proper=False)
    found = find(x)
    gain = float(x[list(found)].sum()) - game.cost(found) if found else 0.0
    tol = tolerance * max(1.0, abs(float(x.sum())))
    return core_verdict(
        game, found=found, gain=gain, tol=tol, proven=True, runtime_s=time.perf_counter() - start
    )


def core_verdict(
    game: CoalitionGame,
    *,
    found: frozenset[int],
    gain: float,
    tol: float,
    proven: bool,
    runtime_s: float,
) -> CoreCheck:
    """The verdict on a split, given the coalition ``found`` to gain most and its ``gain``.

    Stable when ``gain <= tol``; ``proven`` is False when the search for that coalition
    stopped before proving none gains more, or when a coalition cost the verdict rests on is
    only an upper bound (the message then says so and names those coalitions).
    """
    names = tuple(game.names(found))
    bounds = game.bounds()
    note = f"; {bounds_note(bounds)}" if bounds else ""
    if gain <= tol:
        message = f"stable: no group of {game.noun} can {game.alone} cheaper alone"
        if not proven:
            message += " (none found; not proven within the time limit)"
        return CoreCheck(
            True,
            max(gain, 0.0),
            names if gain > 0 else (),
            message + note,
            proven and not bounds,
            runtime_s,
        )
    who = group_words([game.label(p) for p in names])
    noun = game.noun if len(names) > 1 else game.noun.rstrip("s")
    message = (
        f"{noun} {who} would save {gain:,.0f} {game.currency} by {game.going_alone} alone "
        "under this split"
    )
    return CoreCheck(False, gain, names, message + note, proven and not bounds, runtime_s)
