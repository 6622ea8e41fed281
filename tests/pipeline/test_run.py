"""The registry: the models by name, imported explicitly; an unknown name is an input error."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.pipeline import registry
from optimizer.pipeline.credit import run_credit
from optimizer.pipeline.hubs import run_hubs
from optimizer.pipeline.markets import run_markets
from optimizer.pipeline.procurement import run_procurement
from optimizer.pipeline.routes import run_routes
from tests.conftest import LIECHTENSTEIN, TINY


def test_the_models_are_registered_in_order() -> None:
    assert {
        "procurement": run_procurement,
        "markets": run_markets,
        "hubs": run_hubs,
        "routes": run_routes,
        "credit": run_credit,
    } == registry.MODELS
    assert list(registry.MODELS) == ["procurement", "markets", "hubs", "routes", "credit"]


def test_a_model_needing_tables_the_scenario_lacks_says_which() -> None:
    from optimizer import load_scenario

    assert registry.missing_tables(load_scenario(TINY), "credit") == [
        "input_months",
        "delivery_months",
        "withholding",
    ]
    assert registry.missing_tables(load_scenario(LIECHTENSTEIN), "credit") == []
    assert registry.missing_tables(load_scenario(TINY), "markets") == []


def test_an_unknown_model_is_an_input_error() -> None:
    from optimizer import load_scenario

    with pytest.raises(InputError, match="one of credit, hubs, markets, procurement, routes"):
        registry.run_model(load_scenario(LIECHTENSTEIN), "harvest")
