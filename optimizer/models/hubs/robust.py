r"""A hub network that holds up across futures: open the hubs once, adapt the rest per sample.

The samples are hub networks (:class:`HubData`) over the **same candidate hubs**; their
members, buyers, prices, supplies and costs may differ. The hubs to open are chosen once for
all of them (the first stage); corridors, trucks and flows adapt to each sample (the second
stage). Costs are net values turned round: the cost of a plan in sample :math:`s` is
:math:`-V_s`, where :math:`V_s` is the net value :func:`~optimizer.models.hubs.solve_hubs`
maximises.

Formulation (two-stage stochastic MILP, the deterministic equivalent)
--------------------------------------------------------------------
First stage: :math:`y_h \in \{0, 1\}` hub :math:`h` open, :math:`y_h = 1` for existing hubs.
Second stage: one copy :math:`x_s` of the hubs model's variables per sample :math:`s`, with
its rows :math:`x_s \in X_s(y)` (:mod:`optimizer.models.hubs.solve`) written with the shared
:math:`y` in place of that copy's own; :math:`V_s(x_s)` is its net value, hub fixed costs
included. With probabilities :math:`w_s \ge 0`, :math:`\sum_s w_s = 1`:

- ``objective="expected"`` (sample average approximation):
  :math:`\max_{y,x} \sum_s w_s V_s(x_s)`, the expected net value (least expected cost);
- ``objective="regret"``: with :math:`V^*_s` each sample's own optimum (solved first, alone),
  :math:`\min_{y,x,\rho} \rho` s.t. :math:`\rho \ge V^*_s - V_s(x_s)\ \forall s`, the worst
  regret (:math:`\rho` free: a sample's own plan is optimal only within the gap).

Besides the robust plan, each sample's own best plan is kept, so that the robust plan can be
read against it: its cost in each sample over that sample's optimum and the hubs that differ.
The independent check is :func:`~optimizer.models.hubs.robust_check.check_robust_hubs`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.models.hubs.data import HubData, HubResult
from optimizer.models.hubs.robust_fixed import SOURCE, Outcome, fix_hubs, seconds_left
from optimizer.models.hubs.robust_joint import joint_plan
from optimizer.models.hubs.robust_subsets import MAX_FREE_HUBS, subset_plan
from optimizer.models.hubs.solve import solve_hubs
from optimizer.results import Status, worst_status
from optimizer.solver import SolverName

__all__ = [
    "MAX_FREE_HUBS",
    "Method",
    "Objective",
    "RobustHubResult",
    "fix_hubs",
    "sample_weights",
    "solve_robust_hubs",
]

Objective = Literal["expected", "regret"]
Method = Literal["auto", "joint", "subsets"]


@dataclass(frozen=True, eq=False)
class RobustHubResult:
    """The robust plan, its second stage in each sample, and each sample's own best plan.

    ``objective`` is the expected net value (``kind == "expected"``, maximised; ``bound`` is an
    upper bound on it) or the worst regret (``kind == "regret"``, minimised; ``bound`` is a
    lower bound on it). ``plans[s]`` is the robust plan in sample ``s`` (its ``open_hubs`` are
    ``open_hubs``); ``own[s]`` is sample ``s`` solved alone. ``weights`` sum to 1.
    """

    kind: Objective
    status: Status
    objective: float
    bound: float
    gap: float
    runtime_s: float
    open_hubs: tuple[int, ...]
    n_hubs: int
    weights: np.ndarray
    plans: tuple[HubResult, ...]
    own: tuple[HubResult, ...]
    solver: str = ""
    message: str = ""

    @property
    def net_values(self) -> np.ndarray:
        """The robust plan's net value in each sample."""
        return np.array([p.objective for p in self.plans], dtype=float)

    @property
    def own_values(self) -> np.ndarray:
        """Each sample's own best net value."""
        return np.array([p.objective for p in self.own], dtype=float)

    @property
    def expected_net_value(self) -> float:
        """The robust plan's expected net value over the samples."""
        return float(self.weights @ self.net_values) if self.plans else math.nan

    @property
    def regrets(self) -> np.ndarray:
        """What the robust plan gives up in each sample against that sample's own plan."""
        return self.own_values - self.net_values

    @property
    def worst_regret(self) -> float:
        return float(self.regrets.max()) if self.plans else math.nan

    def comparison(self) -> pd.DataFrame:
        """One row per sample: the robust plan against the sample's own best plan.

        Columns: ``sample, weight, robust_net_value, own_net_value, regret`` (own minus
        robust, the extra cost of the robust plan), ``regret_pct`` (of the own net value),
        ``hubs_added`` and ``hubs_dropped`` (hubs the robust plan opens that the own plan
        does not, and the reverse; positions), ``robust_status, own_status, own_gap``.
        """
        robust = set(self.open_hubs)
        rows = []
        for s, (plan, own) in enumerate(zip(self.plans, self.own, strict=True)):
            regret = own.objective - plan.objective
            mine = set(own.open_hubs)
            rows.append(
                {
                    "sample": s,
                    "weight": float(self.weights[s]),
                    "robust_net_value": plan.objective,
                    "own_net_value": own.objective,
                    "regret": regret,
                    "regret_pct": 100 * regret / abs(own.objective) if own.objective else 0.0,
                    "hubs_added": tuple(sorted(robust - mine)),
                    "hubs_dropped": tuple(sorted(mine - robust)),
                    "robust_status": plan.status.value,
                    "own_status": own.status.value,
                    "own_gap": own.gap,
                }
            )
        return pd.DataFrame(rows)

    def frequency(self) -> pd.DataFrame:
        """One row per candidate hub: ``hub, robust_open, own_open`` (in how many samples'
        own plans it is open) and ``own_open_share`` (weighted by the sample weights)."""
        n_h = self.n_hubs
        counts = np.zeros(n_h)
        share = np.zeros(n_h)
        for s, own in enumerate(self.own):
            counts[list(own.open_hubs)] += 1
            share[list(own.open_hubs)] += self.weights[s]
        return pd.DataFrame(
            {
                "hub": np.arange(n_h),
                "robust_open": [h in self.open_hubs for h in range(n_h)],
                "own_open": counts.astype(int),
                "own_open_share": share,
            }
        )

    def summary(self) -> str:
        if not self.status.has_solution:
            return f"robust hubs: {self.status.value}. {self.message}".strip()
        gap = "" if self.status is Status.OPTIMAL else f", gap {self.gap:.3%}"
        what = (
            f"expected net value {self.objective:,.2f}"
            if self.kind == "expected"
            else f"worst regret {self.objective:,.2f}"
        )
        return (
            f"robust hubs ({self.kind}): {self.status.value}, {what}{gap}; "
            f"hubs open {list(self.open_hubs)} in all {len(self.plans)} samples; "
            f"expected net value {self.expected_net_value:,.2f}, worst regret "
            f"{self.worst_regret:,.2f}; {self.runtime_s:.2f} s ({self.solver})"
        )


