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

__all__ = [
    "Bracket",
    "Buyer",
    "BuyerPrice",
    "Closure",
    "Cooperative",
    "Demand",
    "Hub",
    "InputError",
    "Member",
    "NetworkSettings",
    "Offer",
    "Parameters",
    "Problem",
    "Product",
    "Scenario",
    "SolverReport",
    "Status",
    "Supplier",
    "Supply",
    "Vehicle",
    "__version__",
    "apply_overrides",
    "available_solvers",
    "load_scenario",
    "load_variant",
    "solve",
]
