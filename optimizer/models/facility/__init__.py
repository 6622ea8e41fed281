"""Capacitated facility location and the capacitated p-median problem (numeric core).

``data`` holds the instance (:class:`FacilityData`), the plan (:class:`FacilityResult`) and the
p-median instance builder; ``solve`` writes and solves the MILP (its docstring gives the
formulation) and says why an instance is infeasible; ``check`` recomputes a plan's feasibility
and cost from its decisions alone. This folder imports only ``optimizer.errors``,
``optimizer.results`` and ``optimizer.solver``: never roads or the faces.
"""

from optimizer.models.facility.check import check_facility_location
from optimizer.models.facility.data import FacilityData, FacilityResult, p_median_data
from optimizer.models.facility.solve import (
    diagnose_infeasibility,
    solve_facility_data,
    solve_facility_location,
    solve_p_median_capacitated,
)

__all__ = [
    "FacilityData",
    "FacilityResult",
    "check_facility_location",
    "diagnose_infeasibility",
    "p_median_data",
    "solve_facility_data",
    "solve_facility_location",
    "solve_p_median_capacitated",
]
