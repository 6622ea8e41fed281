r"""The robust hubs plan by its hub subsets: branch and bound over the first stage.

With few candidate hubs the first stage has few values: every subset :math:`Y` of the hubs
that are not already open. Each subset's worth is known exactly by solving each sample with
those hubs fixed (:func:`~optimizer.models.hubs.robust_fixed.second_stage`), and most
subsets need not be solved at all, thanks to three upper bounds on a sample's net value
:math:`V_s(Y)`, each valid for any :math:`Y` (floats are compared with the solvers' bounds,
never with their plans):

1. *perfect information*: :math:`V_s(Y) \le B_s`, the bound proven by the solve of sample
   :math:`s` with the hubs free;
2. *more hubs never hurt the operations*: opening a hub only adds plans, so the net value
   before hub fixed costs, :math:`V_s(Y) + F_s(Y)`, cannot fall as hubs are added; with
   :math:`B_s(Z)` the bound proven with the hubs :math:`Z \supseteq Y` fixed,
   :math:`V_s(Y) \le B_s(Z) + F_s(Z) - F_s(Y)`;
3. a sample already solved with :math:`Y` fixed: :math:`V_s(Y) \le B_s(Y)` (the case
   :math:`Z = Y` of 2).

Subsets are taken best bound first (ties: the hub sets the samples choose alone most often,
then larger sets, whose bounds reach more subsets); a subset is dropped part-way as soon as
its bound, with the samples solved so far, cannot beat the best plan by more than the gap.
The search stops when the best plan is within the gap of the best bound over all subsets,
or at the time limit with that gap reported.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from optimizer.models.hubs.data import HubData, HubResult
from optimizer.models.hubs.robust_fixed import Outcome, planless, second_stage, seconds_left
from optimizer.results import Status, worst_status
from optimizer.solver import SolverName

__all__ = ["MAX_FREE_HUBS", "subset_plan"]

MAX_FREE_HUBS = 10  # 1,024 subsets: beyond that, the joint MILP


class _Search:
    """Bounds and values per (subset, sample); the best plan found so far."""

    def __init__(
        self,
        samples: Sequence[HubData],
        weights: np.ndarray,
        kind: str,
        own: Sequence[HubResult],
        gap: float,
    ) -> None:
        self.samples, self.weights, self.kind, self.gap = samples, weights, kind, gap
        first = samples[0]
        free = [h for h in range(first.n_hubs) if not first.existing_mask[h]]
        kept = [h for h in range(first.n_hubs) if first.existing_mask[h]]
        self.subsets = [
            tuple(sorted((*kept, *chosen)))
            for k in range(len(free) + 1)
            for chosen in itertools.combinations(free, k)
        ]
        masks = np.zeros((len(self.subsets), first.n_hubs), dtype=bool)
        for i, subset in enumerate(self.subsets):
            masks[i, list(subset)] = True
        # superset[i, j]: subset j holds subset i
        self.superset: np.ndarray = np.asarray((masks[:, None, :] <= masks[None, :, :]).all(axis=2))
        fixed = np.array([d.hub_fixed_cost for d in samples])  # (S, H)
        self.fixed = masks.astype(float) @ fixed.T  # (subsets, S)
        self.own_values = np.array([r.objective for r in own])
        self.own_bounds = np.array([r.bound if math.isfinite(r.bound) else math.inf for r in own])
        n, n_s = len(self.subsets), len(samples)
        self.operations = np.full((n, n_s), math.inf)  # proven bound + fixed costs
        self.values = np.full((n, n_s), math.nan)  # net value of the plan found
        self.done = np.zeros(n, dtype=bool)  # every sample solved, or dropped
        self.best = -1
        self.best_plans: tuple[HubResult, ...] = ()
        self.scale = max(1.0, float(np.abs(self.own_values).max()))
        share: dict[tuple[int, ...], float] = {}
        for s, r in enumerate(own):
            share[r.open_hubs] = share.get(r.open_hubs, 0.0) + float(weights[s])
        self.chosen_alone = np.array([share.get(subset, 0.0) for subset in self.subsets])

    def upper(self, rows: slice | None = None) -> np.ndarray:
        """An upper bound on each sample's net value for each subset (or those in ``rows``),
        ``(subsets, S)``: bounds 1 and 2 of the module docstring."""
        rows = rows or slice(None)
        through = np.full_like(self.fixed[rows], math.inf)
        for j in np.flatnonzero(np.isfinite(self.operations).any(axis=1)):
            reached = self.superset[rows, j]  # the subsets that subset j holds
            through[reached] = np.minimum(through[reached], self.operations[j])
        return np.minimum(self.own_bounds[None, :], through - self.fixed[rows])

    def score(self, upper: np.ndarray) -> np.ndarray:
        """Each subset's best possible objective, as a number to maximise."""
        if self.kind == "expected":
            return np.asarray(upper @ self.weights)
        return -np.max(self.own_values[None, :] - upper, axis=1)

    def incumbent(self) -> float:
        """The best plan's objective, as a number to maximise (-inf when none)."""
        if self.best < 0:
            return -math.inf
        values = self.values[self.best]
        if self.kind == "expected":
            return float(values @ self.weights)
        return -float(np.max(self.own_values - values))

    def tolerance(self, incumbent: float) -> float:
        """How far a bound may lie above the best plan for it to count as optimal."""
        if not math.isfinite(incumbent):
            return 0.0
        scale = max(abs(incumbent), 1e-9) if self.kind == "expected" else self.scale
        return self.gap * scale

    def evaluate(self, i: int, deadline: float, solver: SolverName) -> bool:
        """Solve subset ``i`` sample by sample, dropping it once it cannot win. False when a
        sample found no plan in the time left."""
        subset = self.subsets[i]
        plans = []
        for s, data in enumerate(self.samples):
            plan = second_stage(data, subset, seconds_left(deadline), self.gap, solver)
            if not plan.status.has_solution:
                return False
            bound = plan.bound if math.isfinite(plan.bound) else math.inf
            self.operations[i, s] = min(self.operations[i, s], bound + self.fixed[i, s])
            self.values[i, s] = plan.objective
            plans.append(plan)
            incumbent = self.incumbent()
            if self.score(self.upper(slice(i, i + 1)))[0] <= incumbent + self.tolerance(incumbent):
                break  # cannot beat the best plan by more than the gap
        self.done[i] = True
        if len(plans) == len(self.samples) and self._better(i):
            self.best, self.best_plans = i, tuple(plans)
        return True

    def _better(self, i: int) -> bool:
        if self.best < 0:
            return True
        incumbent = self.incumbent()
        self.best, keep = i, self.best
        challenger = self.incumbent()
        self.best = keep
        return challenger > incumbent


