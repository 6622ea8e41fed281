"""A member no vehicle can carry is skipped saying why in words, never dropped (issue 12 §5)."""

from __future__ import annotations

from optimizer import apply_overrides, load_scenario
from optimizer.pipeline.registry import run_model
from tests.conftest import LIECHTENSTEIN


def test_produce_no_vehicle_carries_is_skipped_with_its_reason() -> None:
    base = load_scenario(LIECHTENSTEIN)
    # the van no longer carries vegetables: no vehicle type does
    vans = {"where": {"id": "V2"}, "set": {"products": "potatoes"}}
    scenario = apply_overrides(base, {"update": {"vehicles": [vans]}})
    growers = sorted({s.member for s in scenario.supply if s.product == "vegetables"})
    run = run_model(scenario, "routes", time_limit=1)  # the pipeline checks every plan
    skipped = run.tables["skipped"]
    left = skipped[skipped["products"] == "vegetables"]
    assert sorted(left["member"]) == growers
    assert set(left["reason"]) == {
        "no vehicle for the produce: no vehicle type carries vegetables (vehicles.products)"
    }
    assert "no vehicle for the produce" in run.summary
    assert run.kpi_values()["members skipped"] >= len(growers)


def test_load_above_every_payload_says_so() -> None:
    base = load_scenario(LIECHTENSTEIN)
    tiny = {"where": {"id": "V1"}, "set": {"payload_kg": 100}}
    run = run_model(apply_overrides(base, {"update": {"vehicles": [tiny]}}), "routes", time_limit=1)
    milk = run.tables["skipped"]
    milk = milk[milk["products"] == "milk"]
    assert len(milk) > 0
    assert all(
        r.startswith("load above every vehicle's payload: ")
        and r.endswith("kg to collect, the largest truck carries 100 kg")
        for r in milk["reason"]
    )
