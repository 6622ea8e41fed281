"""The sidebar's what-if controls, turned into overrides for :func:`apply_overrides`.

:func:`build_overrides` is plain Python (tested on its own); :func:`whatif_sidebar` draws
the widgets and stores the overrides in ``st.session_state["overrides"]`` for every page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import streamlit as st

from optimizer.app.names import labelled
from optimizer.scenario.scenario import Scenario

__all__ = ["build_overrides", "queue_closure", "road_names", "threshold_updates", "whatif_sidebar"]

_KEYS = (
    "wi_fuel",
    "wi_payload",
    "wi_threshold",
    "wi_rainy",
    "wi_unpaved",
    "wi_closures",
    "wi_ways",
    "wi_remove",
)
_QUEUED = "wi_queued_closure"  # a road clicked on a map, for the closures of the next run


def build_overrides(
    base: Scenario,
    *,
    fuel_factor: float = 1.0,
    payload_factor: float = 1.0,
    threshold_factor: float = 1.0,
    rainy: bool = False,
    unpaved_factor: float | None = None,
    closures: Sequence[str] = (),
    closed_ways: Sequence[int] = (),
    removed_buyers: Sequence[str] = (),
    added_buyer: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Overrides for the base and the changes in words; empty when nothing changes.

    Factors multiply the base's values (fuel price factor, truck and vehicle payloads,
    bracket thresholds as :func:`threshold_updates` does). ``rainy`` switches a dry base to
    the rainy season, with ``unpaved_factor`` as the speed factor on unpaved roads.
    ``closures`` are road names or numbers, ``closed_ways`` OSM way ids (roads without
    either). ``added_buyer`` holds ``id, name, kind, lat, lon, product, price, max_intake``.
    The changes name buyers as people know them, ``Name (ID)``.
    """
    set_: dict[str, Any] = {}
    scale: dict[str, float] = {}
    add: dict[str, list[Any]] = {}
    update: dict[str, list[Any]] = {}
    changes: list[str] = []
    if abs(fuel_factor - 1.0) > 1e-9:
        new = base.parameters.fuel_price_factor * fuel_factor
        set_["parameters.fuel_price_factor"] = round(new, 6)
        changes.append(f"fuel price x{fuel_factor:g} (factor {new:g})")
    if abs(payload_factor - 1.0) > 1e-9:
        scale["suppliers.truck_payload_kg"] = payload_factor
        scale["vehicles.payload_kg"] = payload_factor
        changes.append(f"truck payloads x{payload_factor:g}")
    if abs(threshold_factor - 1.0) > 1e-9:
        update["brackets"] = threshold_updates(base, threshold_factor)
        changes.append(f"discount thresholds x{threshold_factor:g}")
    if rainy and base.network.season != "rainy":
        set_["network.season"] = "rainy"
        changes.append("rainy season")
    if rainy and unpaved_factor is not None:
        current = base.network.seasonal_factors.get("unpaved")
        if current is None or abs(current - unpaved_factor) > 1e-9:
            set_["network.seasonal_factors"] = {
                **base.network.seasonal_factors,
                "unpaved": unpaved_factor,
            }
            changes.append(f"unpaved roads at x{unpaved_factor:g} speed in the rain")
    closed, shown = _closures(closures, closed_ways)
    if closed:
        add["network.closures"] = closed
        changes.append(f"closed: {shown}")
    overrides: dict[str, Any] = {}
    if removed_buyers:
        overrides["remove"] = {"buyers": list(removed_buyers)}
        names = {b.id: b.name for b in base.buyers}
        shown_buyers = ", ".join(labelled(b, names) for b in removed_buyers)
        changes.append(f"buyers removed: {shown_buyers}")
    if added_buyer:
        changes.append(_add_buyer(add, dict(added_buyer)))
    if set_:
        overrides["set"] = set_
    if scale:
        overrides["scale"] = scale
    if add:
        overrides["add"] = add
    if any(update.values()):
        overrides["update"] = update
    return overrides, changes


