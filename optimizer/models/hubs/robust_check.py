"""The independent check of a robust hub plan: fix its hubs, re-plan and verify each sample.

Nothing of the joint model is trusted: every sample is solved again on its own with the first
stage fixed (:func:`~optimizer.models.hubs.robust.fix_hubs`), each plan and each sample's own
plan is verified by :func:`~optimizer.models.hubs.check_hubs`, and the expected net value and
the worst regret are recomputed from those plans.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from optimizer.models.hubs.check import check_hubs
from optimizer.models.hubs.data import HubData
from optimizer.models.hubs.robust import RobustHubResult, fix_hubs
from optimizer.models.hubs.solve import solve_hubs
from optimizer.results import Check

__all__ = ["check_robust_hubs"]


def check_robust_hubs(
    samples: Sequence[HubData],
    result: RobustHubResult,
    *,
    time_limit: float = 60.0,
    gap: float = 1e-6,
) -> Check:
    """Verify a robust plan sample by sample and recompute its objective.

    Checks, for every sample: the robust plan's second stage opens exactly the robust hubs
    and passes :func:`check_hubs`; the sample's own plan passes :func:`check_hubs`; the
    sample re-solved with the hubs fixed (``time_limit`` and ``gap`` per solve) passes
    :func:`check_hubs` and its proven bound is not below the second stage's net value (else
    the joint model's plan would be better than possible). Then the expected net value and the
    worst regret, recomputed from the re-solved plans, must lie within the reported
    objective's bound.

    Returns
    -------
    Check
        ``cost`` is the recomputed objective of ``result.kind`` (expected net value, or worst
        regret); ``figures`` holds ``expected_net_value`` and ``worst_regret`` (re-solved
        plans) and ``expected_net_value_reported``.
    """
    problems: list[str] = []
    if not result.status.has_solution:
        return Check(("the robust run has no plan to check",), math.nan)
    if len(result.plans) != len(samples) or len(result.own) != len(samples):
        return Check((f"{len(samples)} samples but {len(result.plans)} plans",), math.nan)
    robust = set(result.open_hubs)
    resolved = np.zeros(len(samples))
    for s, data in enumerate(samples):
        plan, own = result.plans[s], result.own[s]
        if set(plan.open_hubs) != robust:
            problems.append(f"sample {s}: opens {sorted(plan.open_hubs)}, not {sorted(robust)}")
        for name, checked in (("robust plan", plan), ("own plan", own)):
            found = check_hubs(data, checked)
            problems += [f"sample {s}, {name}: {p}" for p in found.problems]
        fixed = fix_hubs(data, result.open_hubs)
        again = solve_hubs(fixed, time_limit=time_limit, gap=gap)
        if not again.status.has_solution:
            problems.append(f"sample {s}: no plan with the hubs fixed ({again.status.value})")
            resolved[s] = math.nan
            continue
        problems += [f"sample {s}, re-solved: {p}" for p in check_hubs(fixed, again).problems]
        resolved[s] = again.objective
        tol = 1e-6 * max(1.0, abs(again.objective))
        if plan.objective > again.bound + tol:
            problems.append(
                f"sample {s}: the robust plan's net value {plan.objective:,.2f} is above "
                f"the bound {again.bound:,.2f} proven with its hubs fixed"
            )
    expected = float(result.weights @ resolved)
    regret = float(np.max(result.own_values - resolved))
    figures = {
        "expected_net_value": expected,
        "worst_regret": regret,
        "expected_net_value_reported": result.expected_net_value,
    }
    problems += _against_bound(result, expected, regret, resolved)
    cost = expected if result.kind == "expected" else regret
    return Check(tuple(problems), cost, figures)


def _against_bound(
    result: RobustHubResult, expected: float, regret: float, resolved: np.ndarray
) -> list[str]:
    """The recomputed objective may not beat the reported bound, and the reported objective
    must be what the plans say (both up to the solvers' tolerance)."""
    if np.isnan(resolved).any():
        return []
    problems = []
    scale = max(1.0, float(np.abs(resolved).max()))
    tol = 1e-6 * scale
    if abs(result.expected_net_value - float(result.weights @ result.net_values)) > tol:
        problems.append("the expected net value differs from its samples' weighted sum")
    if result.kind == "expected":
        if expected > result.bound + tol:
            problems.append(
                f"re-solved expected net value {expected:,.2f} is above the reported bound "
                f"{result.bound:,.2f}"
            )
        if abs(result.objective - result.expected_net_value) > tol:
            problems.append(
                f"reported expected net value {result.objective:,.2f} differs from its "
                f"samples' {result.expected_net_value:,.2f}"
            )
    else:
        if regret < result.bound - tol:
            problems.append(
                f"re-solved worst regret {regret:,.2f} is below the reported bound "
                f"{result.bound:,.2f}"
            )
        if abs(result.objective - result.worst_regret) > tol:
            problems.append(
                f"reported worst regret {result.objective:,.2f} differs from its samples' "
                f"{result.worst_regret:,.2f}"
            )
    return problems
