"""The facility location instance and plan: :class:`FacilityData`, :class:`FacilityResult`.

Also :func:`p_median_data`, the capacitated p-median problem written as a facility location
instance. The formulation is in :mod:`optimizer.models.facility.solve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.results import Status

__all__ = ["FacilityData", "FacilityResult", "p_median_data"]

_SOURCE = "facility data"


@dataclass(frozen=True, eq=False)
class FacilityData:
    """A capacitated facility location instance, validated on creation.

    Parameters
    ----------
    fixed_cost
        Cost of opening each site, shape ``(I,)``.
    capacity
        Most each site can ship, shape ``(I,)``, in the demand's unit.
    demand
        Each customer's demand, shape ``(J,)``.
    unit_cost
        Cost per unit shipped from site ``i`` to customer ``j``, shape ``(I, J)``; ``inf``
        where the site cannot serve the customer.
    single_source
        Each customer served by exactly one site.
    existing
        Sites already open (kept open), boolean shape ``(I,)``; none when omitted.
    n_open
        Exactly this many sites open, when given (the p-median case).
    """

    fixed_cost: np.ndarray
    capacity: np.ndarray
    demand: np.ndarray
    unit_cost: np.ndarray
    single_source: bool = False
    existing: np.ndarray | None = None
    n_open: int | None = None

    def __post_init__(self) -> None:
        fixed = _vector("fixed_cost", self.fixed_cost)
        n_sites = fixed.size
        capacity = _vector("capacity", self.capacity, size=n_sites, nonnegative=True)
        demand = _vector("demand", self.demand, nonnegative=True)
        unit_cost = np.asarray(self.unit_cost, dtype=float)
        if unit_cost.shape != (n_sites, demand.size):
            raise InputError(
                Problem(
                    _SOURCE,
                    f"an array of shape (sites, customers) = ({n_sites}, {demand.size})",
                    column="unit_cost",
                    value=f"shape {unit_cost.shape}",
                )
            )
        if np.isnan(unit_cost).any() or np.isneginf(unit_cost).any():
            raise InputError(
                Problem(_SOURCE, "numbers or +inf (no link)", column="unit_cost", value="NaN")
            )
        if self.existing is None:
            existing = np.zeros(n_sites, dtype=bool)
        else:
            existing = np.asarray(self.existing, dtype=bool)
            if existing.shape != (n_sites,):
                raise InputError(
                    Problem(
                        _SOURCE,
                        f"one true/false per site ({n_sites})",
                        column="existing",
                        value=f"shape {existing.shape}",
                    )
                )
        if self.n_open is not None and not 0 <= self.n_open <= n_sites:
            raise InputError(
                Problem(
                    _SOURCE,
                    f"a number of sites between 0 and {n_sites}",
                    column="n_open",
                    value=self.n_open,
                )
            )
        for name, value in (
            ("fixed_cost", fixed),
            ("capacity", capacity),
            ("demand", demand),
            ("unit_cost", unit_cost),
            ("existing", existing),
        ):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def existing_mask(self) -> np.ndarray:
        """Boolean per site: already open (all false when ``existing`` was omitted)."""
        return cast(np.ndarray, self.existing)

    @property
    def n_sites(self) -> int:
        return int(self.fixed_cost.size)

    @property
    def n_customers(self) -> int:
        return int(self.demand.size)


@dataclass(frozen=True, eq=False)
class FacilityResult:
    """A facility location plan and how the solve went.

    ``open_sites`` are 0-based site indices; ``flows`` has one row per served pair with columns
    ``site``, ``customer``, ``quantity`` and ``cost`` (quantity × unit cost).
    """

    status: Status
    objective: float
    bound: float
    gap: float
    runtime_s: float
    open_sites: tuple[int, ...] = ()
    flows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"site": [], "customer": [], "quantity": [], "cost": []}
        )
    )
    fixed_cost_total: float = math.nan
    transport_cost_total: float = math.nan
    solver: str = ""
    message: str = ""

    def assignment(self) -> pd.Series:
        """Each served customer's main site (its only site when single-sourced)."""
        if self.flows.empty:
            return pd.Series(dtype=int, name="site")
        main = self.flows.sort_values("quantity", ascending=False).drop_duplicates("customer")
        return main.set_index("customer")["site"].sort_index()

    def summary(self) -> str:
        if not self.status.has_solution:
            return f"facility location: {self.status.value}. {self.message}".strip()
        gap = "" if self.status is Status.OPTIMAL else f", gap {self.gap:.3%}"
        return (
            f"facility location: {self.status.value}, cost {self.objective:,.2f}{gap} "
            f"(fixed {self.fixed_cost_total:,.2f} + transport {self.transport_cost_total:,.2f}); "
            f"{len(self.open_sites)} sites open; {self.runtime_s:.2f} s ({self.solver})"
        )


def p_median_data(
    distance: np.ndarray, demand: np.ndarray, capacity: float | np.ndarray, n_medians: int
) -> FacilityData:
    """The capacitated p-median instance as :class:`FacilityData` (cost per unit = distance /
    demand, so that serving a point's whole demand costs its distance)."""
    dist = np.asarray(distance, dtype=float)
    dem = _vector("demand", demand, nonnegative=True)
    if dist.shape != (dem.size, dem.size):
        raise InputError(
            Problem(
                _SOURCE,
                f"a square distance matrix of size {dem.size}",
                column="distance",
                value=f"shape {dist.shape}",
            )
        )
    if (dem <= 0).any():
        raise InputError(
            Problem(_SOURCE, "a positive demand at every point", column="demand", value=0)
        )
    cap = np.broadcast_to(np.asarray(capacity, dtype=float), dem.shape).copy()
    return FacilityData(
        np.zeros(dem.size), cap, dem, dist / dem[None, :], single_source=True, n_open=n_medians
    )


def _vector(
    name: str, values: np.ndarray, *, size: int | None = None, nonnegative: bool = False
) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or (size is not None and array.size != size):
        want = f"one number per site ({size})" if size is not None else "a one-dimensional array"
        raise InputError(Problem(_SOURCE, want, column=name, value=f"shape {array.shape}"))
    if not np.isfinite(array).all():
        raise InputError(Problem(_SOURCE, "finite numbers", column=name, value="NaN or inf"))
    if nonnegative and (array < 0).any():
        bad = float(array[array < 0][0])
        raise InputError(Problem(_SOURCE, "numbers ≥ 0", column=name, value=bad))
    return array.copy()