def threshold_updates(base: Scenario, factor: float) -> list[dict[str, Any]]:
    """Updates of the brackets table moving every discount threshold by ``factor``.

    Each offer's first bracket stays where it is (at 0 or at the minimum order, which is what
    makes an order of any size priced); the later thresholds keep their distance from it times
    ``factor``, so they still rise for any factor above 0 and the scenario stays valid. The
    updates are ordered so that a moved threshold never meets one still to be moved.
    """
    by_offer: dict[tuple[str, str], list[float]] = {}
    for bracket in base.brackets:
        by_offer.setdefault((bracket.supplier, bracket.product), []).append(bracket.threshold)
    updates = []
    for (supplier, product), thresholds in by_offer.items():
        first, *later = sorted(thresholds)
        for threshold in sorted(later, reverse=factor > 1):
            where = {"supplier": supplier, "product": product, "threshold": threshold}
            moved = first + (threshold - first) * factor
            updates.append({"where": where, "set": {"threshold": round(moved, 6)}})
    return updates


def _add_buyer(add: dict[str, list[Any]], buyer: dict[str, Any]) -> str:
    """Add the buyer and its price to ``add``; the change in words."""
    add["buyers"] = [{k: buyer[k] for k in ("id", "name", "kind", "lat", "lon")}]
    add["buyer_prices"] = [
        {k: buyer[k] for k in ("product", "price", "max_intake")} | {"buyer": buyer["id"]}
    ]
    return (
        f"new buyer {buyer['name']} ({buyer['id']}) paying {buyer['price']:g} for "
        f"{buyer['product']}"
    )


def _closures(names: Sequence[str], ways: Sequence[int]) -> tuple[list[dict[str, Any]], str]:
    """The closures by name, then one of the way ids; and the closed roads in words."""
    closed: list[dict[str, Any]] = [{"name": name} for name in names]
    unique = sorted({int(w) for w in ways})
    if unique:
        closed.append({"way_ids": unique})
    return closed, ", ".join([*names, *(f"way {w}" for w in unique)])


def road_names(network: Any) -> list[str]:
    """Road names and refs of a network, refs (``B 104``) first, for the closure picker."""
    if network is None:
        return []
    refs = {
        part.strip()
        for ref in np.unique(network.way_ref)
        for part in str(ref).split(";")
        if part.strip()
    }
    names = {str(n) for n in np.unique(network.way_name) if str(n).strip()}
    return sorted(refs) + sorted(names - refs)


def whatif_sidebar(base: Scenario, network: Any) -> dict[str, Any]:
    """Draw the what-if controls in the sidebar; store and return the overrides."""
    side = st.sidebar
    side.header("What if ...")
    if side.button("Reset the what-ifs", key="wi_reset"):
        for key in (*_KEYS, "wi_added"):
            st.session_state.pop(key, None)
    fuel = side.slider("Fuel price factor", 0.5, 2.0, 1.0, 0.05, key="wi_fuel")
    payload = side.slider("Truck payload factor", 0.5, 1.5, 1.0, 0.05, key="wi_payload")
    threshold = side.slider("Discount threshold factor", 0.5, 1.5, 1.0, 0.05, key="wi_threshold")
    rainy = side.toggle(
        "Rainy season",
        key="wi_rainy",
        help="Unpaved roads slow down by the seasonal factor.",
        disabled=base.network.season == "rainy",
    )
    unpaved = None
    if rainy or base.network.season == "rainy":
        default = float(base.network.seasonal_factors.get("unpaved", 0.5))
        unpaved = side.slider(
            "Speed factor on unpaved roads", 0.1, 1.0, default, 0.05, key="wi_unpaved"
        )
    names = road_names(network)
    _take_queued(names)
    closures = side.multiselect(
        "Close roads (by name or number)",
        names,
        key="wi_closures",
        disabled=not names,
        placeholder="no road network" if not names else "pick roads, or click one on a map",
    )
    ways = (
        side.multiselect(
            "Closed on the map (roads without a name or number)",
            list(st.session_state.get("wi_ways") or []),
            format_func=lambda w: f"way {w}",
            key="wi_ways",
        )
        if st.session_state.get("wi_ways")
        else []
    )
    buyers = {b.id: f"{b.name} ({b.id})" for b in base.buyers}
    removed = side.multiselect(
        "Remove buyers", list(buyers), format_func=lambda b: buyers.get(b, b), key="wi_remove"
    )
    added = _added_buyer_form(base)
    overrides, changes = build_overrides(
        base,
        fuel_factor=fuel,
        payload_factor=payload,
        threshold_factor=threshold,
        rainy=rainy,
        unpaved_factor=unpaved,
        closures=closures,
        closed_ways=ways,
        removed_buyers=removed,
        added_buyer=added,
    )
    if changes:
        side.markdown("**Against the base:**\n" + "\n".join(f"- {c}" for c in changes))
    else:
        side.caption("No what-if set: the pages show the base scenario.")
    st.session_state["overrides"] = overrides
    st.session_state["whatif_changes"] = changes
    return overrides


