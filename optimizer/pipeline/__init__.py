"""Scenario → roads → matrices → models → results: the one place that joins roads and models.

``run`` holds :class:`ModelRun` (the shape every face reads); ``registry`` the models by name
and :func:`run_model`; ``travel`` asks ``optimizer.geo`` for distances and times (or the
straight-line fallback) and road paths for maps; ``procurement``, ``markets``, ``hubs`` and
``routes`` each run one model on a scenario (data from the scenario and the travel arrays,
the solve, the independent check, the tables); ``demo`` runs them all into a
folder; ``compare`` runs one model on several variants side by side. It imports the models,
``optimizer.geo`` (through ``travel``), ``optimizer.io`` and ``optimizer.scenario``; the faces
(``optimizer.cli``, ``optimizer.app``) call this folder; models and roads never import it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.pipeline.registry import MODELS, run_model
    from optimizer.pipeline.run import ModelRun
    from optimizer.pipeline.travel import road_network, travel

# imported on first use (PEP 562): ``optimizer.pipeline.run`` alone, as the run store reads
# it, does not load every model and solver through the registry
_HOMES: dict[str, str] = {
    "MODELS": "optimizer.pipeline.registry",
    "run_model": "optimizer.pipeline.registry",
    "ModelRun": "optimizer.pipeline.run",
    "road_network": "optimizer.pipeline.travel",
    "travel": "optimizer.pipeline.travel",
}


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'optimizer.pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = ["MODELS", "ModelRun", "road_network", "run_model", "travel"]
