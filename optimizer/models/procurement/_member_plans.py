r"""Upper bounds on many coalitions' costs at once, from plans already found.

A *pattern* is read from a plan: the part ``f[i, p]`` of member ``i``'s demand of product
``p`` that the pool buys, and for each drop point ``d`` and product ``p`` the part
``sigma[s, p, d]`` of the pooled units that supplier ``s`` delivers. Applied to a coalition
``S`` it is a plan for ``S``: pooled units ``sum_{i in S, d(i) = d} f[i, p] D[i, p]`` at each
drop point, split among suppliers by ``sigma``, each order priced at the cheapest bracket of
its offer that holds its quantity (between the bracket's lower end, at least the minimum
order, and its upper end, at most the capacity), whole truckloads to each drop point, the
rest bought locally at each member's price. It is a feasible plan, so its cost is an upper
bound on ``C(S)``; it is ``inf`` when an order falls outside every bracket of its offer.
Buying everything locally is always a pattern.

:func:`local_search` uses the bounds to find coalitions that gain by leaving under given
shares (each found gain ``x(S) - bound`` is at most the true gain ``x(S) - C(S)``), member
by member, hundreds of coalitions in a few milliseconds.
"""

from __future__ import annotations

import itertools
import math
import threading
import time

import numpy as np

from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.model import bracket_bounds
from optimizer.models.procurement.plan import ProcurementResult

__all__ = [
    "REMOVALS_AT_MOST",
    "Patterns",
    "local_search",
    "most_gaining",
    "plan_arrays",
    "removal_rows",
    "seed_rows",
]

_TOL = 1e-9
REMOVALS_AT_MOST = 50_000  # "everyone but a few members of one drop point" rows, at most


