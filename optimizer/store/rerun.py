"""Running a stored run again on its stored inputs: the same answer, or the difference explained.

:func:`rerun` rebuilds the scenario from the store, runs the model with the stored options,
and compares the KPIs side by side (:func:`~optimizer.pipeline.compare.compare_runs`, the
same table as ``optimizer compare``). A KPI differs when it moves by more than
:data:`RERUN_TOLERANCE` relative to its size; each difference comes with the reasons found:
a status other than optimal, a proven gap (another plan within the gap is as good), a
heuristic search, or package and solver versions other than those of the stored run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from optimizer.pipeline.compare import Comparison, compare_runs
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.run import ModelRun
from optimizer.store.records import StoredRun, versions
from optimizer.store.store import RunStore

__all__ = ["RERUN_TOLERANCE", "Rerun", "rerun"]

# relative to max(|stored|, 1): the golden test holds every model's figures to 1e-6
RERUN_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Rerun:
    """A stored run, the same model run again on its inputs, and what differs.

    ``differences`` has the KPI rows of ``comparison.kpis`` that moved beyond the tolerance;
    ``reasons`` says in words why the answers may differ (empty when they agree).
    """

    stored: StoredRun
    fresh: ModelRun
    comparison: Comparison
    differences: pd.DataFrame
    reasons: tuple[str, ...]

    @property
    def same(self) -> bool:
        """True when status and every KPI agree within the tolerance."""
        return self.differences.empty and self.stored.status is self.fresh.status


def rerun(store: RunStore, run_id: int, **options: Any) -> Rerun:
    """Run stored run ``run_id`` again on its stored scenario and options.

    ``options`` replace stored options of the same name (none by default).
    """
    stored = store.get(run_id)
    scenario = store.scenario(run_id)
    fresh = run_model(scenario, stored.model, **{**stored.options, **options})
    names = [f"run {run_id}", "rerun"]
    comparison = compare_runs([stored.run, fresh], names)
    kpis = comparison.kpis
    moved = [
        not _close(before, after)
        for before, after in zip(kpis[names[0]], kpis[names[1]], strict=True)
    ]
    differences = kpis[pd.Series(moved, index=kpis.index, dtype=bool)].reset_index(drop=True)
    same = differences.empty and stored.status is fresh.status
    return Rerun(stored, fresh, comparison, differences, () if same else _reasons(stored, fresh))


def _close(before: float, after: float) -> bool:
    if math.isnan(before) or math.isnan(after):
        return math.isnan(before) and math.isnan(after)
    return abs(after - before) <= RERUN_TOLERANCE * max(abs(before), 1.0)


def _reasons(stored: StoredRun, fresh: ModelRun) -> tuple[str, ...]:
    reasons = []
    if stored.status is not fresh.status:
        reasons.append(f"the status changed: {stored.status.value} -> {fresh.status.value}")
    for status, when in ((stored.status, "stored run"), (fresh.status, "rerun")):
        if status.value == "feasible":
            reasons.append(
                f"the {when} is feasible, not proven optimal: the search stopped at its "
                "time or gap limit, so another plan as good or better may be found"
            )
    gap = getattr(fresh.result, "gap", None)
    for value, when in ((stored.gap, "stored run"), (gap, "rerun")):
        if value is not None and math.isfinite(value) and value > 0:
            reasons.append(
                f"the {when} was solved to a gap of {value:.4%}: plans within that gap are "
                "equally acceptable answers and may differ in their figures"
            )
    if stored.gap is None and stored.status.has_solution and stored.model == "routes":
        reasons.append(
            "routes come from a heuristic search: without an iteration cap its result "
            "depends on the time it gets, hence on the machine's load"
        )
    now = versions()
    changed = [
        f"{name} {stored.versions[name]} -> {now[name]}"
        for name in sorted(set(stored.versions) & set(now))
        if stored.versions[name] != now[name]
    ]
    if changed:
        reasons.append("other versions than the stored run's: " + ", ".join(changed))
    if not reasons:
        reasons.append(
            "no known cause: same status, proven optimal, same versions (please report it)"
        )
    return tuple(reasons)
