"""Where a sweep's samples are kept: the run store, or memory for a throw-away sweep.

:class:`SampleResult` is what the sweep's results read of a run (KPIs, per-member figures,
open hubs, corridors used), made from a fresh :class:`~optimizer.pipeline.run.ModelRun` or
from a run read back from the store. :class:`StoreRecorder` is the one place that calls the
run store (``optimizer.store``); :class:`MemoryRecorder` keeps samples for the life of the
process (``--no-store``, tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd

from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario
from optimizer.sweep.worker import SampleOutput

__all__ = [
    "MemoryRecorder",
    "Recorder",
    "SampleResult",
    "StoreRecorder",
    "open_recorder",
    "result_of",
]


@dataclass(frozen=True)
class SampleResult:
    """What a sweep keeps of one sample's run.

    ``corridors`` are ``(hub, buyer, trucks)`` for the hubs model; ``hubs_open`` the hubs
    opened; both empty for the other models.
    """

    index: int
    inputs: Mapping[str, Any]
    status: str
    kpis: Mapping[str, float]
    units: Mapping[str, str]
    per_member: pd.DataFrame
    value_label: str = "value"
    value_higher_is_better: bool = True
    hubs_open: tuple[str, ...] = ()
    corridors: tuple[tuple[str, str, float], ...] = ()
    runtime_s: float = 0.0
    run_id: int | None = None


def result_of(
    index: int,
    inputs: Mapping[str, Any],
    run: ModelRun,
    run_id: int | None = None,
) -> SampleResult:
    """A :class:`SampleResult` from a fresh model run."""
    return SampleResult(
        index=index,
        inputs=dict(inputs),
        status=run.status.value,
        kpis=run.kpi_values(),
        units={k.label: k.unit for k in run.kpis},
        per_member=run.per_member[["member", "cooperative", "value"]].copy(),
        value_label=run.value_label,
        value_higher_is_better=run.value_higher_is_better,
        hubs_open=_hubs_open(run.tables),
        corridors=_corridors(run.tables),
        runtime_s=run.runtime_s,
        run_id=run_id,
    )


def _hubs_open(tables: Mapping[str, pd.DataFrame]) -> tuple[str, ...]:
    hubs = tables.get("hubs")
    if hubs is None or hubs.empty or "open" not in hubs:
        return ()
    return tuple(str(h) for h in hubs.loc[hubs["open"].astype(bool), "hub"])


def _corridors(tables: Mapping[str, pd.DataFrame]) -> tuple[tuple[str, str, float], ...]:
    corridors = tables.get("corridors")
    if corridors is None or corridors.empty or "trucks" not in corridors:
        return ()
    used = corridors[corridors["trucks"] > 0]
    return tuple(
        (str(h), str(b), float(t))
        for h, b, t in zip(used["hub"], used["buyer"], used["trucks"], strict=True)
    )


class Recorder(Protocol):
    """Keeps a sweep's samples as they finish and gives back those kept before."""

    def create_sweep(self, spec: Mapping[str, Any], model: str, label: str | None) -> int: ...

    def record(
        self, output: SampleOutput, sweep_id: int, options: Mapping[str, Any], base: Scenario
    ) -> int:
        """Keep one finished sample of the sweep on ``base``; returns its run id."""
        ...

    def done(self, sweep_id: int) -> set[int]:
        """The sample numbers already kept for ``sweep_id``."""
        ...

    def results(self, sweep_id: int) -> list[SampleResult]:
        """The samples kept for ``sweep_id``, as the results read them."""
        ...


@dataclass
class MemoryRecorder:
    """Samples kept in this process only (a throw-away sweep, or tests)."""

    sweeps: dict[int, dict[str, Any]] = field(default_factory=dict)
    kept: dict[int, dict[int, SampleResult]] = field(default_factory=dict)
    runs: int = 0

    def create_sweep(self, spec: Mapping[str, Any], model: str, label: str | None) -> int:
        sweep_id = len(self.sweeps) + 1
        self.sweeps[sweep_id] = {"spec": dict(spec), "model": model, "label": label}
        self.kept[sweep_id] = {}
        return sweep_id

    def record(
        self, output: SampleOutput, sweep_id: int, options: Mapping[str, Any], base: Scenario
    ) -> int:
        assert output.run is not None, "only finished samples are recorded"
        self.runs += 1
        index = output.index
        self.kept[sweep_id][index] = result_of(index, output.overrides, output.run, self.runs)
        return self.runs

    def done(self, sweep_id: int) -> set[int]:
        return set(self.kept.get(sweep_id, {}))

    def results(self, sweep_id: int) -> list[SampleResult]:
        return [self.kept[sweep_id][i] for i in sorted(self.kept.get(sweep_id, {}))]


class StoreRecorder:
    """Samples kept in the run store (``optimizer.store``), one run per sample, each sample's
    scenario as the sweep's base (stored once) and the sample's overrides."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def create_sweep(self, spec: Mapping[str, Any], model: str, label: str | None) -> int:
        return int(self.store.create_sweep(spec, model, label))

    def record(
        self, output: SampleOutput, sweep_id: int, options: Mapping[str, Any], base: Scenario
    ) -> int:
        from optimizer.store.codec import Variant

        assert output.run is not None, "only finished samples are recorded"
        return int(
            self.store.record(
                output.run,
                Variant(base, output.changes),
                overrides=dict(output.overrides),
                options=dict(options),
                label=f"sweep {sweep_id} sample {output.index}",
                sweep_id=sweep_id,
                sample=output.index,
            )
        )

    def done(self, sweep_id: int) -> set[int]:
        return set(self.store.sweep_samples_done(sweep_id))

    def results(self, sweep_id: int) -> list[SampleResult]:
        found = []
        for summary in self.store.list(sweep_id=sweep_id):
            stored = self.store.get(summary.id, inputs=False)
            found.append(_stored_result(stored))
        return sorted(found, key=lambda r: r.index)


def _stored_result(stored: Any) -> SampleResult:
    """A :class:`SampleResult` from a run read back from the store."""
    kpis = {k.label: k.value for k in stored.kpis}
    units = {k.label: k.unit for k in stored.kpis}
    tables = dict(stored.tables)
    per_member = stored.per_member
    if per_member is None or per_member.empty:
        per_member = pd.DataFrame(columns=["member", "cooperative", "value"])
    return SampleResult(
        index=int(stored.sample),
        inputs=dict(stored.overrides),
        status=stored.status.value,
        kpis=kpis,
        units=units,
        per_member=per_member,
        value_label=stored.value_label or "value",
        value_higher_is_better=bool(stored.value_higher_is_better),
        hubs_open=_hubs_open(tables),
        corridors=_corridors(tables),
        runtime_s=float(stored.runtime_s),
        run_id=int(stored.id),
    )


def open_recorder(url: str | None = None, *, keep: bool = True) -> Recorder:
    """Where a sweep keeps its samples: the run store at ``url`` (``None``: the default
    store), or memory only when ``keep`` is False (a throw-away sweep)."""
    if not keep:
        return MemoryRecorder()
    from optimizer.store import open_store

    return StoreRecorder(open_store(url))
