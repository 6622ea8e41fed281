"""What the store gives back: :class:`StoredRun` (one run, whole) and :class:`RunSummary`.

A :class:`StoredRun` holds everything recorded about a run: its inputs (settings and tables),
overrides and options, status, gap, the checker's verdict, KPIs with units, result tables,
map layers, runtime, versions, time and label; :attr:`StoredRun.run` gives it back as the
:class:`~optimizer.pipeline.run.ModelRun` every face reads, so exporting and comparing stored
runs is the same code as for fresh ones. A :class:`RunSummary` is one row of a listing: the
run's header and KPI values, without its tables.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from optimizer.results import Kpi, Status

if TYPE_CHECKING:  # pandas and the pipeline only when a run is read whole: listing is fast
    import pandas as pd

    from optimizer.pipeline.run import ModelRun

__all__ = [
    "RunSummary",
    "StoredRun",
    "as_utc",
    "gap_of",
    "kpi_value",
    "verdict_of",
    "versions",
]

_PACKAGES = ("coop-optimizer", "numpy", "pandas", "scipy", "pulp", "highspy", "ortools", "pyvrp")
_VERSIONS: dict[str, str] = {}


def as_utc(moment: datetime) -> datetime:
    """A stored (naive UTC) time as an aware UTC time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def versions() -> dict[str, str]:
    """The package and solver versions a run is recorded with."""
    if not _VERSIONS:
        _VERSIONS["python"] = sys.version.split()[0]
        for name in _PACKAGES:
            try:
                _VERSIONS[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                _VERSIONS[name] = "not installed"
    return dict(_VERSIONS)


def gap_of(run: ModelRun) -> float | None:
    """The solver's relative gap of a run (None where no bound was proven)."""
    gap = getattr(run.result, "gap", None)
    if gap is None:
        gap = getattr(getattr(run.result, "report", None), "gap", None)
    if gap is None or not math.isfinite(float(gap)):
        return None
    return float(gap)


def verdict_of(run: ModelRun) -> str:
    """The independent checker's verdict on a run, in words.

    Every adapter runs the model's checker and refuses a plan that fails it, so a run with a
    plan has passed its check; a run without one had nothing to check.
    """
    if run.status.has_solution:
        return "passed: the plan was recomputed from its decisions by the independent checker"
    return f"nothing to check: no plan ({run.status.value})"


@dataclass(frozen=True)
class RunSummary:
    """One stored run as a listing shows it: its header and KPI values (by KPI name)."""

    id: int
    created_at: datetime
    model: str
    scenario: str
    scenario_hash: str
    label: str | None
    status: Status
    gap: float | None
    runtime_s: float
    sweep_id: int | None
    sample: int | None
    kpis: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredRun:
    """Everything the store holds about one run.

    ``inputs`` has ``settings`` (the scenario's ``scenario.yaml`` content), ``tables`` (each
    input table as a DataFrame of its CSV cells) and ``roads`` (``{"hash", "name"}`` or
    None); :meth:`optimizer.store.RunStore.scenario` rebuilds the validated scenario from them.
    ``gap`` is None where no bound was proven (a heuristic, or no plan).
    """

    id: int
    created_at: datetime
    label: str | None
    model: str
    scenario_name: str
    scenario_hash: str
    inputs: Mapping[str, Any]
    overrides: Mapping[str, Any]
    options: Mapping[str, Any]
    status: Status
    gap: float | None
    verdict: str
    summary: str
    warnings: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    tables: Mapping[str, pd.DataFrame]
    layers: Mapping[str, list[dict[str, Any]]]
    per_member: pd.DataFrame
    value_label: str
    value_higher_is_better: bool
    runtime_s: float
    versions: Mapping[str, str]
    sweep_id: int | None = None
    sample: int | None = None

    @property
    def run(self) -> ModelRun:
        """The run as the faces read it (no solver objects: ``result`` is None)."""
        from optimizer.pipeline.run import ModelRun

        return ModelRun(
            model=self.model,
            scenario=self.scenario_name,
            status=self.status,
            summary=self.summary,
            kpis=self.kpis,
            tables=dict(self.tables),
            layers=dict(self.layers),
            per_member=self.per_member,
            value_label=self.value_label,
            value_higher_is_better=self.value_higher_is_better,
            warnings=self.warnings,
            runtime_s=self.runtime_s,
            result=None,
        )

    def kpi_values(self) -> dict[str, float]:
        """Each KPI's value by its name."""
        return {k.label: k.value for k in self.kpis}


def kpi_value(value: float | None) -> float:
    """A stored KPI value (SQLite keeps NaN as NULL)."""
    return math.nan if value is None else float(value)
