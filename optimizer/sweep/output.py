"""Writing a sweep's results: tables as CSV and one XLSX, charts as HTML and PNG, a JSON note.

The tables come from :mod:`optimizer.sweep.results`, the workbook from the project's one XLSX
writer (:func:`optimizer.io.write.write_tables`), the charts from :mod:`optimizer.sweep.charts`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.io.write import write_json, write_tables
from optimizer.sweep.charts import write_charts
from optimizer.sweep.results import SweepTables, sweep_tables
from optimizer.sweep.run import SweepRun

__all__ = ["write_sweep"]


def write_sweep(run: SweepRun, folder: Path) -> tuple[SweepTables, list[Path]]:
    """Every table and chart of a sweep into ``folder``; the tables and the files written."""
    folder = Path(folder)
    tables = sweep_tables(run.results)
    named = tables.as_dict()
    if run.failed:
        named["failed"] = pd.DataFrame(
            [
                {"sample": index, "error": error, **{f"input: {k}": v for k, v in inputs.items()}}
                for index, inputs, error in run.failed
            ]
        )
    written = write_tables(named, folder, workbook=f"sweep-{run.model}.xlsx")
    written += write_charts(tables, folder)
    first = run.results[0] if run.results else None
    written.append(
        write_json(
            {
                "sweep_id": run.sweep_id,
                "model": run.model,
                "samples": run.total,
                "finished": run.done,
                "failed": [index for index, _, _ in run.failed],
                "resumed_from_store": run.resumed,
                "per_member_figure": None if first is None else first.value_label,
                "road_networks_loaded_per_worker": {
                    str(k): v for k, v in run.network_loads.items()
                },
            },
            folder / f"sweep-{run.model}.json",
        )
    )
    return tables, written
