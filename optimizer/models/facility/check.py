"""The independent check of a facility location plan: from its open sites and flows alone."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.models.facility.data import FacilityData, FacilityResult
from optimizer.results import Check

__all__ = ["check_facility_location"]


def check_facility_location(data: FacilityData, result: FacilityResult) -> Check:
    """Verify a plan from its decisions alone and recompute its cost.

    Checks that every customer's demand is met, no site ships more than its capacity, flows
    leave open sites only over allowed links, existing sites are open, the number of open
    sites (p-median), single sourcing when asked, and that the recomputed cost matches the
    objective the solver reported.

    Returns
    -------
    Check
        ``cost`` is the recomputed total cost; ``figures`` holds its parts ``fixed_cost`` and
        ``transport_cost``.
    """
    problems: list[str] = []
    open_mask = np.zeros(data.n_sites, dtype=bool)
    open_mask[list(result.open_sites)] = True
    flows = result.flows
    site = flows["site"].to_numpy(dtype=int)
    customer = flows["customer"].to_numpy(dtype=int)
    quantity = flows["quantity"].to_numpy(dtype=float)
    tol = 1e-6
    if (quantity < -tol).any():
        problems.append("negative flow")
    shipped = np.bincount(customer, weights=quantity, minlength=data.n_customers)
    for j in np.flatnonzero(np.abs(shipped - data.demand) > tol * np.maximum(1, data.demand)):
        problems.append(f"customer {j} receives {shipped[j]:g}, demand is {data.demand[j]:g}")
    out = np.bincount(site, weights=quantity, minlength=data.n_sites)
    for i in np.flatnonzero(out > data.capacity * (1 + tol) + tol):
        problems.append(f"site {i} ships {out[i]:g}, capacity is {data.capacity[i]:g}")
    for i in sorted(set(site[~open_mask[site]].tolist())):
        problems.append(f"site {i} ships but is not open")
    for i in np.flatnonzero(data.existing_mask & ~open_mask):
        problems.append(f"existing site {i} is not open")
    if data.n_open is not None and int(open_mask.sum()) != data.n_open:
        problems.append(f"{int(open_mask.sum())} sites open, expected exactly {data.n_open}")
    link = data.unit_cost[site, customer]
    if not np.isfinite(link).all():
        problems.append("a flow uses a link that does not exist")
    if data.single_source:
        served_by = pd.Series(site).groupby(customer).nunique()
        for j in served_by.index[served_by.to_numpy() > 1]:
            problems.append(f"customer {j} is served by {served_by[j]} sites (single sourcing)")
    fixed = float(data.fixed_cost[open_mask].sum())
    transport = float(np.sum(np.where(np.isfinite(link), link, 0.0) * quantity))
    cost = fixed + transport
    claimed = result.objective
    if math.isfinite(claimed) and abs(cost - claimed) > 1e-6 * max(1.0, abs(cost)):
        problems.append(f"recomputed cost {cost:,.6f} differs from the reported {claimed:,.6f}")
    return Check(tuple(problems), cost, {"fixed_cost": fixed, "transport_cost": transport})
