"""What a producer reads: the route comparison, the plan beside their own best, income figures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.models.markets.data import FARM_GATE, MarketData, MarketResult

__all__ = ["MarketFigures", "compare_with_own_best", "income_figures", "route_comparison"]

_EPS = 1e-9


def route_comparison(data: MarketData, result: MarketResult | None = None) -> pd.DataFrame:
    """Every member × product × reachable buyer of that product, ranked by net price.

    Columns: member, product, buyer, distance_km, time_h, price, handling_fee,
    transport_cost_per_unit, net_per_unit, farm_gate_price, gain_per_unit (net − farm gate),
    perishability_ok, rank (1 = best net price among the buyers perishability allows;
    empty where it does not), own_best (rank 1 and better than the farm gate), and with a
    ``result`` planned_quantity. Rows are sorted by member, product and rank.
    """
    reach = np.isfinite(data.distance_km) & np.isfinite(data.time_h)
    limit = np.where(np.isnan(data.perishability_h), np.inf, data.perishability_h)
    parts = []
    for j in range(data.n_products):
        mask = reach & (data.supply[:, j, None] > 0) & (data.max_intake[None, :, j] > 0)
        rows, cols = np.nonzero(mask)
        parts.append((rows, cols, np.full(rows.size, j)))
    m = np.concatenate([x[0] for x in parts]).astype(np.int64)
    b = np.concatenate([x[1] for x in parts]).astype(np.int64)
    p = np.concatenate([x[2] for x in parts]).astype(np.int64)
    transport = data.distance_km[m, b] * data.transport_cost_per_unit_km[p]
    net = data.price[b, p] - data.handling_fee[b, p] - transport
    ok = data.time_h[m, b] <= limit[p]
    table = pd.DataFrame(
        {
            "member": np.asarray(data.member_ids, dtype=object)[m],
            "product": np.asarray(data.product_ids, dtype=object)[p],
            "buyer": np.asarray(data.buyer_ids, dtype=object)[b],
            "distance_km": data.distance_km[m, b],
            "time_h": data.time_h[m, b],
            "price": data.price[b, p],
            "handling_fee": data.handling_fee[b, p],
            "transport_cost_per_unit": transport,
            "net_per_unit": net,
            "farm_gate_price": data.farm_gate_price[m, p],
            "gain_per_unit": net - data.farm_gate_price[m, p],
            "perishability_ok": ok,
        }
    )
    group = m * data.n_products + p
    score = np.where(ok, net, -np.inf)
    order = np.lexsort((b, -score, group))
    sorted_group = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_group)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, order.size]))
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size) - first + 1
    table["rank"] = pd.array(np.where(ok, rank, 0), dtype="Int64")
    table.loc[~ok, "rank"] = pd.NA
    table["own_best"] = ok & (rank == 1) & (net > data.farm_gate_price[m, p])
    if result is not None:
        planned = _planned(data, result)
        table["planned_quantity"] = planned[m, b, p]
    table = table.iloc[order].reset_index(drop=True)
    return table


def compare_with_own_best(data: MarketData, result: MarketResult) -> pd.DataFrame:
    """Each member × product: the plan beside the member's own best choice, and what it costs.

    The own best choice is the buyer with the best net price that perishability allows,
    ignoring every other member (intake, contracts); the farm gate when nothing beats it.
    Columns: member, product, supply, own_best_buyer, own_best_net_per_unit,
    own_best_income, planned_buyers (``;``-joined, largest quantity first), planned_income,
    cost_of_limits (own best − planned income, ≥ 0 up to rounding), pushed (the plan
    differs from the own best choice and earns less).
    """
    m_idx, p_idx = np.nonzero(data.supply > 0)
    allowed = data.allowed()
    transport = data.transport_cost_per_unit()
    net = np.where(
        allowed,
        data.price[None, :, :] - data.handling_fee[None, :, :] - np.where(allowed, transport, 0),
        -np.inf,
    )
    best_b = np.argmax(net, axis=1) if data.n_buyers else np.zeros(data.supply.shape, int)
    best_net = np.max(net, axis=1) if data.n_buyers else np.full(data.supply.shape, -np.inf)
    gate = data.farm_gate_price
    own_net = np.maximum(best_net, gate)
    own_buyer = np.where(
        best_net > gate,
        np.asarray(data.buyer_ids, dtype=object)[best_b] if data.n_buyers else FARM_GATE,
        FARM_GATE,
    )
    members = np.asarray(data.member_ids, dtype=object)[m_idx]
    products = np.asarray(data.product_ids, dtype=object)[p_idx]
    supply = data.supply[m_idx, p_idx]
    own_income = supply * own_net[m_idx, p_idx]
    planned, buyers = _planned_sales(result.flows, members, products)
    table = pd.DataFrame(
        {
            "member": members,
            "product": products,
            "supply": supply,
            "own_best_buyer": own_buyer[m_idx, p_idx],
            "own_best_net_per_unit": own_net[m_idx, p_idx],
            "own_best_income": own_income,
            "planned_buyers": buyers,
            "planned_income": planned,
            "cost_of_limits": own_income - planned,
        }
    )
    table["pushed"] = table["cost_of_limits"] > 1e-6 * np.maximum(np.abs(own_income), 1.0)
    return table


def _planned_sales(
    flows: pd.DataFrame, members: np.ndarray, products: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Per (member, product) pair: the plan's revenue (NaN where it has no row) and its
    buyers, ``;``-joined, largest quantity first (ties in the plan's order)."""
    keys = pd.MultiIndex.from_arrays([members, products], names=["member", "product"])
    if not len(flows):
        return np.full(len(keys), math.nan), [""] * len(keys)
    ordered = flows.sort_values("quantity", ascending=False, kind="stable")
    ordered = ordered.assign(
        member=ordered["member"].astype(str),
        product=ordered["product"].astype(str),
        buyer=ordered["buyer"].astype(str),
    )
    grouped = ordered.groupby(["member", "product"], sort=False)
    income = grouped["revenue"].sum().reindex(keys)
    buyers = grouped["buyer"].agg(";".join).reindex(keys, fill_value="")
    return income.to_numpy(float), buyers.tolist()