def queue_closure(road: str, way: int | None) -> bool:
    """Close a road clicked on a map from the next run on: by its name or number when it has
    one, else by its way id. False when it is closed already (nothing to do)."""
    if road:
        if road in (st.session_state.get("wi_closures") or []):
            return False
    elif way is None or way in (st.session_state.get("wi_ways") or []):
        return False
    st.session_state[_QUEUED] = (road, way)
    return True


def _take_queued(names: Sequence[str]) -> None:
    """Add the road clicked on a map to the closures (before their widgets are drawn)."""
    queued = st.session_state.pop(_QUEUED, None)
    if not queued:
        return
    road, way = queued
    if road and road in names:
        st.session_state["wi_closures"] = [*(st.session_state.get("wi_closures") or []), road]
    elif way is not None:
        st.session_state["wi_ways"] = [*(st.session_state.get("wi_ways") or []), int(way)]


def _added_buyer_form(base: Scenario) -> dict[str, Any] | None:
    produce = [p.id for p in base.produce()]
    with st.sidebar.expander("Add a buyer"):
        if not produce:
            st.caption("The scenario sells no produce.")
            return None
        lat = float(np.mean([m.lat for m in base.members])) if base.members else 0.0
        lon = float(np.mean([m.lon for m in base.members])) if base.members else 0.0
        with st.form("wi_add_form"):
            name = st.text_input("Name", "New processor")
            kind = st.selectbox("Kind", ["processor", "market", "wholesaler", "mill"])
            col1, col2 = st.columns(2)
            new_lat = col1.number_input("Latitude", -90.0, 90.0, round(lat, 4), format="%.4f")
            new_lon = col2.number_input("Longitude", -180.0, 180.0, round(lon, 4), format="%.4f")
            product = st.selectbox("Buys", produce)
            prices = [bp.price for bp in base.buyer_prices if bp.product == product]
            price = st.number_input(
                "Price per unit", 0.0, None, float(max(prices)) if prices else 1.0, format="%.4f"
            )
            supply = sum(s.quantity for s in base.supply if s.product == product)
            intake = st.number_input("Maximum intake per period", 0.0, None, float(supply or 1.0))
            if st.form_submit_button("Add this buyer"):
                if price <= 0 or intake <= 0:
                    st.error("The price and the intake must be above 0.")
                else:
                    taken = {b.id for b in base.buyers}
                    number = len(taken) + 1
                    while f"B{number}" in taken:
                        number += 1
                    st.session_state["wi_added"] = {
                        "id": f"B{number}",
                        "name": name.strip() or "New buyer",
                        "kind": kind,
                        "lat": new_lat,
                        "lon": new_lon,
                        "product": product,
                        "price": price,
                        "max_intake": intake,
                    }
        added = st.session_state.get("wi_added")
        if added and st.button("Drop the added buyer", key="wi_drop_added"):
            st.session_state.pop("wi_added", None)
            added = None
    return added if isinstance(added, dict) else None
