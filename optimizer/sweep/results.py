"""A sweep's results as tables: distributions, sensitivities, members, hubs and corridors.

Every table is built from the samples' :class:`~optimizer.sweep.record.SampleResult` alone, so
a resumed sweep's results are those of one run straight through. The sensitivity of a KPI to
an input compares the KPI's mean where the input is low with its mean where it is high: the
lowest and highest quarter of its values for a number (a grid's ends, a draw's tails), its
two values for a yes/no or a two-value list, and its worst and best value otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimizer.sweep.record import SampleResult

__all__ = [
    "QUANTILES",
    "SweepTables",
    "corridor_use",
    "hub_use",
    "kpi_distribution",
    "member_gains",
    "sample_table",
    "sensitivity",
    "sweep_tables",
]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class SweepTables:
    """The tables of a sweep's results, by the names they are written under."""

    samples: pd.DataFrame
    kpis: pd.DataFrame
    sensitivity: pd.DataFrame
    members: pd.DataFrame
    hubs: pd.DataFrame
    corridors: pd.DataFrame

    def as_dict(self) -> dict[str, pd.DataFrame]:
        """The non-empty tables by name, in the order they are written."""
        tables = {
            "kpis": self.kpis,
            "sensitivity": self.sensitivity,
            "members": self.members,
            "hubs": self.hubs,
            "corridors": self.corridors,
            "samples": self.samples,
        }
        return {name: frame for name, frame in tables.items() if not frame.empty}


def sweep_tables(results: Sequence[SampleResult]) -> SweepTables:
    """Every table of a sweep's results."""
    return SweepTables(
        samples=sample_table(results),
        kpis=kpi_distribution(results),
        sensitivity=sensitivity(results),
        members=member_gains(results),
        hubs=hub_use(results),
        corridors=corridor_use(results),
    )


