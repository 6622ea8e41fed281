"""Variants side by side: KPIs with their changes against a base, and who wins or loses.

:func:`compare_runs` takes :class:`~optimizer.pipeline.run.ModelRun` objects of one model on a
base scenario (the first) and its variants and builds a :class:`Comparison`: a KPI table (a
row per KPI, a column per variant, the absolute and relative change of each variant against
the base) and a per-member table joined on the member id, from which the members gaining and
losing most are read. :func:`compare_scenarios` runs the model on each scenario first. The
CLI's ``optimizer compare`` and the app's Compare page both use these.

Float noise is no change: a figure within its unit's tolerance of zero is shown as 0, and a
change counts only when it is larger than the unit's absolute tolerance
(:data:`MONEY_TOLERANCE` in money, :data:`OTHER_TOLERANCE` in any other unit) plus
:data:`RELATIVE_TOLERANCE` of the larger of the two figures; a relative change (%) is given
only when the base is above the tolerance. The summary ends with that rule
(:data:`TOLERANCE_NOTE`); ``docs/compare.md`` explains it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.io.format import format_number
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi, Status
from optimizer.scenario.scenario import Scenario

__all__ = [
    "MONEY_TOLERANCE",
    "OTHER_TOLERANCE",
    "RELATIVE_TOLERANCE",
    "TOLERANCE_NOTE",
    "Comparison",
    "change_columns",
    "compare_runs",
    "compare_scenarios",
    "tolerance",
]

#: Absolute tolerance in money (half a cent): the models' figures are sums of float products,
#: and a solver's optimum is exact only to about 1e-9 of its scale.
MONEY_TOLERANCE = 0.005
#: Absolute tolerance in every other unit (km, h, min, %, counts, quantities).
OTHER_TOLERANCE = 1e-6
#: Relative tolerance, of the larger of the two figures compared.
RELATIVE_TOLERANCE = 1e-9
#: Units that are not money; any other unit (a KPI's currency code) is money.
_NOT_MONEY = frozenset(
    {"", "%", "km", "h", "min", "t", "kg", "units", "members", "member × product"}
    | {"trucks", "hubs", "routes", "stops"}
)
TOLERANCE_NOTE = (
    f"changes of at most {MONEY_TOLERANCE:g} in money or {OTHER_TOLERANCE:g} in other units "
    f"(plus {RELATIVE_TOLERANCE:g} of the figure) count as none, and figures that close to 0 "
    "are shown as 0; a change in % is given only where the base is above that tolerance."
)


def tolerance(unit: str) -> float:
    """The absolute tolerance of a figure in ``unit``: below it, a change is float noise."""
    return OTHER_TOLERANCE if unit in _NOT_MONEY else MONEY_TOLERANCE


def change_columns(name: str) -> tuple[str, str]:
    """The KPI table's columns holding a variant's absolute and relative (%) change."""
    return f"{name}: change", f"{name}: change %"


@dataclass(frozen=True)
class Comparison:
    """One model's results on a base and its variants, side by side.

    ``kpis`` has columns ``kpi``, ``unit``, ``higher_is_better`` (True, False or None where
    neither way is better), one per variant name (the base first) and, for
    each variant after the base, ``"NAME: change"`` (variant − base) and ``"NAME: change %"``
    (100 × change / |base|; NaN where the base is within tolerance of 0 and the variant is
    not). Figures and changes within :func:`tolerance` are 0 (see the module's docstring).
    ``per_member`` has ``member``, ``cooperative``, one value column per variant name and a
    ``"NAME: change"`` column per variant after the base (NaN where a member is missing
    from one side); member values are money. ``member_gain_sign`` is +1 when a larger value
    is better for the member (savings, income) and −1 when it is worse (a bill).
    """

    model: str
    names: tuple[str, ...]
    statuses: Mapping[str, Status]
    kpis: pd.DataFrame
    per_member: pd.DataFrame
    value_label: str = "value"
    member_gain_sign: int = 1
    warnings: tuple[str, ...] = field(default=())

    @property
    def base(self) -> str:
        return self.names[0]

    def member_gains(self, variant: str | None = None) -> pd.DataFrame:
        """Members with what the variant changes for them, the best-off first.

        Columns ``member``, ``cooperative``, ``base``, ``variant``, ``change`` and ``gain``
        (``change`` turned so that a positive gain is good for the member).
        """
        name = self._variant(variant)
        frame = self.per_member
        out = pd.DataFrame(
            {
                "member": frame["member"],
                "cooperative": frame["cooperative"],
                "base": frame[self.base],
                "variant": frame[name],
                "change": frame[change_columns(name)[0]],
            }
        )
        out["gain"] = out["change"] * self.member_gain_sign
        out = out.dropna(subset=["gain"])
        return out.sort_values(["gain", "member"], ascending=[False, True]).reset_index(drop=True)

    def winners(self, variant: str | None = None, *, n: int = 5) -> pd.DataFrame:
        """The ``n`` members who gain most from the variant (only those who gain)."""
        gains = self.member_gains(variant)
        return gains[gains["gain"] > 0].head(n).reset_index(drop=True)

    def losers(self, variant: str | None = None, *, n: int = 5) -> pd.DataFrame:
        """The ``n`` members who lose most from the variant (only those who lose)."""
        gains = self.member_gains(variant)
        lost = gains[gains["gain"] < 0].sort_values(["gain", "member"], ascending=[True, True])
        return lost.head(n).reset_index(drop=True)

    def summary(self, *, max_kpis: int = 8, n_members: int = 3) -> str:
        """The comparison in a few sentences."""
        lines = [f"{self.model}: {len(self.names) - 1} variant(s) against '{self.base}'."]
        for name, status in self.statuses.items():
            if not status.has_solution:
                lines.append(f"'{name}' has no solution ({status.value}).")
        for name in self.names[1:]:
            lines.append(f"'{name}':")
            change, percent = change_columns(name)
            shown = 0
            for values in self.kpis.to_dict(orient="records"):
                before, after = values[self.base], values[name]
                if _missing(before) or _missing(after) or shown >= max_kpis:
                    continue
                delta, rel = values[change], values[percent]
                unit = f" {values['unit']}" if values["unit"] else ""
                if delta == 0:
                    lines.append(f"  {values['kpi']}: unchanged at {format_number(after)}{unit}")
                else:
                    rel_text = "" if _missing(rel) else f", {format_number(rel, '%', sign=True)}"
                    lines.append(
                        f"  {values['kpi']}: {format_number(before)} -> {format_number(after)}"
                        f"{unit} ({format_number(delta, sign=True)}{unit}{rel_text})"
                    )
                shown += 1
            if not self.per_member.empty:
                lines.extend(self._member_lines(name, n_members))
        lines.extend(f"note: {w}" for w in self.warnings)
        lines.append(f"note: {TOLERANCE_NOTE}")
        return "\n".join(lines)

    def _member_lines(self, name: str, n: int) -> list[str]:
        gains = self.member_gains(name)
        if gains.empty:
            return []
        up = int((gains["gain"] > 0).sum())
        down = int((gains["gain"] < 0).sum())
        lines = [
            f"  members ({self.value_label}): {up} better off, {down} worse off, "
            f"{len(gains) - up - down} unchanged"
        ]
        best, worst = self.winners(name, n=n), self.losers(name, n=n)
        for title, frame in (("gain most", best), ("lose most", worst)):
            if not frame.empty:
                items = ", ".join(
                    f"{r.member} ({r.cooperative}) {format_number(r.gain, sign=True)}"
                    for r in frame.itertuples()
                )
                lines.append(f"  {title}: {items}")
        return lines

    def _variant(self, variant: str | None) -> str:
        if len(self.names) < 2:
            raise ValueError("a comparison needs at least one variant besides the base")
        if variant is None:
            return self.names[1]
        if variant not in self.names[1:]:
            raise KeyError(f"no variant {variant!r}; the variants are {', '.join(self.names[1:])}")
        return variant


def compare_runs(
    runs: Sequence[ModelRun],
    names: Sequence[str],
    *,
    higher_better: bool | None = None,
) -> Comparison:
    """Compare runs of one model: the first is the base, the others its variants.

    Parameters
    ----------
    runs
        :class:`~optimizer.pipeline.run.ModelRun` objects of the same model.
    names
        One distinct name per run, used as column names.
    higher_better
        Whether a larger per-member value is good for the member; the base run's
        ``value_higher_is_better`` when not given.
    """
    runs = list(runs)
    names = [str(n) for n in names]
    _check(runs, names)
    model = runs[0].model
    kpis = _kpi_table(runs, names)
    label = runs[0].value_label
    better = runs[0].value_higher_is_better if higher_better is None else higher_better
    sign = 1 if better else -1
    notes: list[str] = []
    for name, run in zip(names, runs, strict=True):
        notes.extend(f"{name}: {w}" for w in run.warnings)
    return Comparison(
        model=model,
        names=tuple(names),
        statuses={n: r.status for n, r in zip(names, runs, strict=True)},
        kpis=kpis,
        per_member=_member_table(runs, names),
        value_label=label,
        member_gain_sign=sign,
        warnings=tuple(notes),
    )


def compare_scenarios(
    base: Scenario,
    variants: Sequence[Scenario],
    model: str,
    *,
    names: Sequence[str] | None = None,
) -> Comparison:
    """Run ``model`` on the base and on each variant, and compare the runs.

    ``names`` default to the scenarios' names (made distinct by a number where they repeat).
    """
    scenarios = [base, *variants]
    shown = list(names) if names is not None else _distinct([s.name for s in scenarios])
    if len(shown) != len(scenarios):
        raise InputError(
            Problem("names", f"one name per scenario ({len(scenarios)})", value=len(shown))
        )
    runs = [run_model(scenario, model) for scenario in scenarios]
    return compare_runs(runs, shown)


# --------------------------------------------------------------------- tables
def _check(runs: list[ModelRun], names: list[str]) -> None:
    problems = []
    if len(runs) < 1:
        problems.append(Problem("runs", "at least one run (the base)"))
    if len(names) != len(runs):
        problems.append(Problem("names", f"one name per run ({len(runs)})", value=len(names)))
    if len(set(names)) != len(names):
        problems.append(Problem("names", "distinct names", value=", ".join(names)))
    reserved = {"kpi", "unit", "higher_is_better", "member", "cooperative"}
    if reserved & set(names):
        problems.append(
            Problem("names", f"names other than {', '.join(sorted(reserved))}", value=names)
        )
    models = {r.model for r in runs}
    if len(models) > 1:
        problems.append(Problem("runs", "runs of one model", value=", ".join(sorted(models))))
    if problems:
        raise InputError(problems)


def _kpi_table(runs: list[ModelRun], names: list[str]) -> pd.DataFrame:
    first: dict[str, Kpi] = {}
    for run in runs:
        for kpi in run.kpis:
            first.setdefault(kpi.label, kpi)
    labels = list(first)
    table = pd.DataFrame(
        {
            "kpi": labels,
            "unit": [first[k].unit for k in labels],
            "higher_is_better": pd.Series(
                [first[k].higher_is_better for k in labels], dtype=object
            ),
        }
    )
    tol = np.array([tolerance(first[k].unit) for k in labels], dtype=float)
    for name, run in zip(names, runs, strict=True):
        figures = run.kpi_values()
        table[name] = _snap([_number(figures.get(k)) for k in labels], tol)
    base = table[names[0]].to_numpy(dtype=float) if labels else np.zeros(0)
    for name in names[1:]:
        change, percent = change_columns(name)
        values = table[name].to_numpy(dtype=float) if labels else np.zeros(0)
        delta = _change(values, base, tol)
        table[change] = delta
        table[percent] = [_relative(d, b, t) for d, b, t in zip(delta, base, tol, strict=True)]
    return table


def _member_table(runs: list[ModelRun], names: list[str]) -> pd.DataFrame:
    merged: pd.DataFrame | None = None
    for name, run in zip(names, runs, strict=True):
        frame = run.per_member
        if frame is None or frame.empty or "member" not in frame:
            frame = pd.DataFrame(columns=["member", "cooperative", "value"])
        part = pd.DataFrame(
            {
                "member": frame["member"].astype(str),
                "cooperative": (frame["cooperative"].astype(str) if "cooperative" in frame else ""),
                name: pd.to_numeric(frame["value"], errors="coerce").astype(float),
            }
        )
        part = part.groupby("member", as_index=False, sort=False).agg(
            cooperative=("cooperative", "first"), **{name: (name, "sum")}
        )
        if merged is None:
            merged = part
        else:
            merged = merged.merge(part, on="member", how="outer", suffixes=("", "_r"))
            merged["cooperative"] = merged["cooperative"].fillna(merged.pop("cooperative_r"))
    assert merged is not None
    # member values are money (savings, income, a bill)
    tol = np.full(len(merged), MONEY_TOLERANCE)
    for name in names:
        merged[name] = _snap(merged[name].to_numpy(dtype=float), tol)
    base = merged[names[0]].to_numpy(dtype=float)
    for name in names[1:]:
        merged[change_columns(name)[0]] = _change(merged[name].to_numpy(dtype=float), base, tol)
    return merged.sort_values("member").reset_index(drop=True)


def _number(value: object) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _snap(values: Sequence[float] | np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Figures within their tolerance of 0 as 0 (so 9.3e-10 reads 0, not a tiny number)."""
    out = np.asarray(values, dtype=float).copy()
    out[np.abs(out) <= tol] = 0.0
    return out


def _change(values: np.ndarray, base: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """``values − base``, 0 where it is within the absolute tolerance plus the relative one
    of the larger figure (NaN stays NaN: a figure missing on one side)."""
    delta = values - base
    scale = np.fmax(np.abs(values), np.abs(base))
    with np.errstate(invalid="ignore"):
        noise = np.abs(delta) <= tol + RELATIVE_TOLERANCE * scale
    delta[noise] = 0.0
    return delta


def _relative(delta: float, base: float, tol: float) -> float:
    """The change in % of the base; none (NaN) where the base is within tolerance of 0."""
    if math.isnan(delta) or math.isnan(base):
        return math.nan
    if delta == 0:
        return 0.0
    if abs(base) <= tol:
        return math.nan
    return 100.0 * delta / abs(base)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _distinct(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out
