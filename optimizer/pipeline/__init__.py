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

from optimizer.pipeline.registry import MODELS, run_model
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import road_network, travel

__all__ = ["MODELS", "ModelRun", "road_network", "run_model", "travel"]