def sample_table(results: Sequence[SampleResult]) -> pd.DataFrame:
    """One row per sample: its number, run id, status, what varied and each KPI."""
    rows = []
    for result in results:
        row: dict[str, Any] = {
            "sample": result.index,
            "run_id": result.run_id,
            "status": result.status,
        }
        row.update({f"input: {k}": v for k, v in result.inputs.items()})
        row.update({f"kpi: {k}": v for k, v in result.kpis.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def kpi_distribution(results: Sequence[SampleResult]) -> pd.DataFrame:
    """Per KPI: its unit, number of samples, mean, standard deviation, min, quantiles, max."""
    rows = []
    for kpi, unit in _kpis(results).items():
        values = np.array([r.kpis[kpi] for r in results if kpi in r.kpis], dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        row: dict[str, object] = {
            "kpi": kpi,
            "unit": unit,
            "samples": int(values.size),
            "mean": float(values.mean()),
            "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "min": float(values.min()),
        }
        for q in QUANTILES:
            row[f"p{round(q * 100):02d}"] = float(np.quantile(values, q))
        row["max"] = float(values.max())
        rows.append(row)
    return pd.DataFrame(rows)


def sensitivity(results: Sequence[SampleResult]) -> pd.DataFrame:
    """Per KPI and varied input: the KPI's mean at the input's low and at its high end.

    ``swing`` is high minus low (in the KPI's unit); rows are sorted by KPI, then by the
    size of the swing, largest first. Inputs that did not vary are left out.
    """
    if not results:
        return pd.DataFrame()
    inputs = pd.DataFrame([dict(r.inputs) for r in results])
    kpis = pd.DataFrame([dict(r.kpis) for r in results])
    rows = []
    for name in inputs.columns:
        column = inputs[name]
        groups = _low_high(column)
        if groups is None:
            continue
        (low_value, low), (high_value, high) = groups
        for kpi in kpis.columns:
            at_low = float(kpis.loc[low, kpi].mean())
            at_high = float(kpis.loc[high, kpi].mean())
            rows.append(
                {
                    "kpi": kpi,
                    "input": name,
                    "low": low_value,
                    "high": high_value,
                    "kpi_at_low": at_low,
                    "kpi_at_high": at_high,
                    "swing": at_high - at_low,
                    "samples_low": int(low.sum()),
                    "samples_high": int(high.sum()),
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["_size"] = frame["swing"].abs()
    frame["_order"] = frame["kpi"].map({k: i for i, k in enumerate(kpis.columns)})
    frame = frame.sort_values(["_order", "_size"], ascending=[True, False], kind="stable")
    return frame.drop(columns=["_size", "_order"]).reset_index(drop=True)


def _low_high(column: pd.Series) -> tuple[tuple[str, pd.Series], tuple[str, pd.Series]] | None:
    """(label, mask) of the low and the high samples of one input, or None if it is constant."""
    present = column.dropna()
    levels = list(dict.fromkeys(present))
    if len(levels) < 2:
        return None
    numeric = all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
        for v in levels
    )
    if numeric and len(levels) > 2:
        values = column.astype(float)
        q_low, q_high = np.quantile(values.dropna(), [0.25, 0.75])
        low, high = values <= q_low, values >= q_high
        return (f"<= {q_low:.4g}", low), (f">= {q_high:.4g}", high)
    if len(levels) == 2:
        ordered = levels if not numeric and not _all_bool(levels) else sorted(levels)
        low_value, high_value = ordered
        return (str(low_value), column == low_value), (str(high_value), column == high_value)
    # a text input of several values (a missing buyer): "none" against any of the others
    if "none" in levels:
        return ("none", column == "none"), ("any other", column != "none")
    return None


def _all_bool(levels: list[object]) -> bool:
    return all(isinstance(v, bool | np.bool_) for v in levels)


def member_gains(results: Sequence[SampleResult]) -> pd.DataFrame:
    """Per member: in how many samples they gain, and the distribution of their figure.

    The figure is the run's per-member value (``value_label`` says what it is); a member
    gains where it is above zero, when higher is better.
    """
    frames = [r.per_member.assign(sample=r.index) for r in results if not r.per_member.empty]
    if not frames:
        return pd.DataFrame()
    first = results[0]
    values = pd.concat(frames, ignore_index=True)
    values["value"] = values["value"].astype(float)
    rows = []
    for (member, coop), group in values.groupby(["member", "cooperative"], sort=False):
        figures = group["value"].to_numpy(float)
        row: dict[str, object] = {
            "member": member,
            "cooperative": coop,
            "figure": first.value_label,
            "samples": int(figures.size),
        }
        if first.value_higher_is_better:
            gaining = figures > 1e-9
            row["samples_gaining"] = int(gaining.sum())
            row["share_gaining"] = float(gaining.mean())
            row["mean_gain_when_gaining"] = float(figures[gaining].mean()) if gaining.any() else 0.0
        row["mean"] = float(figures.mean())
        for q in (0.05, 0.5, 0.95):
            row[f"p{round(q * 100):02d}"] = float(np.quantile(figures, q))
        rows.append(row)
    return pd.DataFrame(rows)


def hub_use(results: Sequence[SampleResult]) -> pd.DataFrame:
    """Per hub opened in any sample: in how many samples (and which share) it is open."""
    if not any(r.hubs_open for r in results):
        return pd.DataFrame()
    counts: dict[str, int] = {}
    for result in results:
        for hub in result.hubs_open:
            counts[hub] = counts.get(hub, 0) + 1
    frame = pd.DataFrame({"hub": list(counts), "samples_open": list(counts.values())})
    frame["share_open"] = frame["samples_open"] / len(results)
    return frame.sort_values(["share_open", "hub"], ascending=[False, True]).reset_index(drop=True)


def corridor_use(results: Sequence[SampleResult]) -> pd.DataFrame:
    """Per corridor (hub to buyer) used in any sample: how often, and its trucks when used."""
    used: dict[tuple[str, str], list[float]] = {}
    for result in results:
        for hub, buyer, trucks in result.corridors:
            used.setdefault((hub, buyer), []).append(trucks)
    if not used:
        return pd.DataFrame()
    frame = pd.DataFrame(
        [
            {
                "hub": hub,
                "buyer": buyer,
                "samples_used": len(trucks),
                "share_used": len(trucks) / len(results),
                "mean_trucks_when_used": float(np.mean(trucks)),
                "max_trucks": float(np.max(trucks)),
            }
            for (hub, buyer), trucks in used.items()
        ]
    )
    return frame.sort_values(
        ["share_used", "hub", "buyer"], ascending=[False, True, True]
    ).reset_index(drop=True)


def _kpis(results: Sequence[SampleResult]) -> dict[str, str]:
    units: dict[str, str] = {}
    for result in results:
        for kpi in result.kpis:
            units.setdefault(kpi, result.units.get(kpi, ""))
    return units
