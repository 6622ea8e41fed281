"""The registry: the four models by name, imported explicitly; an unknown name is an input error."""

from __future__ import annotations

import pytest

from optimizer.errors import InputError
from optimizer.pipeline import registry
from optimizer.pipeline.hubs import run_hubs
from optimizer.pipeline.markets import run_markets
from optimizer.pipeline.procurement import run_procurement
from optimizer.pipeline.routes import run_routes
from tests.conftest import LIECHTENSTEIN


def test_the_four_models_are_registered_in_order() -> None:
    assert {
        "procurement": run_procurement,
        "markets": run_markets,
        "hubs": run_hubs,
        "routes": run_routes,
    } == registry.MODELS


def test_an_unknown_model_is_an_input_error() -> None:
    from optimizer import load_scenario

    with pytest.raises(InputError, match="one of hubs, markets, procurement, routes"):
        registry.run_model(load_scenario(LIECHTENSTEIN), "harvest")