@dataclass(frozen=True, eq=False)
class MarketFigures:
    """Income and access figures of a market plan.

    ``members``: member, group, income, farm_gate_income, gain, gain_pct, mean_time_h and
    worst_time_h to the chosen buyers (quantity-weighted mean; NaN when all at the farm
    gate). ``by_cooperative`` and ``by_tag``: the same totals per group (a member counts in
    each of its tags). ``access``: per product, how many members supply it and the share
    within 30 and 60 minutes of a buyer of it.
    """

    members: pd.DataFrame
    by_cooperative: pd.DataFrame
    by_tag: pd.DataFrame
    access: pd.DataFrame
    income: float
    farm_gate_income: float
    mean_time_h: float
    worst_time_h: float

    @property
    def gain(self) -> float:
        return self.income - self.farm_gate_income

    def summary(self, currency: str = "", products: Mapping[str, str] | None = None) -> str:
        """Income, travel and access in words: money in ``currency`` and each product by its
        name in ``products`` when given."""
        pct = self.gain / self.farm_gate_income if self.farm_gate_income > 0 else math.nan
        unit = f" {currency}" if currency else ""
        named = products or {}
        lines = [
            f"income {self.income:,.2f}{unit} vs {self.farm_gate_income:,.2f}{unit} at the "
            f"farm gate (+{self.gain:,.2f}{unit}, {pct:+.1%})",
            f"travel to the chosen buyer: mean {self.mean_time_h * 60:.0f} min, "
            f"worst {self.worst_time_h * 60:.0f} min",
        ]
        for row in self.access.itertuples(index=False):
            lines.append(
                f"{named.get(str(row.product), row.product)}: {row.within_30_min:.0%} of "
                f"{row.members} members within 30 min "
                f"of a buyer, {row.within_60_min:.0%} within 60 min"
            )
        return "\n".join(lines)


