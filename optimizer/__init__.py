"""coop-optimizer: pooled procurement, market access, shared hubs and collection routing.

The public API: load a scenario, solve the models on it, compare variants. Everything here
is importable as ``from optimizer import ...``; the names are imported explicitly, so type
checkers see their real types.
"""

from typing import TYPE_CHECKING, Any

from optimizer.errors import InputError, Problem
from optimizer.models.facility import (
    FacilityResult,
    check_facility_location,
    solve_facility_location,
)
from optimizer.models.hubs import HubData, HubResult, check_hubs, solve_hubs
from optimizer.models.markets import (
    MarketData,
    MarketResult,
    check_markets,
    compare_with_own_best,
    income_figures,
    route_comparison,
    scenario_market_data,
    solve_markets,
)
from optimizer.models.procurement import (
    ProcurementData,
    ProcurementResult,
    check_procurement,
    solve_procurement,
    split_procurement,
)
from optimizer.models.routing import RoutingProblem, RoutingResult, check_routes, solve_routes
from optimizer.pipeline.compare import Comparison, compare_runs, compare_scenarios
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import road_network, travel
from optimizer.results import SolverReport, Status
from optimizer.scenario.load import load_scenario, load_variant
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import (
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
from optimizer.scenario.variants import apply_overrides, replace_tables
from optimizer.solver import available_solvers, solve_milp

if TYPE_CHECKING:
    from optimizer.geo import (
        ClosureReport,
        RoadNetwork,
        TravelMatrix,
        close_roads,
        load_network,
        places,
        route_geometries,
        route_geometry,
        travel_matrix,
    )
    from optimizer.models.sharing import (
        CoalitionGame,
        check_core,
        least_core_split,
        proportional_split,
        shapley_split,
    )

__version__ = "0.1.0"

# Roads (osmnx and geopandas, about 0.9 s) and cost sharing (scipy.optimize, about 0.7 s)
# load on first use: ``import optimizer`` and ``optimizer --version`` take half as long.
_GEO_NAMES = frozenset(
    {
        "ClosureReport",
        "RoadNetwork",
        "TravelMatrix",
        "close_roads",
        "load_network",
        "places",
        "route_geometries",
        "route_geometry",
        "travel_matrix",
    }
)
_SHARING_NAMES = frozenset(
    {
        "CoalitionGame",
        "check_core",
        "least_core_split",
        "proportional_split",
        "shapley_split",
    }
)


def __getattr__(name: str) -> Any:
    if name in _GEO_NAMES:
        from optimizer import geo

        return getattr(geo, name)
    if name in _SHARING_NAMES:
        from optimizer.models import sharing

        return getattr(sharing, name)
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")


__all__ = [
    "Bracket",
    "Buyer",
    "BuyerPrice",
    "Closure",
    "ClosureReport",
    "CoalitionGame",
    "Comparison",
    "Cooperative",
    "Demand",
    "FacilityResult",
    "Hub",
    "HubData",
    "HubResult",
    "InputError",
    "MarketData",
    "MarketResult",
    "Member",
    "ModelRun",
    "NetworkSettings",
    "Offer",
    "Parameters",
    "Problem",
    "ProcurementData",
    "ProcurementResult",
    "Product",
    "RoadNetwork",
    "RoutingProblem",
    "RoutingResult",
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
    "check_core",
    "check_facility_location",
    "check_hubs",
    "check_markets",
    "check_procurement",
    "check_routes",
    "close_roads",
    "compare_runs",
    "compare_scenarios",
    "compare_with_own_best",
    "income_figures",
    "least_core_split",
    "load_network",
    "load_scenario",
    "load_variant",
    "places",
    "proportional_split",
    "replace_tables",
    "road_network",
    "route_comparison",
    "route_geometries",
    "route_geometry",
    "run_model",
    "scenario_market_data",
    "shapley_split",
    "solve_facility_location",
    "solve_hubs",
    "solve_markets",
    "solve_milp",
    "solve_procurement",
    "solve_routes",
    "split_procurement",
    "travel",
    "travel_matrix",
]