def subset_plan(
    samples: Sequence[HubData],
    weights: np.ndarray,
    kind: str,
    own: Sequence[HubResult],
    *,
    deadline: float,
    gap: float,
    solver: SolverName,
) -> Outcome:
    """Branch and bound over the hub subsets (module docstring)."""
    search = _Search(samples, weights, kind, own, gap)
    finished = True
    while True:
        upper = search.upper()
        score = search.score(upper)
        incumbent = search.incumbent()
        bound = float(score.max())
        open_ = np.flatnonzero(~search.done & (score > incumbent + search.tolerance(incumbent)))
        if open_.size == 0:
            break
        if seconds_left(deadline) <= 1e-3:
            finished = False
            break
        order = np.lexsort(
            (-np.array([len(search.subsets[i]) for i in open_]),
             -search.chosen_alone[open_], -score[open_])
        )  # fmt: skip
        if not search.evaluate(int(open_[order[0]]), deadline, solver):
            finished = False
            break
    evaluated = int(search.done.sum())
    incumbent = search.incumbent()
    bound = float(search.score(search.upper()).max())
    if search.best < 0:
        return planless(Status.NO_SOLUTION, "the time limit came before any subset was solved")
    value = incumbent if kind == "expected" else -incumbent
    best_bound = bound if kind == "expected" else -bound
    gap_now = (bound - incumbent) / (max(abs(incumbent), 1e-9) if kind == "expected"
                                     else search.scale)  # fmt: skip
    # finished: no subset left whose bound beats the best plan by more than the gap; the
    # samples' own gaps may still leave the bound a hair further (then reported as feasible)
    optimal = finished and gap_now <= gap * (1 + 1e-6) + 1e-9
    status = worst_status(
        [Status.OPTIMAL if optimal else Status.FEASIBLE, *(p.status for p in search.best_plans)]
    )
    return Outcome(
        status=status,
        objective=value,
        bound=best_bound,
        gap=max(gap_now, 0.0),
        open_hubs=search.subsets[search.best],
        plans=search.best_plans,
        solver=search.best_plans[0].solver,
        message=(
            f"{evaluated} of {len(search.subsets)} hub subsets solved"
            + ("" if finished else "; stopped at the time limit")
        ),
        evaluated=evaluated,
    )
