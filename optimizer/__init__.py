"""coop-optimizer: pooled procurement, market access, shared hubs and collection routing.

The public API: load a scenario, solve the models on it, compare variants. Everything here
is importable as ``from optimizer import ...``. Each name loads its module on first use
(PEP 562, :func:`__getattr__`): ``import optimizer`` and the command line start without
the solvers, the roads and the models they do not need. The imports under
``TYPE_CHECKING`` give type checkers every name's real type.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optimizer.errors import (
        InputError,
        Problem,
    )
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
    from optimizer.models.facility import (
        FacilityResult,
        check_facility_location,
        solve_facility_location,
    )
    from optimizer.models.hubs import (
        HubData,
        HubResult,
        check_hubs,
        solve_hubs,
    )
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
    from optimizer.models.routing import (
        RoutingProblem,
        RoutingResult,
        check_routes,
        solve_routes,
    )
    from optimizer.models.sharing import (
        CoalitionGame,
        check_core,
        least_core_split,
        proportional_split,
        shapley_split,
    )
    from optimizer.pipeline.compare import (
        Comparison,
        compare_runs,
        compare_scenarios,
    )
    from optimizer.pipeline.registry import run_model
    from optimizer.pipeline.run import ModelRun
    from optimizer.pipeline.travel import (
        road_network,
        travel,
    )
    from optimizer.results import (
        SolverReport,
        Status,
    )
    from optimizer.scenario.load import (
        load_scenario,
        load_variant,
    )
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
    from optimizer.scenario.variants import (
        apply_overrides,
        replace_tables,
    )
    from optimizer.solver import (
        available_solvers,
        solve_milp,
    )

__version__ = "0.1.0"

# where each public name lives: imported on first use, then kept as a module attribute
_HOMES: dict[str, str] = {
    "InputError": "optimizer.errors",
    "Problem": "optimizer.errors",
    "close_roads": "optimizer.geo",
    "ClosureReport": "optimizer.geo",
    "load_network": "optimizer.geo",
    "places": "optimizer.geo",
    "RoadNetwork": "optimizer.geo",
    "route_geometries": "optimizer.geo",
    "route_geometry": "optimizer.geo",
    "travel_matrix": "optimizer.geo",
    "TravelMatrix": "optimizer.geo",
    "check_facility_location": "optimizer.models.facility",
    "FacilityResult": "optimizer.models.facility",
    "solve_facility_location": "optimizer.models.facility",
    "check_hubs": "optimizer.models.hubs",
    "HubData": "optimizer.models.hubs",
    "HubResult": "optimizer.models.hubs",
    "solve_hubs": "optimizer.models.hubs",
    "check_markets": "optimizer.models.markets",
    "compare_with_own_best": "optimizer.models.markets",
    "income_figures": "optimizer.models.markets",
    "MarketData": "optimizer.models.markets",
    "MarketResult": "optimizer.models.markets",
    "route_comparison": "optimizer.models.markets",
    "scenario_market_data": "optimizer.models.markets",
    "solve_markets": "optimizer.models.markets",
    "check_procurement": "optimizer.models.procurement",
    "ProcurementData": "optimizer.models.procurement",
    "ProcurementResult": "optimizer.models.procurement",
    "solve_procurement": "optimizer.models.procurement",
    "split_procurement": "optimizer.models.procurement",
    "check_routes": "optimizer.models.routing",
    "RoutingProblem": "optimizer.models.routing",
    "RoutingResult": "optimizer.models.routing",
    "solve_routes": "optimizer.models.routing",
    "check_core": "optimizer.models.sharing",
    "CoalitionGame": "optimizer.models.sharing",
    "least_core_split": "optimizer.models.sharing",
    "proportional_split": "optimizer.models.sharing",
    "shapley_split": "optimizer.models.sharing",
    "compare_runs": "optimizer.pipeline.compare",
    "compare_scenarios": "optimizer.pipeline.compare",
    "Comparison": "optimizer.pipeline.compare",
    "run_model": "optimizer.pipeline.registry",
    "ModelRun": "optimizer.pipeline.run",
    "road_network": "optimizer.pipeline.travel",
    "travel": "optimizer.pipeline.travel",
    "SolverReport": "optimizer.results",
    "Status": "optimizer.results",
    "load_scenario": "optimizer.scenario.load",
    "load_variant": "optimizer.scenario.load",
    "Scenario": "optimizer.scenario.scenario",
    "Bracket": "optimizer.scenario.schema",
    "Buyer": "optimizer.scenario.schema",
    "BuyerPrice": "optimizer.scenario.schema",
    "Closure": "optimizer.scenario.schema",
    "Cooperative": "optimizer.scenario.schema",
    "Demand": "optimizer.scenario.schema",
    "Hub": "optimizer.scenario.schema",
    "Member": "optimizer.scenario.schema",
    "NetworkSettings": "optimizer.scenario.schema",
    "Offer": "optimizer.scenario.schema",
    "Parameters": "optimizer.scenario.schema",
    "Product": "optimizer.scenario.schema",
    "Supplier": "optimizer.scenario.schema",
    "Supply": "optimizer.scenario.schema",
    "Vehicle": "optimizer.scenario.schema",
    "apply_overrides": "optimizer.scenario.variants",
    "replace_tables": "optimizer.scenario.variants",
    "available_solvers": "optimizer.solver",
    "solve_milp": "optimizer.solver",
}


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # the next look-up is a plain attribute, not this function
    return value


def __dir__() -> list[str]:
    """The module's attributes, the lazy public names included."""
    return sorted(set(globals()) | set(__all__))


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
