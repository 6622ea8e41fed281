"""A robust hubs plan over many futures, as the faces see it.

Each future is a scenario (a sweep's sample, or a variant) over the same candidate hubs; this
adapter feeds each one's road distances to :mod:`optimizer.models.hubs.robust`, checks the
plan with :func:`~optimizer.models.hubs.robust_check.check_robust_hubs` and lays it out: KPIs,
the robust plan against each future's own best plan, how often each hub is open, and the
hubs on a map.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.io.geojson import point
from optimizer.models.hubs.data import HubData
from optimizer.models.hubs.robust import Method, Objective, RobustHubResult, solve_robust_hubs
from optimizer.models.hubs.robust_check import check_robust_hubs
from optimizer.pipeline._common import _checked
from optimizer.pipeline.hubs import network_hubs
from optimizer.pipeline.run import ModelRun
from optimizer.results import Kpi
from optimizer.scenario.scenario import Scenario

__all__ = ["hub_sample", "robust_hubs"]


def robust_hubs(
    scenarios: Sequence[Scenario],
    *,
    objective: Objective = "expected",
    weights: Sequence[float] | None = None,
    gap: float | None = None,
    time_limit: float | None = None,
    method: Method = "auto",
) -> ModelRun:
    """The hubs to open once for all ``scenarios``, each one's corridors adapting to it.

    ``gap`` and ``time_limit`` default to the first scenario's ``mip_gap`` and
    ``time_limit_s`` (the time limit is for the whole run). The plan is verified by its
    independent check before it is returned.
    """
    if not scenarios:
        raise InputError(Problem("robust hubs", "at least one scenario", value=0))
    samples = [hub_sample(scenario) for scenario in scenarios]
    first = scenarios[0]
    for scenario in scenarios[1:]:
        if [h.id for h in scenario.hubs] != [h.id for h in first.hubs]:
            raise InputError(
                Problem(
                    scenario.name,
                    f"the candidate hubs of {first.name}: {', '.join(h.id for h in first.hubs)}",
                    column="hubs",
                    value=", ".join(h.id for h in scenario.hubs),
                )
            )
    params = first.parameters
    gap = params.mip_gap if gap is None else gap
    result = solve_robust_hubs(
        [data for data, _ in samples],
        objective=objective,
        weights=weights,
        gap=gap,
        time_limit=params.time_limit_s if time_limit is None else time_limit,
        method=method,
    )
    notes = tuple(note for _, warnings in samples for note in warnings)
    if not result.status.has_solution:
        return ModelRun("robust_hubs", first.name, result.status, result.summary(), (), {},
                        warnings=notes, result=result)  # fmt: skip
    _checked(check_robust_hubs([data for data, _ in samples], result, gap=gap), "robust hubs")
    return _lay_out(scenarios, result, notes)


def hub_sample(scenario: Scenario) -> tuple[HubData, tuple[str, ...]]:
    """One future's whole network (every hub a candidate) and the road warnings."""
    hs, warnings = network_hubs(scenario)
    return hs.data, warnings


def _lay_out(
    scenarios: Sequence[Scenario], result: RobustHubResult, notes: tuple[str, ...]
) -> ModelRun:
    first = scenarios[0]
    currency = first.parameters.currency
    hub_ids = [h.id for h in first.hubs]

    def ids(hubs: Sequence[int]) -> str:
        return ", ".join(hub_ids[h] for h in hubs)

    comparison = result.comparison()
    comparison.insert(1, "scenario", [s.name for s in scenarios])
    for column in ("hubs_added", "hubs_dropped"):
        comparison[column] = [ids(hubs) for hubs in comparison[column]]
    comparison.insert(3, "own_hubs", [ids(r.open_hubs) for r in result.own])
    frequency = result.frequency()
    frequency.insert(1, "name", [h.name for h in first.hubs])
    frequency["hub"] = hub_ids
    regrets = result.regrets
    kpis = (
        Kpi("expected net value", result.expected_net_value, currency, True),
        Kpi("worst regret", float(regrets.max()), currency, False),
        Kpi("mean regret", float(result.weights @ regrets), currency, False),
        Kpi("hubs open", float(len(result.open_hubs)), "hubs", None),
        Kpi("samples", float(len(scenarios)), "samples", None),
        Kpi("samples whose own plan opens other hubs",
            float(sum(set(r.open_hubs) != set(result.open_hubs) for r in result.own)),
            "samples", None),
        Kpi("gap", 100 * result.gap, "%", False),
    )  # fmt: skip
    summary = "\n".join(
        [
            result.summary(),
            f"hubs open in every future: {ids(result.open_hubs) or 'none'}",
            f"the robust plan gives up {float(np.mean(regrets)):,.2f} {currency} a sample on "
            f"average against each future's own plan (at most {float(regrets.max()):,.2f})",
        ]
    )
    return ModelRun(
        model="robust_hubs",
        scenario=first.name,
        status=result.status,
        summary=summary,
        kpis=kpis,
        tables={"comparison": comparison, "hub_frequency": frequency},
        layers={"hubs": _hub_points(first, frequency)},
        warnings=tuple(dict.fromkeys(notes)),
        runtime_s=result.runtime_s,
        result=result,
    )


def _hub_points(scenario: Scenario, frequency: pd.DataFrame) -> list[dict[str, Any]]:
    is_open = dict(zip(frequency["hub"], frequency["robust_open"].astype(bool), strict=True))
    count = dict(zip(frequency["hub"], frequency["own_open"].astype(int), strict=True))
    share = dict(zip(frequency["hub"], frequency["own_open_share"].astype(float), strict=True))
    return [
        point(
            h.lon,
            h.lat,
            {
                "id": h.id,
                "name": h.name,
                "open": bool(is_open[h.id]),
                "existing": h.existing,
                "own_open": int(count[h.id]),
                "own_open_share": float(share[h.id]),
            },
        )
        for h in scenario.hubs
    ]
