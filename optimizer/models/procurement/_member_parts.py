r"""The core-check MILP split into the game's independent parts, when it has several.

Two members' costs touch only through a product both need (the suppliers' brackets, least
orders and capacities count the product's units over every drop point) or a drop point both
use (a truck to it carries every product of its supplier). Members linked by neither, even
through others, are in different *parts*, and a coalition's cost is the sum of its parts'
costs: ``C(S) = sum_k C(S & N_k)``. On the default scenario the 51 dairy farms at hub H1,
the only ones needing feed, are one part and the other 97 members the other.

Then every coalition's gain under a split ``x`` is the sum of its parts' gains, and the
largest is bounded part by part::

    max_S  x(S) - C(S)  <=  sum_k max(0, max_{0 != S_k <= N_k} x(S_k) - C(S_k))

(``S_k`` empty gains 0; equality unless the best choice is everyone or no one). Each part's
term is the core-check MILP with every member of the other parts held out, far smaller than
the whole: at a split of the default scenario's search the whole MILP took 9.6 s and its two
parts 0.5 + 1.3 s, with the same bound (277.28 EUR).

With two parts or more, some group always gains at least 0 under a split of the whole
cost: each part on its own gains ``x(N_k) - C(N_k)``, and these add up to 0. So the
bound is exact at 0 too (the core, when not empty, has ``eps = 0``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from optimizer.models.procurement._member_plans import Patterns
from optimizer.models.procurement.data import ProcurementData
from optimizer.results import Status

_Job = TypeVar("_Job")
_Out = TypeVar("_Out")

__all__ = ["Separation", "by_parts", "in_parallel", "parts"]


@dataclass(frozen=True)
class Separation:
    """One core-check MILP: its best coalition, gain, bound on every gain, plans met."""

    status: Status
    coalition: frozenset[int]
    gain: float
    gain_bound: float
    runtime_s: float
    found: dict[frozenset[int], float] = field(default_factory=dict)  # S -> plan's cost


def parts(data: ProcurementData) -> np.ndarray:
    """``(M,)`` the part of each member: members needing a product in common or sharing a
    drop point are in the same part, and so are members linked through others."""
    n, n_p = data.n_members, data.n_products
    members, products = np.nonzero(np.asarray(data.demand) > 0)
    drops = np.asarray(data.drop_point, np.int64)
    # a graph over members, then products, then drop points; each member linked to its own
    rows = np.r_[members, np.arange(n)]
    cols = np.r_[n + products, n + n_p + drops]
    size = n + n_p + data.n_drop_points
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    _, part = np.unique(label[:n], return_inverse=True)
    return part.astype(np.int64)


def by_parts(
    data: ProcurementData,
    shares: np.ndarray,
    patterns: Patterns,
    part: np.ndarray,
    separate_held_out: Callable[[np.ndarray], Separation],
) -> Separation:
    """The whole core-check MILP's answer from one MILP per part.

    ``separate_held_out(out)`` solves the core-check MILP with the members ``out`` held out
    of every coalition (seeking gains above 0 only: all the bound takes of each part).
    """
    x = np.asarray(shares, float)
    n = data.n_members
    k = int(part.max()) + 1
    results = in_parallel(separate_held_out, [part != j for j in range(k)])
    runtime = float(sum(r.runtime_s for r in results))
    for r in results:
        if not r.status.has_solution:
            return Separation(r.status, frozenset(), math.nan, math.inf, runtime)
    found: dict[frozenset[int], float] = {}
    for r in results:
        for coalition, cost in r.found.items():
            found[coalition] = min(cost, found.get(coalition, math.inf))
    best = [r.coalition for r in results if r.gain > 0 and r.coalition]
    if sum(len(c) for c in best) == n:  # everyone: leave out the part gaining least
        best.remove(min(best, key=lambda c: x[list(c)].sum() - found[c]))
    if not best:  # no part gains: the part on its own gaining most (it gains >= 0)
        wholes = np.array([part == j for j in range(k)])
        costs = patterns.costs(wholes)
        j = int(np.argmax(wholes @ x - costs))
        best = [frozenset(np.flatnonzero(wholes[j]).tolist())]
        found[best[0]] = min(float(costs[j]), found.get(best[0], math.inf))
    union = frozenset[int]().union(*best)
    mask = np.zeros(n, bool)
    mask[list(union)] = True
    cost = min(float(sum(found[c] for c in best)), float(patterns.costs(mask[None])[0]))
    found[union] = min(cost, found.get(union, math.inf))
    status = next((r.status for r in results if r.status is not Status.OPTIMAL), Status.OPTIMAL)
    bound = float(sum(max(0.0, r.gain_bound) for r in results))
    return Separation(status, union, float(x[mask].sum()) - cost, bound, runtime, found)


def in_parallel(solve: Callable[[_Job], _Out], jobs: Sequence[_Job]) -> list[_Out]:
    """``solve`` on every job, in threads on the cores this process may use (HiGHS lets go of
    the interpreter while it solves: the default scenario's eight per-hub MILPs took 0.68 s
    on two cores against 1.41 s one after the other)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    workers = min(len(jobs), cores)
    if workers <= 1:
        return [solve(job) for job in jobs]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(solve, jobs))
