"""Market allocation: which buyer pays each producer most, net of the road.

Each member sells its produce to markets and processors (buyers) or, as a fallback that is
always open, to a middleman at the farm gate. The plan maximises the members' total income
within the buyers' intake and minimum contracts and the produce's perishability.

Formulation
-----------
Sets
    ``M`` members, ``B`` buyers, ``P`` products; ``K ⊆ M × B × P`` the feasible pairs
    (:attr:`MarketData.pairs`): member m supplies p (``s[m,p] > 0``), buyer b takes p
    (``cap[b,p] > 0``), b is reachable from m and ``time_h[m,b] ≤ perishability_h[p]``.
Data
    ``s[m,p]`` supply, ``f[m,p]`` farm-gate price, ``π[b,p]`` buyer price, ``h[b,p]`` handling
    fee, ``cap[b,p]`` maximum intake, ``L[b,p]`` minimum contract,
    ``t[m,b,p] = distance_km[m,b] × c[p]`` transport cost per unit with
    ``c[p]`` = ``transport_cost_per_unit_km[p]`` (the one transport rule,
    ``docs/transport-cost.md``), net price ``n[k] = π[b,p] − h[b,p] − t[m,b,p]`` and margin over the
    farm gate ``g[k] = n[k] − f[m,p]`` for ``k = (m,b,p) ∈ K``.
Variables
    ``x[k] ≥ 0`` quantity sold on pair k; ``u[m,p] ≥ 0`` sold at the farm gate;
    ``y[b,p] ∈ {0,1}`` contract (b,p) used, only where ``L[b,p] > 0``;
    ``z[k] ∈ {0,1}`` pair k chosen, only with ``single_buyer``.
Objective
    ``max Σ_k n[k] x[k] + Σ_{m,p} f[m,p] u[m,p]``  (= ``Σ f s + Σ_k g[k] x[k]``: the solvers
    maximise the margin form).
Constraints
    supply ``Σ_b x[m,b,p] + u[m,p] = s[m,p]``;
    intake ``Σ_m x[m,b,p] ≤ cap[b,p]`` (``≤ cap[b,p] y[b,p]`` where ``L[b,p] > 0``);
    contracts ``Σ_m x[m,b,p] ≥ L[b,p] y[b,p]``;
    one buyer ``x[k] ≤ s[m,p] z[k]``, ``Σ_b z[m,b,p] ≤ 1``.

Without contracts and without ``single_buyer`` this is a transportation problem, solved
as a minimum-cost flow with OR-Tools (pairs with ``g ≤ 0`` are never worth using and are
left out); quantities and margins are scaled to integers, and the bound reported beside
the plan adds what that rounding may have cost (about 1e-8 of the income). Otherwise a
MILP with PuLP and HiGHS over candidate pairs, widened until no left-out pair improves the
plan (:mod:`optimizer.models.markets.milp`). Its LP relaxation equals the contract-free
flow, whose value (``relaxation_bound``) is an upper bound valid for the whole problem;
``bound`` is the MILP's bound over the candidate pairs.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.models.markets.data import FARM_GATE, FLOW_COLUMNS, MarketData, MarketResult
from optimizer.models.markets.flow import solve_flow
from optimizer.models.markets.milp import income_of, solve_milp
from optimizer.results import Status
from optimizer.solver import DEFAULT_GAP, DEFAULT_TIME_LIMIT_S, SolverName

__all__ = ["flows_table", "solve_markets"]

Method = Literal["auto", "flow", "milp"]


def solve_markets(
    data: MarketData,
    *,
    single_buyer: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    gap: float = DEFAULT_GAP,
    method: Method = "auto",
    solver: SolverName = "auto",
    candidates: int = 5,
) -> MarketResult:
    """Plan who sells how much of what to which buyer.

    Parameters
    ----------
    data
        The market data.
    single_buyer
        Each member sells each product to one buyer at most (the rest at the farm gate).
    time_limit
        Seconds for the MILP (the min-cost flow has no limit; it takes seconds at most).
    gap
        Relative MIP gap at which the MILP may stop.
    method
        ``"flow"`` (min-cost flow; only without contracts and ``single_buyer``), ``"milp"``
        (PuLP + HiGHS, always), or ``"auto"``: the flow whenever it applies, and also when
        the contract-free flow's plan happens to meet every contract (then it is optimal).
    solver
        The MILP solver (see :func:`optimizer.solver.solve_milp`).
    candidates
        Initial number of candidate buyers per member and product in the MILP.

    Returns
    -------
    MarketResult
        Infeasible or timed-out solves are statuses, not exceptions.
    """
    start = time.perf_counter()
    pairs = data.pairs
    has_contracts = bool(np.any(data.min_contract[pairs.buyer, pairs.product] > 0))
    needs_milp = has_contracts or single_buyer
    _check_arguments(method, needs_milp=needs_milp, candidates=candidates)
    stranded = tuple(data.stranded())
    if method == "milp" or needs_milp:
        plan = solve_milp(
            data,
            single_buyer=single_buyer,
            time_limit=time_limit,
            gap=gap,
            solver=solver,
            candidates=candidates,
            shortcut=method != "milp",
        )
        status, quantity, bound = plan.status, plan.quantity, plan.bound
        relaxation = plan.relaxation_bound
        solver_name = plan.solver
        message = f"{plan.message} ({plan.rounds} rounds, {plan.candidates} candidate pairs)"
    else:
        status, quantity, bound, solver_name, message = _solve_by_flow(data)
        relaxation = bound
    runtime = time.perf_counter() - start
    if not status.has_solution:
        return _no_plan(data, status, runtime, single_buyer, solver_name, message, stranded)
    objective = income_of(data, quantity)
    gap_value = abs(bound - objective) / max(abs(objective), 1e-9)
    return MarketResult(
        status,
        objective,
        bound,
        gap_value,
        runtime,
        flows_table(data, quantity),
        single_buyer=single_buyer,
        solver=solver_name,
        message=message.strip(),
        farm_gate_income=data.farm_gate_income,
        stranded=stranded,
        relaxation_bound=relaxation,
    )


def _solve_by_flow(data: MarketData) -> tuple[Status, np.ndarray, float, str, str]:
    """The min-cost flow's status, quantities, bound (its income before rounding), solver
    name and message."""
    flow = solve_flow(data)
    status, quantity = flow.status, flow.quantity
    bound = income_of(data, quantity) + flow.rounding if status.has_solution else float("nan")
    return status, quantity, bound, "min_cost_flow", flow.message


def _check_arguments(method: str, *, needs_milp: bool, candidates: int) -> None:
    """Refuse a method that cannot model the data, an unknown method, no candidates."""
    if method == "flow" and needs_milp:
        raise ValueError("method='flow' cannot model minimum contracts or single_buyer")
    if method not in ("auto", "flow", "milp"):
        raise ValueError(f"method must be 'auto', 'flow' or 'milp', got {method!r}")
    if candidates < 1:
        raise ValueError(f"candidates must be ≥ 1, got {candidates}")


def _no_plan(
    data: MarketData,
    status: Status,
    runtime: float,
    single_buyer: bool,
    solver_name: str,
    message: str,
    stranded: tuple[tuple[str, str], ...],
) -> MarketResult:
    """The result of a solve that found no plan: its status and message, no flows."""
    return MarketResult(
        status,
        float("nan"),
        float("nan"),
        float("inf"),
        runtime,
        _empty_flows(),
        single_buyer=single_buyer,
        solver=solver_name,
        message=message,
        farm_gate_income=data.farm_gate_income,
        stranded=stranded,
    )


def flows_table(data: MarketData, quantity: np.ndarray) -> pd.DataFrame:
    """The plan as rows (member, product, buyer or ``"farm_gate"``) with a positive quantity."""
    pairs = data.pairs
    used = np.flatnonzero(quantity > 1e-9)
    m, b, p = pairs.member[used], pairs.buyer[used], pairs.product[used]
    q = quantity[used]
    sold = np.zeros(data.supply.shape)
    np.add.at(sold, (m, p), q)
    unsold = np.maximum(data.supply - sold, 0.0)
    fm, fp = np.nonzero(unsold > 1e-9)
    fq = unsold[fm, fp]
    members = np.asarray(data.member_ids, dtype=object)
    products = np.asarray(data.product_ids, dtype=object)
    buyers = np.asarray(data.buyer_ids, dtype=object)
    gate = data.farm_gate_price[fm, fp]
    table = pd.DataFrame(
        {
            "member": np.concatenate([members[m], members[fm]]),
            "product": np.concatenate([products[p], products[fp]]),
            "buyer": np.concatenate([buyers[b], np.full(fm.size, FARM_GATE, dtype=object)]),
            "quantity": np.concatenate([q, fq]),
            "price": np.concatenate([data.price[b, p], gate]),
            "handling_fee": np.concatenate([data.handling_fee[b, p], np.zeros(fm.size)]),
            "transport_cost_per_unit": np.concatenate([pairs.transport[used], np.zeros(fm.size)]),
            "net_per_unit": np.concatenate([pairs.net[used], gate]),
            "distance_km": np.concatenate([data.distance_km[m, b], np.zeros(fm.size)]),
            "time_h": np.concatenate([data.time_h[m, b], np.zeros(fm.size)]),
        }
    )
    table["revenue"] = table["quantity"] * table["net_per_unit"]
    order = np.lexsort(
        (
            table["buyer"].to_numpy() == FARM_GATE,
            np.concatenate([p, fp]),
            np.concatenate([m, fm]),
        )
    )
    return table.iloc[order][FLOW_COLUMNS].reset_index(drop=True)


def _empty_flows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            name: pd.Series(dtype=object if name in ("member", "product", "buyer") else float)
            for name in FLOW_COLUMNS
        }
    )
