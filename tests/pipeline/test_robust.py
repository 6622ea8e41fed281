"""The robust hubs plan over futures made as variants of a bundled scenario."""

from __future__ import annotations

import pytest

from optimizer import load_scenario
from optimizer.errors import InputError
from optimizer.models.hubs.robust import RobustHubResult
from optimizer.pipeline.robust import robust_hubs
from optimizer.results import Status
from optimizer.scenario.variants import apply_overrides
from tests.conftest import LIECHTENSTEIN


def test_robust_plan_over_three_futures() -> None:
    base = load_scenario(LIECHTENSTEIN)
    futures = [
        base,
        apply_overrides(base, {"set": {"parameters.fuel_price_factor": 1.6}}),
        apply_overrides(base, {"scale": {"supply.quantity": 0.5}}),
    ]
    # robust_hubs runs the independent check (every future re-solved with the hubs fixed)
    # and raises when it fails
    run = robust_hubs(futures, gap=1e-6)
    assert run.status is Status.OPTIMAL
    result = run.result
    assert isinstance(result, RobustHubResult)
    kpis = run.kpi_values()
    assert kpis["expected net value"] == pytest.approx(result.expected_net_value)
    assert kpis["samples"] == 3
    assert {k.unit for k in run.kpis} >= {"CHF", "hubs", "samples", "%"}
    comparison = run.tables["comparison"]
    assert len(comparison) == 3
    assert (comparison["regret"] >= -1e-6 * comparison["own_net_value"].abs()).all()
    # fuel dearer: the same plan earns less than with the base's fuel price
    assert comparison["robust_net_value"][1] < comparison["robust_net_value"][0]
    frequency = run.tables["hub_frequency"]
    assert list(frequency["hub"]) == [h.id for h in base.hubs]
    assert frequency.set_index("hub").loc["H1", "robust_open"]  # existing, always open
    assert [f["properties"]["id"] for f in run.layers["hubs"]] == ["H1", "H2", "H3", "H4"]
    regret = robust_hubs(futures, gap=1e-6, objective="regret")
    assert regret.kpi_values()["worst regret"] <= kpis["worst regret"] + 1e-6


def test_futures_must_share_their_hubs() -> None:
    base = load_scenario(LIECHTENSTEIN)
    fewer = apply_overrides(base, {"remove": {"hubs": ["H4"]}})
    with pytest.raises(InputError, match="candidate hubs"):
        robust_hubs([base, fewer])
    with pytest.raises(InputError, match="at least one scenario"):
        robust_hubs([])
