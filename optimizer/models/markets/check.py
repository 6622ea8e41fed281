"""Independent check of a market plan: from the data and the plan's quantities alone.

Nothing here uses the solver's objective, the pair arrays or the prices in the plan's
table: the limits are re-read from :class:`MarketData` and the income recomputed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.models.markets.data import FARM_GATE, MarketData, MarketResult
from optimizer.results import Check

__all__ = ["check_markets"]


def check_markets(data: MarketData, result: MarketResult, *, tolerance: float = 1e-6) -> Check:
    """Check a plan's supply, intake, contracts, perishability and one-buyer rule; its income.

    Parameters
    ----------
    data
        The data the plan was made for.
    result
        The plan; only its ``flows`` (member, product, buyer, quantity), ``objective`` and
        ``single_buyer`` are read.
    tolerance
        Relative tolerance on quantities (of the limit) and on the income.

    Returns
    -------
    Check
        ``cost`` is the recomputed income (the maximised objective); ``figures`` holds
        ``income`` (the same), ``farm_gate_income`` (everything sold at the farm gate) and
        ``gain`` (their difference).
    """
    if not result.status.has_solution:
        return _check(("the result has no plan",), math.nan, data)
    problems: list[str] = []
    sold, gate = _read_flows(data, result.flows, problems)
    used = sold > _tol(tolerance, 0.0)
    _check_supply(data, sold, gate, tolerance, problems)
    _check_pairs(data, used, problems)
    _check_intake(data, sold, tolerance, problems)
    if result.single_buyer:
        count = used.sum(axis=1)
        for m, p in zip(*np.nonzero(count > 1), strict=True):
            problems.append(
                f"{data.member_ids[m]} sells {data.product_ids[p]} to "
                f"{count[m, p]} buyers, one allowed"
            )
    reach = np.isfinite(data.distance_km) & np.isfinite(data.time_h)
    distance = np.where(reach, data.distance_km, 0.0)
    transport = distance[:, :, None] * data.transport_cost_per_unit_km[None, None, :]
    net = data.price[None, :, :] - data.handling_fee[None, :, :] - transport
    income = float(np.sum(np.where(used, sold * net, 0.0)) + np.sum(gate * data.farm_gate_price))
    if not math.isclose(income, result.objective, rel_tol=tolerance, abs_tol=tolerance):
        problems.append(
            f"income recomputed {income:,.4f} differs from the reported {result.objective:,.4f}"
        )
    return _check(tuple(problems), income, data)


def _tol(tolerance: float, limit: np.ndarray | float) -> np.ndarray:
    """The absolute slack on a limit: ``tolerance`` of it, and at least ``tolerance``."""
    return tolerance * np.maximum(np.abs(limit), 1.0)


def _read_flows(
    data: MarketData, flows: pd.DataFrame, problems: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The quantities sold ``(M, B, P)`` and left at the farm gate ``(M, P)``; rows naming
    unknown members, products or buyers, or negative quantities, are problems."""
    member_at = {name: i for i, name in enumerate(data.member_ids)}
    buyer_at = {name: i for i, name in enumerate(data.buyer_ids)}
    product_at = {name: i for i, name in enumerate(data.product_ids)}
    n_m, n_b, n_p = data.n_members, data.n_buyers, data.n_products
    sold = np.zeros((n_m, n_b, n_p))
    gate = np.zeros((n_m, n_p))
    quantities = flows["quantity"].to_numpy(dtype=float)
    for row, q in zip(flows.itertuples(index=False), quantities, strict=True):
        m = member_at.get(str(row.member))
        p = product_at.get(str(row.product))
        if m is None or p is None:
            problems.append(f"unknown member or product: {row.member}/{row.product}")
            continue
        if not (math.isfinite(q) and q >= 0):
            problems.append(f"{row.member}/{row.product}: quantity {q} is not ≥ 0")
            continue
        if row.buyer == FARM_GATE:
            gate[m, p] += q
            continue
        b = buyer_at.get(str(row.buyer))
        if b is None:
            problems.append(f"unknown buyer {row.buyer}")
            continue
        sold[m, b, p] += q
    return sold, gate


def _check_supply(
    data: MarketData, sold: np.ndarray, gate: np.ndarray, tolerance: float, problems: list[str]
) -> None:
    """Every member places its whole supply (sold or at the farm gate)."""
    delivered = sold.sum(axis=1) + gate
    off = np.abs(delivered - data.supply) > _tol(tolerance, data.supply)
    for m, p in zip(*np.nonzero(off), strict=True):
        problems.append(
            f"{data.member_ids[m]}/{data.product_ids[p]}: plan places {delivered[m, p]:g} "
            f"of a supply of {data.supply[m, p]:g}"
        )


def _check_pairs(data: MarketData, used: np.ndarray, problems: list[str]) -> None:
    """Sales only over roads, to buyers of the product, within its perishability."""
    reach = np.isfinite(data.distance_km) & np.isfinite(data.time_h)
    for m, b, _ in zip(*np.nonzero(used & ~reach[:, :, None]), strict=True):
        problems.append(f"{data.member_ids[m]} cannot reach {data.buyer_ids[b]}")
    for m, b, p in zip(*np.nonzero(used & (data.max_intake[None, :, :] <= 0)), strict=True):
        problems.append(
            f"{data.buyer_ids[b]} does not buy {data.product_ids[p]} (from {data.member_ids[m]})"
        )
    perish = data.perishability_h
    too_slow = used & (data.time_h[:, :, None] > np.where(np.isnan(perish), np.inf, perish))
    for m, b, p in zip(*np.nonzero(too_slow), strict=True):
        problems.append(
            f"{data.member_ids[m]} → {data.buyer_ids[b]}: {data.time_h[m, b]:.2f} h is beyond "
            f"{data.product_ids[p]}'s perishability of {perish[p]:g} h"
        )


def _check_intake(
    data: MarketData, sold: np.ndarray, tolerance: float, problems: list[str]
) -> None:
    """Each buyer's intake between its minimum contract (when it buys) and its maximum."""

    def tol(limit: np.ndarray | float) -> np.ndarray:
        return _tol(tolerance, limit)

    intake = sold.sum(axis=0)
    for b, p in zip(*np.nonzero(intake > data.max_intake + tol(data.max_intake)), strict=True):
        problems.append(
            f"{data.buyer_ids[b]} takes {intake[b, p]:g} {data.product_ids[p]}, "
            f"above its maximum intake {data.max_intake[b, p]:g}"
        )
    short = (intake > tol(0.0)) & (intake < data.min_contract - tol(data.min_contract))
    for b, p in zip(*np.nonzero(short), strict=True):
        problems.append(
            f"{data.buyer_ids[b]} gets {intake[b, p]:g} {data.product_ids[p]}, "
            f"below its minimum contract {data.min_contract[b, p]:g}"
        )


def _check(problems: tuple[str, ...], income: float, data: MarketData) -> Check:
    """The :class:`Check` of a plan with this recomputed ``income``."""
    gate = data.farm_gate_income
    figures = {"income": income, "farm_gate_income": gate, "gain": income - gate}
    return Check(problems, income, figures)
