"""What the model adapters share: the check guard, the planless run, places as tables.

Private to :mod:`optimizer.pipeline`; each adapter module imports what it needs from here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer.pipeline.run import ModelRun
from optimizer.results import Check
from optimizer.scenario.scenario import Scenario

__all__ = ["_checked", "_no_plan", "_points", "_with_ends"]


def _checked(check: Check, model: str) -> None:
    """A plan that fails its independent check is a bug, never a result to show."""
    if not check.ok:
        raise RuntimeError(f"the {model} plan failed its independent check: {check.problems}")


def _no_plan(model: str, scenario: Scenario, result: Any, notes: tuple[str, ...]) -> ModelRun:
    """A run whose solver found no plan: its status and message, nothing to draw."""
    return ModelRun(
        model,
        scenario.name,
        result.status,
        result.summary(),
        (),
        {},
        warnings=notes,
        result=result,
    )


def _with_ends(
    frame: pd.DataFrame,
    origin: str,
    origins: dict[str, Any],
    destination: str,
    destinations: dict[str, Any],
) -> pd.DataFrame:
    """``frame`` with the coordinates of the places its ``origin``/``destination`` columns name
    (``origins`` and ``destinations`` map ids to rows with ``lat`` and ``lon``)."""
    out = frame.copy()
    out["origin_lat"] = [origins[i].lat for i in out[origin]]
    out["origin_lon"] = [origins[i].lon for i in out[origin]]
    out["destination_lat"] = [destinations[i].lat for i in out[destination]]
    out["destination_lon"] = [destinations[i].lon for i in out[destination]]
    return out


def _points(rows: object) -> pd.DataFrame:
    """Places (rows with ``id``, ``lat``, ``lon``) as the table :func:`travel` takes."""
    return pd.DataFrame([{"id": r.id, "lat": r.lat, "lon": r.lon} for r in rows])  # type: ignore[attr-defined]
