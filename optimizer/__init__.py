"""coop-optimizer: pooled procurement, market access, shared hubs and collection routing."""

from optimizer.errors import InputError, Problem
from optimizer.results import SolverReport, Status

__version__ = "0.1.0"

__all__ = ["InputError", "Problem", "SolverReport", "Status", "__version__"]