def sample_weights(n: int, weights: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """The samples' probabilities: equal when ``weights`` is None, else ``weights`` scaled to
    sum to 1 (they must be finite, non-negative and not all zero)."""
    if n < 1:
        raise InputError(Problem(SOURCE, "at least one sample", column="samples", value=n))
    if weights is None:
        return np.full(n, 1.0 / n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise InputError(
            Problem(SOURCE, f"one weight per sample ({n})", column="weights", value=w.shape)
        )
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InputError(
            Problem(
                SOURCE,
                "finite weights ≥ 0, not all zero",
                column="weights",
                value=", ".join(f"{x:g}" for x in w),
            )
        )
    return np.asarray(w / w.sum())


def solve_robust_hubs(
    samples: Sequence[HubData],
    *,
    objective: Objective = "expected",
    weights: Sequence[float] | np.ndarray | None = None,
    method: Method = "auto",
    time_limit: float = 60.0,
    gap: float = 1e-4,
    solver: SolverName = "auto",
    own: Sequence[HubResult] | None = None,
) -> RobustHubResult:
    """Open hubs once for all samples, the rest adapting per sample (module docstring).

    Parameters
    ----------
    samples
        The futures, each a network over the same candidate hubs (same number, same existing
        hubs).
    objective
        ``"expected"``: most expected net value (least expected cost); ``"regret"``: least
        worst regret against each sample's own optimum.
    weights
        Sample probabilities (scaled to sum to 1); equal when omitted.
    method
        ``"joint"``: the deterministic equivalent MILP; ``"subsets"``: branch and bound over
        the hub subsets (:mod:`~optimizer.models.hubs.robust_subsets`); ``"auto"``: subsets
        when at most ``MAX_FREE_HUBS`` hubs are still to decide, else joint.
    time_limit
        Seconds for the whole run: the samples solved alone, then the robust plan.
    gap
        Relative gap at which each solve, and the robust plan, may stop. For the regret it is
        relative to the largest own net value (a regret may be zero).
    own
        Each sample's own plan, when already solved (otherwise solved here).
    """
    start = time.perf_counter()
    if objective not in ("expected", "regret"):
        raise InputError(
            Problem(SOURCE, "'expected' or 'regret'", column="objective", value=objective)
        )
    if method not in ("auto", "joint", "subsets"):
        raise InputError(
            Problem(SOURCE, "'auto', 'joint' or 'subsets'", column="method", value=method)
        )
    _validate(samples)
    w = sample_weights(len(samples), weights)
    deadline = start + time_limit
    if own is None:
        own = [
            solve_hubs(d, time_limit=seconds_left(deadline), gap=gap, solver=solver)
            for d in samples
        ]
    elif len(own) != len(samples):
        raise InputError(Problem(SOURCE, "one own plan per sample", column="own", value=len(own)))
    own = tuple(own)
    planless = [s for s, r in enumerate(own) if not r.status.has_solution]
    if planless:
        status = worst_status(own[s].status for s in planless)
        message = f"sample {planless[0]} has no plan of its own: {own[planless[0]].message}"
        return _result(objective, samples, w, own, start, Outcome(
            status, math.nan, math.nan, math.inf, (), (), "", message))  # fmt: skip
    free = int((~samples[0].existing_mask).sum())
    if method == "subsets" or (method == "auto" and free <= MAX_FREE_HUBS):
        outcome = subset_plan(samples, w, objective, own, deadline=deadline, gap=gap, solver=solver)
    else:
        values = np.array([r.objective for r in own])
        outcome = joint_plan(
            samples, w, objective, values, deadline=deadline, gap=gap, solver=solver
        )
    return _result(objective, samples, w, own, start, outcome)


def _result(
    kind: Objective,
    samples: Sequence[HubData],
    weights: np.ndarray,
    own: tuple[HubResult, ...],
    start: float,
    outcome: Outcome,
) -> RobustHubResult:
    return RobustHubResult(
        kind=kind,
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        runtime_s=time.perf_counter() - start,
        open_hubs=outcome.open_hubs,
        n_hubs=samples[0].n_hubs,
        weights=weights,
        plans=outcome.plans,
        own=own,
        solver=outcome.solver,
        message=outcome.message,
    )


def _validate(samples: Sequence[HubData]) -> None:
    if not samples:
        raise InputError(Problem(SOURCE, "at least one sample", column="samples", value=0))
    first = samples[0]
    for s, data in enumerate(samples):
        if not isinstance(data, HubData):
            raise InputError(
                Problem(SOURCE, "hub networks (HubData)", row=s, value=type(data).__name__)
            )
        if data.n_hubs != first.n_hubs:
            raise InputError(
                Problem(
                    SOURCE,
                    f"the same {first.n_hubs} candidate hubs in every sample",
                    row=s,
                    column="hubs",
                    value=data.n_hubs,
                )
            )
        if not np.array_equal(data.existing_mask, first.existing_mask):
            raise InputError(
                Problem(
                    SOURCE,
                    "the same existing hubs in every sample",
                    row=s,
                    column="hub_existing",
                    value=str(np.flatnonzero(data.existing_mask).tolist()),
                )
            )
