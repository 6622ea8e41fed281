"""coop-optimizer: pooled procurement, market access, shared hubs and collection routing.

The public API: load a scenario, solve the models on it, compare variants. Everything here
is importable as ``from optimizer import ...``.
"""

from optimizer.errors import InputError, Problem
from optimizer.results import SolverReport, Status
from optimizer.scenario import Scenario, load_scenario
from optimizer.schema import (
    Bracket,
    Buyer,
    BuyerPrice,
    Closure,
    Cooperative,
    Demand,
    Hub,
    Member,
    NetworkSettings,
    Offer,
    Parameters,
    Product,
    Supplier,
    Supply,
    Vehicle,
)
from optimizer.solver import available_solvers, solve
from optimizer.variants import apply_overrides, load_variant

__version__ = "0.1.0"

# Heavier parts (roads, solvers' models, the pipeline) load on first use, so that
# ``import optimizer`` and the command line start quickly.
_LAZY = {
    "ModelRun": "optimizer.pipeline",
    "run_model": "optimizer.pipeline",
    "travel": "optimizer.pipeline",
    "road_network": "optimizer.pipeline",
    "replace_tables": "optimizer.variants",
    "ClosureReport": "optimizer.geo",
    "RoadNetwork": "optimizer.geo",
    "TravelMatrix": "optimizer.geo",
    "close_roads": "optimizer.geo",
    "load_network": "optimizer.geo",
    "places": "optimizer.geo",
    "route_geometries": "optimizer.geo",
    "route_geometry": "optimizer.geo",
    "travel_matrix": "optimizer.geo",
    "MarketData": "optimizer.models.markets",
    "MarketResult": "optimizer.models.markets",
    "check_markets": "optimizer.models.markets",
    "compare_with_own_best": "optimizer.models.markets",
    "income_figures": "optimizer.models.markets",
    "route_comparison": "optimizer.models.markets",
    "scenario_market_data": "optimizer.models.markets",
    "solve_markets": "optimizer.models.markets",
    "Comparison": "optimizer.compare",
    "compare_runs": "optimizer.compare",
    "compare_scenarios": "optimizer.compare",
    "FacilityResult": "optimizer.models.facility",
    "check_facility_location": "optimizer.models.facility",
    "solve_facility_location": "optimizer.models.facility",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")


__all__ = [
    "Bracket",
    "Buyer",
    "BuyerPrice",
    "Closure",
    "ClosureReport",
    "Comparison",
    "Cooperative",
    "Demand",
    "FacilityResult",
    "Hub",
    "InputError",
    "MarketData",
    "MarketResult",
    "Member",
    "ModelRun",
    "NetworkSettings",
    "Offer",
    "Parameters",
    "Problem",
    "Product",
    "RoadNetwork",
    "Scenario",
    "SolverReport",
    "Status",
    "Supplier",
    "Supply",
    "TravelMatrix",
    "Vehicle",
    "__version__",
    "apply_overrides",
    "available_solvers",
    "check_facility_location",
    "check_markets",
    "close_roads",
    "compare_runs",
    "compare_scenarios",
    "compare_with_own_best",
    "income_figures",
    "load_network",
    "load_scenario",
    "load_variant",
    "places",
    "replace_tables",
    "road_network",
    "route_comparison",
    "route_geometries",
    "route_geometry",
    "run_model",
    "scenario_market_data",
    "solve",
    "solve_facility_location",
    "solve_markets",
    "travel",
    "travel_matrix",
]
