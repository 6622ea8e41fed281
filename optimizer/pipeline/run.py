"""A model's run as the faces see it: :class:`ModelRun`.

The faces (CLI, app) call :func:`~optimizer.pipeline.registry.run_model` and get a
:class:`ModelRun`: the same shape for every model — status, a few lines in words, KPIs, tables,
map layers and a per-member figure — so that exporting, comparing variants and drawing are
written once. The adapters (``optimizer.pipeline.procurement``, ``markets``, ``hubs``,
``routes``) build it; ``optimizer.pipeline.registry`` knows them by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.io.write import staged, write_atomic, write_geojson, write_json, write_tables
from optimizer.results import Kpi, Status

__all__ = ["ModelRun"]


@dataclass(frozen=True)
class ModelRun:
    """One model's result on one scenario, in the shape every face uses.

    ``kpis`` are the key figures, each with its unit and direction; ``per_member`` has columns
    ``member``, ``cooperative``, ``value`` (what the member gains, or pays, as ``value_label``
    says; ``value_higher_is_better`` is False where the value is a cost to the member);
    ``layers`` are GeoJSON feature lists by layer name; ``tables`` are the decisions as
    DataFrames, raw numbers with their units in the column names; ``charts`` are PNG images
    by name (written as ``NAME.png``).
    """

    model: str
    scenario: str
    status: Status
    summary: str
    kpis: tuple[Kpi, ...]
    tables: Mapping[str, pd.DataFrame]
    layers: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    per_member: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["member", "cooperative", "value"])
    )
    value_label: str = "value"
    value_higher_is_better: bool = True
    warnings: tuple[str, ...] = ()
    runtime_s: float = 0.0
    result: Any = None
    charts: Mapping[str, bytes] = field(default_factory=dict)

    def kpi_values(self) -> dict[str, float]:
        """Each KPI's value by its label."""
        return {k.label: k.value for k in self.kpis}

    def kpi_table(self) -> pd.DataFrame:
        """The KPIs as a table: ``kpi``, ``value``, ``unit``, ``higher_is_better``."""
        return pd.DataFrame(
            {
                "kpi": [k.label for k in self.kpis],
                "value": [k.value for k in self.kpis],
                "unit": [k.unit for k in self.kpis],
                "higher_is_better": [k.higher_is_better for k in self.kpis],
            }
        )

    def write(self, folder: Path) -> list[Path]:
        """Tables as CSV and one XLSX, map layers as GeoJSON, KPIs and summary as JSON: all
        of them or none (written beside ``folder`` first, then moved in)."""
        folder = Path(folder)
        with staged(folder) as stage:
            written = self._write_into(stage)
        return [folder / path.relative_to(stage) for path in written]

    def _write_into(self, folder: Path) -> list[Path]:
        written = write_tables(
            {"kpis": self.kpi_table(), **self.tables}, folder, workbook=f"{self.model}.xlsx"
        )
        for name, features in self.layers.items():
            written.append(write_geojson(features, folder / f"{name}.geojson", roads=True))
        for name, image in self.charts.items():
            written.append(write_atomic(folder / f"{name}.png", partial(_put, image=image)))
        written.append(
            write_json(
                {
                    "model": self.model,
                    "scenario": self.scenario,
                    "status": self.status.value,
                    "summary": self.summary,
                    "kpis": self.kpi_values(),
                    "units": {k.label: k.unit for k in self.kpis},
                    "warnings": list(self.warnings),
                    "runtime_s": self.runtime_s,
                },
                folder / f"{self.model}.json",
            )
        )
        return written


def _put(path: Path, image: bytes) -> None:
    path.write_bytes(image)