class Patterns:
    """The patterns found so far and the least cost any of them gives a coalition."""

    def __init__(self, data: ProcurementData) -> None:
        self.data = data
        n = data.n_members
        self._demand = data.demand
        self._local = np.where(data.demand > 0, data.demand * data.local_price, 0.0)
        self._all_local = self._local.sum(axis=1)
        totals = data.demand.sum(axis=0)
        self._brackets: dict[tuple[int, int], np.ndarray] = {}
        for s_, p_ in zip(*np.nonzero(data.offered), strict=True):
            s, p = int(s_), int(p_)
            usable = bracket_bounds(data, s, p, float(totals[p]))
            if usable:
                self._brackets[s, p] = np.array([u[1:] for u in usable])  # (B, 4): L U c k
        self._at = np.zeros((n, data.n_drop_points), float)
        self._at[np.arange(n), data.drop_point] = 1.0
        self._trip = np.where(np.isfinite(data.trip_cost), data.trip_cost, 0.0).ravel()
        self._blocked = ~np.isfinite(data.trip_cost).ravel()
        self._payload = np.repeat(np.asarray(data.payload_kg, float), data.n_drop_points)
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._stack: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._keys: set[bytes] = set()
        self._lock = threading.Lock()  # separation MILPs run in threads and add their plans

    def __len__(self) -> int:
        return len(self._parts)

    def add(self, pooled: np.ndarray, sigma: np.ndarray) -> None:
        """Add the pattern ``f = pooled`` (``(M, P)`` in [0, 1]), ``sigma`` (``(S, P, D)``)."""
        d = self.data
        f = np.clip(np.asarray(pooled, float), 0.0, 1.0)
        sigma = np.asarray(sigma, float)
        served = sigma.sum(axis=0) > 0.5  # (P, D): the pattern pools p at d
        f = np.where(served.T[d.drop_point], f, 0.0)
        key = np.round(f, 9).tobytes() + np.round(sigma, 9).tobytes()
        with self._lock:
            if key in self._keys:
                return
            self._keys.add(key)
        offers = zip(*np.nonzero(sigma.sum(axis=2) > 0), strict=True)
        if any((int(s), int(p)) not in self._brackets for s, p in offers):
            return  # a plan ordering from an unusable offer: never from a solved model
        # per member: the units it adds to each order (M, S*P) and to each truck run (M, S*D)
        mine = self._at[:, :, None] * (f * self._demand)[:, None, :]  # (M, D, P)
        orders = np.einsum("mdp,spd->msp", mine, sigma).reshape(len(f), -1)
        loads = np.einsum("mdp,spd,p->msd", mine, sigma, d.weight_kg).reshape(len(f), -1)
        rest = (self._local * (1.0 - f)).sum(axis=1)
        with self._lock:
            self._parts.append((orders, loads, rest))
            self._stack = None

    def add_plan(self, pooled_units: np.ndarray, shipped: np.ndarray, members: np.ndarray) -> None:
        """Add the pattern of a plan for the coalition ``members`` (``(M,)`` bool).

        ``pooled_units`` (``(M, P)``) are the units pooled per member, ``shipped``
        (``(S, P, D)``) the units each supplier delivers. Members outside the coalition count
        as pooled in full wherever the plan serves their drop point and product.
        """
        d = self.data
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(d.demand > 0, pooled_units / d.demand, 0.0)
            per_drop = shipped.sum(axis=0, keepdims=True)
            sigma = np.where(per_drop > 0, shipped / per_drop, 0.0)
        f = np.where(np.asarray(members, bool)[:, None], f, 1.0)
        self.add(f, sigma)

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pattern at once: orders ``(M, T, S*P)``, loads ``(M, T, S*D)``, rest ``(M, T)``."""
        with self._lock:
            if self._stack is None:
                n, d = self.data.n_members, self.data
                if self._parts:
                    orders, loads, rest = (
                        np.stack(a, axis=1) for a in zip(*self._parts, strict=True)
                    )
                else:
                    orders = np.zeros((n, 0, d.n_suppliers * d.n_products))
                    loads = np.zeros((n, 0, d.n_suppliers * d.n_drop_points))
                    rest = np.zeros((n, 0))
                self._stack = (orders, loads, rest)
            return self._stack

    def costs(self, members: np.ndarray, *, first: int | None = None) -> np.ndarray:
        """``(K,)`` the least cost any pattern gives each row of ``members`` (``(K, M)`` 0/1);
        ``first``: only the first patterns (fewer bounds, as many times faster)."""
        z = np.asarray(members, float)
        orders, loads, rest = (a[:, :first] for a in self._stacked())
        # einsum, not matmul: a threaded BLAS on a loaded machine took 50 times as long here
        return self._least(
            np.einsum("km,m->k", z, self._all_local),
            np.einsum("km,mto->kto", z, orders),
            np.einsum("km,mto->kto", z, loads),
            np.einsum("km,mt->kt", z, rest),
        )

    def neighbour_costs(self, current: np.ndarray) -> np.ndarray:
        """``(M,)`` the least cost of each coalition ``current`` with one member flipped."""
        z = np.asarray(current, bool)
        orders, loads, rest = self._stacked()
        sign = np.where(z, -1.0, 1.0)
        zf = z.astype(float)

        def flipped(a: np.ndarray) -> np.ndarray:
            base = np.einsum("m,m...->...", zf, a)
            return base[None] + sign.reshape((-1,) + (1,) * (a.ndim - 1)) * a

        return self._least(flipped(self._all_local), flipped(orders), flipped(loads), flipped(rest))

    def _least(
        self, local: np.ndarray, q: np.ndarray, load: np.ndarray, rest: np.ndarray
    ) -> np.ndarray:
        """The cheapest pattern from units per order ``q`` ``(K, T, S*P)``, truck loads
        ``(K, T, S*D)`` and the cost bought locally ``rest`` ``(K, T)``; ``local``: all
        locally."""
        if q.shape[1] == 0:
            return local
        n_p = self.data.n_products
        cost = rest.copy()
        for (s, p), table in self._brackets.items():
            low, high, price, fixed = (b[None, None, :] for b in table.T)
            qs = q[:, :, s * n_p + p]
            qb = qs[:, :, None]
            inside = (qb >= low - _TOL * (1 + low)) & (qb <= high + _TOL * (1 + high))
            goods = np.where(inside, price * qb + fixed, np.inf).min(axis=2)
            cost += np.where(qs <= _TOL, 0.0, goods)
        trucks = np.ceil(load / self._payload - 1e-9)
        cost += np.einsum("kty,y->kt", trucks, self._trip)
        blocked = ((trucks > 0) & self._blocked).any(axis=2)
        cost[blocked] = np.inf
        return np.minimum(local, cost.min(axis=1))


def local_search(
    patterns: Patterns,
    shares: np.ndarray,
    starts: list[np.ndarray],
    *,
    threshold: float,
    keep_per_step: int = 4,
    max_steps: int = 400,
    deadline: float = math.inf,
) -> dict[frozenset[int], float]:
    """Coalitions whose gain under ``shares`` (by the patterns' bounds) exceeds ``threshold``.

    From each start (a 0/1 vector over members) the search moves one member in or out at a
    time, to the neighbour that gains most, while the gain grows; at each step the
    ``keep_per_step`` best neighbours above the threshold are kept, until ``max_steps`` steps
    in all or ``deadline`` (``time.perf_counter``). Returns each kept coalition with its cost
    bound (only proper coalitions: neither empty nor everyone).
    """
    x = np.asarray(shares, float)
    n = len(x)
    found: set[frozenset[int]] = set()
    steps = 0
    for start in starts:
        current = np.asarray(start, bool)
        gain = -np.inf
        while steps < max_steps and time.perf_counter() < deadline:
            steps += 1
            size = current.sum() + np.where(current, -1, 1)
            # x(S) of each neighbour, elementwise (no BLAS: see Patterns.costs)
            paid = float(np.einsum("m,m->", current.astype(float), x)) + np.where(current, -x, x)
            gains = np.where(
                (size > 0) & (size < n), paid - patterns.neighbour_costs(current), -np.inf
            )
            order = np.argsort(-gains)[:keep_per_step]
            for k in order:
                if gains[k] > threshold:
                    nxt = current.copy()
                    nxt[k] = not nxt[k]
                    found.add(frozenset(np.flatnonzero(nxt).tolist()))
            best = int(order[0])
            if gains[best] <= gain + 1e-9:
                break
            current = current.copy()
            current[best] = not current[best]
            gain = float(gains[best])
    if not found:
        return {}
    # each cost priced again from the coalition itself (the search adds and subtracts)
    kept = list(found)
    masks = np.zeros((len(kept), n), bool)
    for r, s in enumerate(kept):
        masks[r, list(s)] = True
    return dict(zip(kept, patterns.costs(masks).tolist(), strict=True))


def removal_rows(
    data: ProcurementData, patterns: Patterns, at_most: int = REMOVALS_AT_MOST
) -> dict[frozenset[int], float]:
    """Everyone but ``k`` members of one drop point, for every such group, ``k = 1, 2, ...``
    while the rows stay within ``at_most`` (a level taken for the smaller drop points first
    when not for all), each priced by the plans met so far (an upper bound on its cost).

    Why: the groups that gain most by leaving are mostly everyone but a few members whose
    units free a truck or fall below a bracket (measured on the default scenario's 51 dairy
    farms: 47 rows bind the least core, each everyone but 1 to 6 farms). Found one by one
    by the core-check MILP, they took 85 MILPs and 20 s; with every "all but three" row
    priced at the start by the plan shown, 5 MILPs and 6 s.
    """
    n = data.n_members
    groups = [np.flatnonzero(data.drop_point == d) for d in np.unique(data.drop_point)]
    groups.sort(key=len)
    out: list[tuple[int, ...]] = []
    for k in range(1, n):
        before = len(out)
        for members in groups:
            if k <= len(members) and len(out) + math.comb(len(members), k) <= at_most:
                out += itertools.combinations(members.tolist(), k)
        if len(out) == before:
            break
    masks = np.ones((len(out), n), bool)
    for r, left_out in enumerate(out):
        masks[r, list(left_out)] = False
    masks = masks[(masks.sum(axis=1) > 0) & (masks.sum(axis=1) < n)]
    costs = patterns.costs(masks)
    return {
        frozenset(np.flatnonzero(mask).tolist()): float(cost)
        for mask, cost in zip(masks, costs, strict=True)
        if math.isfinite(cost)
    }


def plan_arrays(data: ProcurementData, plan: ProcurementResult) -> tuple[np.ndarray, np.ndarray]:
    """Units pooled per member and product, units shipped per supplier, product, drop point."""
    members = {m: i for i, m in enumerate(data.member_ids)}
    products = {p: i for i, p in enumerate(data.product_ids)}
    suppliers = {s: i for i, s in enumerate(data.supplier_ids)}
    drops = {d: i for i, d in enumerate(data.drop_point_ids)}
    pooled = np.zeros((data.n_members, data.n_products))
    buys = plan.purchases
    np.add.at(
        pooled,
        (buys["member"].map(members).to_numpy(int), buys["product"].map(products).to_numpy(int)),
        buys["pooled"].to_numpy(float),
    )
    shipped = np.zeros((data.n_suppliers, data.n_products, data.n_drop_points))
    sent = plan.shipments
    where = (
        sent["supplier"].map(suppliers).to_numpy(int),
        sent["product"].map(products).to_numpy(int),
        sent["drop_point"].map(drops).to_numpy(int),
    )
    np.add.at(shipped, where, sent["quantity"].to_numpy(float))
    return pooled, shipped


def seed_rows(data: ProcurementData, patterns: Patterns) -> dict[frozenset[int], float]:
    """The first rows: ``N - {i}``, the members at each drop point or needing each product,
    and their complements, priced by the plans met."""
    n = data.n_members
    groups = [~np.eye(n, dtype=bool)]
    groups.append(data.drop_point[None, :] == np.arange(data.n_drop_points)[:, None])
    groups.append((data.demand > 0).T)
    masks = np.vstack(groups)
    masks = np.vstack([masks, ~masks])
    sizes = masks.sum(axis=1)
    masks = masks[(sizes > 0) & (sizes < n)]
    costs = patterns.costs(masks)
    return {
        frozenset(np.flatnonzero(m).tolist()): float(c) for m, c in zip(masks, costs, strict=True)
    }


def most_gaining(
    found: dict[frozenset[int], float], x: np.ndarray, count: int
) -> dict[frozenset[int], float]:
    """The ``count`` coalitions of ``found`` that gain most under ``x``."""
    gain = {s: float(x[list(s)].sum()) - c for s, c in found.items()}
    return {s: found[s] for s in sorted(found, key=gain.__getitem__, reverse=True)[:count]}
