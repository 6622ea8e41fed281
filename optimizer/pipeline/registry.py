"""The models by name: ``run_model(scenario, "markets")`` runs the markets adapter.

The registry imports the adapters itself, so that it knows them without any adapter
knowing the registry (no import cycle, not even one closed at run time).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.models.credit.scenario import incomplete_credit, missing_credit_tables
from optimizer.pipeline.credit import run_credit
from optimizer.pipeline.hubs import run_hubs
from optimizer.pipeline.markets import run_markets
from optimizer.pipeline.procurement import run_procurement
from optimizer.pipeline.routes import run_routes
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario

__all__ = ["MODELS", "ModelFunction", "incomplete_tables", "missing_tables", "run_model"]

ModelFunction = Callable[..., ModelRun]

# The order is the order of the demo and of the app's pages.
MODELS: dict[str, ModelFunction] = {
    "procurement": run_procurement,
    "markets": run_markets,
    "hubs": run_hubs,
    "routes": run_routes,
    "credit": run_credit,
}
# the optional tables a model cannot run without: model -> the ones a scenario lacks
_NEEDS: dict[str, Callable[[Scenario], list[str]]] = {"credit": missing_credit_tables}


def missing_tables(scenario: Scenario, model: str) -> list[str]:
    """The optional tables ``model`` needs that ``scenario`` lacks (empty: it can run)."""
    needs = _NEEDS.get(model)
    return [] if needs is None else needs(scenario)


def incomplete_tables(scenario: Scenario) -> list[str]:
    """Warnings for optional tables given in part (some credit tables, not those it needs)."""
    return [w for w in (incomplete_credit(scenario),) if w]


def run_model(scenario: Scenario, model: str, **options: Any) -> ModelRun:
    """Run one model (``procurement``, ``markets``, ``hubs``, ``routes``, ``credit``) on a scenario.

    ``options`` go to the model (e.g. ``engine`` and ``time_limit`` for routes).
    """
    if model not in MODELS:
        raise InputError(Problem("--model", f"one of {', '.join(sorted(MODELS))}", value=model))
    started = time.perf_counter()
    run = MODELS[model](scenario, **options)
    if not run.runtime_s:
        run = replace(run, runtime_s=time.perf_counter() - started)
    return run
