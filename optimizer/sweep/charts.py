"""A sweep's charts: each KPI's distribution (box plots) and its tornado of sensitivities.

Written as HTML (altair, interactive, the data inside the page) and PNG (matplotlib, for
reports). Both read only the tables of :mod:`optimizer.sweep.results`; files are written to a
temporary name and moved into place, so a stopped run leaves no half-written chart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.io.write import write_atomic
from optimizer.sweep.results import SweepTables

__all__ = ["MAX_TORNADO_INPUTS", "distribution_chart", "tornado_chart", "write_charts"]

MAX_TORNADO_INPUTS = 10
MAX_KPIS = 8


def write_charts(tables: SweepTables, folder: Path) -> list[Path]:
    """``distribution.html/.png`` and ``tornado.html/.png`` in ``folder`` (those with data)."""
    written: list[Path] = []
    values = _kpi_values(tables.samples)
    if not values.empty:
        written.append(write_atomic(folder / "distribution.html", _box_html(values)))
        written.append(write_atomic(folder / "distribution.png", _box_png(values)))
    bars = _tornado_rows(tables.sensitivity)
    if not bars.empty:
        written.append(write_atomic(folder / "tornado.html", _tornado_html(bars)))
        written.append(write_atomic(folder / "tornado.png", _tornado_png(bars)))
    return written


def _kpi_values(samples: pd.DataFrame) -> pd.DataFrame:
    """The samples' KPIs in long form: ``kpi``, ``value`` (the first MAX_KPIS KPIs)."""
    columns = [c for c in samples.columns if str(c).startswith("kpi: ")][:MAX_KPIS]
    if samples.empty or not columns:
        return pd.DataFrame()
    long = samples[columns].melt(var_name="kpi", value_name="value")
    long["kpi"] = long["kpi"].str.removeprefix("kpi: ")
    return long.dropna()


def _tornado_rows(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """The largest swings of each KPI, with the KPI's mean over both ends as the centre."""
    if sensitivity.empty:
        return sensitivity
    kpis = list(dict.fromkeys(sensitivity["kpi"]))[:MAX_KPIS]
    rows = sensitivity[sensitivity["kpi"].isin(kpis)]
    rows = rows.groupby("kpi", sort=False).head(MAX_TORNADO_INPUTS).copy()
    rows["centre"] = (
        rows.groupby("kpi")[["kpi_at_low", "kpi_at_high"]].transform("mean").mean(axis=1)
    )
    return rows.reset_index(drop=True)


def distribution_chart(tables: SweepTables) -> Any | None:
    """Each KPI's box plot over the samples (an altair chart), or None without KPIs."""
    values = _kpi_values(tables.samples)
    return None if values.empty else _box_chart(values)


def tornado_chart(tables: SweepTables) -> Any | None:
    """Each KPI at the low and the high end of each input (an altair chart), or None when
    no input varied."""
    bars = _tornado_rows(tables.sensitivity)
    return None if bars.empty else _tornado_chart(bars)


def _box_chart(values: pd.DataFrame) -> Any:
    import altair as alt

    return (
        alt.Chart(values)
        .mark_boxplot(extent="min-max")
        .encode(y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)))
        .properties(width=120, height=220)
        .facet(facet=alt.Facet("kpi:N", title=None), columns=4)
        .resolve_scale(y="independent")
        .properties(title="Each KPI over the sweep's samples (min, quartiles, max)")
    )


def _box_html(values: pd.DataFrame) -> Callable[[Path], None]:
    import altair as alt

    def write(path: Path) -> None:
        with alt.data_transformers.disable_max_rows():
            _box_chart(values).save(str(path), format="html")

    return write


def _box_png(values: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from matplotlib.figure import Figure

        kpis = list(dict.fromkeys(values["kpi"]))
        columns = min(4, len(kpis))
        rows = -(-len(kpis) // columns)
        figure = Figure(figsize=(3.2 * columns, 3.0 * rows), layout="constrained")
        axes = figure.subplots(rows, columns, squeeze=False).ravel()
        for ax, kpi in zip(axes, kpis, strict=False):
            ax.boxplot(values.loc[values["kpi"] == kpi, "value"].to_numpy(float), whis=(5, 95))
            ax.set_title(kpi, fontsize=9)
            ax.set_xticks([])
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        figure.suptitle("Each KPI over the sweep's samples (box: quartiles, whiskers: 5-95 %)")
        figure.savefig(path, format="png", dpi=110)

    return write


def _tornado_chart(bars: pd.DataFrame) -> Any:
    import altair as alt

    data = bars.melt(
        id_vars=["kpi", "input", "centre", "low", "high"],
        value_vars=["kpi_at_low", "kpi_at_high"],
        var_name="end",
        value_name="kpi_value",
    )
    data["end"] = data["end"].map({"kpi_at_low": "input low", "kpi_at_high": "input high"})
    charts = []
    for kpi in dict.fromkeys(data["kpi"]):
        part = data[data["kpi"] == kpi]
        order = list(dict.fromkeys(part["input"]))
        charts.append(
            alt.Chart(part)
            .mark_bar()
            .encode(
                y=alt.Y("input:N", sort=order, title=None),
                x=alt.X("kpi_value:Q", title=kpi, scale=alt.Scale(zero=False)),
                x2="centre:Q",
                color=alt.Color("end:N", title="KPI when the input is"),
                tooltip=["input", "end", "low", "high", "kpi_value"],
            )
            .properties(width=420, height=max(60, 18 * len(order)), title=kpi)
        )
    return alt.vconcat(*charts).properties(
        title="Sensitivity: each KPI at the low and the high end of each input"
    )


def _tornado_html(bars: pd.DataFrame) -> Callable[[Path], None]:
    import altair as alt

    def write(path: Path) -> None:
        with alt.data_transformers.disable_max_rows():
            _tornado_chart(bars).save(str(path), format="html")

    return write


def _tornado_png(bars: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from matplotlib.figure import Figure

        kpis = list(dict.fromkeys(bars["kpi"]))
        heights = [max(1.2, 0.3 * (bars["kpi"] == k).sum() + 0.8) for k in kpis]
        figure = Figure(figsize=(8, sum(heights)), layout="constrained")
        axes = figure.subplots(len(kpis), 1, squeeze=False, height_ratios=heights).ravel()
        for ax, kpi in zip(axes, kpis, strict=True):
            part = bars[bars["kpi"] == kpi].iloc[::-1]
            centre = float(part["centre"].iloc[0])
            names = [str(n) for n in part["input"]]
            ax.barh(names, part["kpi_at_low"] - centre, left=centre, label="input low")
            ax.barh(names, part["kpi_at_high"] - centre, left=centre, label="input high")
            ax.axvline(centre, color="black", linewidth=0.8)
            ax.set_title(kpi, fontsize=9)
            ax.tick_params(labelsize=7)
        axes[0].legend(fontsize=7, loc="best")
        figure.suptitle("Sensitivity: each KPI at the low and the high end of each input")
        figure.savefig(path, format="png", dpi=110)

    return write