def income_figures(
    data: MarketData,
    result: MarketResult,
    *,
    cooperative: Sequence[str] | None = None,
    tags: Sequence[str | Sequence[str]] | None = None,
) -> MarketFigures:
    """Each member's income vs the farm gate, totals by cooperative and tag, travel and access.

    Parameters
    ----------
    data, result
        The data and the plan made for it.
    cooperative
        One label per member (in ``data.member_ids`` order); ``None`` = all in one group.
    tags
        Per member, its tags as a list or a ``;``-separated string; ``None`` = no tags.
    """
    n_m = data.n_members
    if cooperative is not None and len(cooperative) != n_m:
        raise ValueError(f"cooperative needs {n_m} labels, got {len(cooperative)}")
    if tags is not None and len(tags) != n_m:
        raise ValueError(f"tags needs {n_m} entries, got {len(tags)}")
    coop = [str(c) for c in cooperative] if cooperative is not None else ["all"] * n_m
    tag_lists = [_tags(t) for t in tags] if tags is not None else [[] for _ in range(n_m)]

    flows = result.flows
    member_at = {name: i for i, name in enumerate(data.member_ids)}
    m = flows["member"].map(member_at).to_numpy(dtype=np.int64)
    income = np.bincount(m, weights=flows["revenue"].to_numpy(float), minlength=n_m)
    gate_income = np.sum(data.supply * data.farm_gate_price, axis=1)
    to_buyer = (flows["buyer"] != FARM_GATE).to_numpy()
    q = flows["quantity"].to_numpy(float) * to_buyer
    t = flows["time_h"].to_numpy(float)
    weight = np.bincount(m, weights=q, minlength=n_m)
    weighted = np.bincount(m, weights=q * np.where(to_buyer, t, 0.0), minlength=n_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_time = np.where(weight > 0, weighted / weight, np.nan)
    worst_time = np.full(n_m, -np.inf)
    np.maximum.at(worst_time, m[to_buyer], t[to_buyer])
    worst_time[~np.isfinite(worst_time)] = np.nan
    members = pd.DataFrame(
        {
            "member": list(data.member_ids),
            "cooperative": coop,
            "income": income,
            "farm_gate_income": gate_income,
            "gain": income - gate_income,
            "mean_time_h": mean_time,
            "worst_time_h": worst_time,
        }
    )
    members["gain_pct"] = _pct(members["gain"], members["farm_gate_income"])
    by_coop = _totals(members, "cooperative")
    exploded = members.assign(tag=pd.Series(tag_lists, dtype=object)).explode("tag")
    exploded = exploded.dropna(subset=["tag"])
    by_tag = _totals(exploded, "tag") if len(exploded) else _totals(exploded.head(0), "tag")

    total_q = float(q.sum())
    return MarketFigures(
        members=members,
        by_cooperative=by_coop,
        by_tag=by_tag,
        access=_access(data),
        income=float(income.sum()),
        farm_gate_income=float(gate_income.sum()),
        mean_time_h=float((q * np.where(to_buyer, t, 0.0)).sum() / total_q)
        if total_q
        else math.nan,
        worst_time_h=float(t[to_buyer].max()) if to_buyer.any() else math.nan,
    )


def _tags(value: str | Sequence[str]) -> list[str]:
    items = value.split(";") if isinstance(value, str) else list(value)
    return [s.strip() for s in items if s and s.strip()]


def _pct(gain: pd.Series, base: pd.Series) -> pd.Series:
    return (gain / base.where(base > 0)).astype(float)


def _totals(table: pd.DataFrame, key: str) -> pd.DataFrame:
    grouped = table.groupby(key, sort=True).agg(
        members=("member", "nunique"),
        income=("income", "sum"),
        farm_gate_income=("farm_gate_income", "sum"),
        gain=("gain", "sum"),
    )
    grouped["gain_pct"] = _pct(grouped["gain"], grouped["farm_gate_income"])
    return grouped.reset_index()


def _planned(data: MarketData, result: MarketResult) -> np.ndarray:
    planned = np.zeros((data.n_members, data.n_buyers, data.n_products))
    flows = result.flows[result.flows["buyer"] != FARM_GATE]
    if len(flows):
        m = flows["member"].map({n: i for i, n in enumerate(data.member_ids)}).to_numpy(int)
        b = flows["buyer"].map({n: i for i, n in enumerate(data.buyer_ids)}).to_numpy(int)
        p = flows["product"].map({n: i for i, n in enumerate(data.product_ids)}).to_numpy(int)
        np.add.at(planned, (m, b, p), flows["quantity"].to_numpy(float))
    return planned


def _access(data: MarketData) -> pd.DataFrame:
    """Per product, the share of its suppliers within 30 and 60 minutes of a buyer of it
    (one reached before the product perishes)."""
    n_m = data.n_members
    limit = np.where(np.isnan(data.perishability_h), np.inf, data.perishability_h)
    access_rows = []
    for p in range(data.n_products):
        supplying = data.supply[:, p] > 0
        buys = data.max_intake[:, p] > 0
        times = np.where(buys[None, :] & (data.time_h <= limit[p]), data.time_h, np.inf)
        nearest = times.min(axis=1) if data.n_buyers else np.full(n_m, np.inf)
        count = int(supplying.sum())
        access_rows.append(
            {
                "product": data.product_ids[p],
                "members": count,
                "within_30_min": float(np.mean(nearest[supplying] <= 0.5)) if count else math.nan,
                "within_60_min": float(np.mean(nearest[supplying] <= 1.0)) if count else math.nan,
            }
        )
    return pd.DataFrame(access_rows)
