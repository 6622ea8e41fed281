"""Maps for the app: places, road lines and result layers, drawn without online tiles.

Two renderers share one set of GeoJSON features. The default is a Vega-Lite chart, which
Streamlit draws with the libraries it ships, so it works with no internet at all: the roads
themselves are the background. The interactive folium map (pan, zoom, click) is offered
as an option; it draws no tiles either (``tiles=None``), but the browser fetches the
Leaflet library from its CDN, so it needs a connection. Both carry the OpenStreetMap
attribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely
import streamlit as st

from optimizer.app._drawn import busiest_lines
from optimizer.app.leaflet import folium_map
from optimizer.app.names import labelled, names_for
from optimizer.app.palette import (
    CLOSED,
    ROAD,
    ROLE_COLOURS,
    ROLE_SHAPES,
    ROLE_SIZES,
    SHARED,
    SKIPPED,
    cooperative_colours,
    line_palette,
)
from optimizer.io.format import column_formatter, column_header
from optimizer.io.geojson import OSM_ATTRIBUTION, line
from optimizer.io.write import places_geojson
from optimizer.scenario.scenario import Scenario

__all__ = [
    "ATTRIBUTION",
    "CLOSED",
    "SHARED",
    "SKIPPED",
    "cooperative_colours",
    "drawing_tolerance",
    "drawn_coords",
    "line_palette",
    "map_features",
    "picked_road",
    "road_features",
    "show_map",
    "vega_map",
]

ATTRIBUTION = f"Map data {OSM_ATTRIBUTION.replace('(ODbL 1.0)', '').strip()}, ODbL 1.0"
# road classes drawn as the background (the rest would only clutter the picture)
_MAJOR = {
    "motorway": 3.0,
    "trunk": 2.5,
    "primary": 2.0,
    "secondary": 1.6,
    "tertiary": 1.2,
    "unclassified": 0.8,
    "track": 0.5,
}
_DRAWN_TOLERANCE_DEG = 2e-5
# the fixed map spans its places whatever its width: a point moved by under 1/5,000 of that
# span is under a fifth of a pixel on a map 1,000 pixels wide, under one at 5,000
_FIXED_MAP_PIXELS = 5000
_LEGEND = {"labelLimit": 260, "symbolLimit": 60, "titleLimit": 260}
_LEGEND_ROW_PX = 30  # the height of one legend entry as Streamlit's theme draws it


def drawn_coords(coords: Any, tolerance: float = _DRAWN_TOLERANCE_DEG) -> list[list[float]]:
    """A line's ``(lon, lat)`` points as a map draws them: without the points that move it
    by less than ``tolerance`` degrees (by default about 2 m: the line looks the same at any
    zoom), to 5 decimals (about 1 m). The map's data shrinks several times over (it is sent
    to the browser on every run)."""
    array = np.asarray(coords, dtype=float).reshape(-1, 2)
    if len(array) > 2:
        # Douglas-Peucker without topology checks: a line drawn needs none, and it is some
        # thirty times faster on the Markets page's 200 road paths
        simple = shapely.simplify(shapely.linestrings(array), tolerance, preserve_topology=False)
        kept = shapely.get_coordinates(simple)
        array = kept if len(kept) >= 2 else array[[0, -1]]
    return np.round(array, 5).tolist()


def drawing_tolerance(lats: Any, lons: Any, *, zoomable: bool = False) -> float:
    """How far (degrees) :func:`drawn_coords` may move a line on a map of places at ``lats``
    and ``lons``: about 2 m on a map one can zoom into; on the fixed map, which always spans
    the places, a fifth of a pixel of a map 1,000 pixels wide (never less than 2 m). Over a
    region 30 km across that is about 6 m, and the lines sent on every run have a half to a
    third of the points."""
    if zoomable or not len(lats):
        return _DRAWN_TOLERANCE_DEG
    span = max(float(np.ptp(np.asarray(lats, float))), float(np.ptp(np.asarray(lons, float))))
    return max(_DRAWN_TOLERANCE_DEG, span / _FIXED_MAP_PIXELS)


@st.cache_resource(show_spinner=False, max_entries=8)
def road_features(
    key: str, _network: Any, tolerance: float = _DRAWN_TOLERANCE_DEG
) -> list[dict[str, Any]]:
    """The network's major roads as GeoJSON, one feature per OSM way (its open parts and its
    closed parts apart), for a background, drawn to ``tolerance`` (:func:`drawn_coords`); a
    click on one names the way."""
    network = _network
    if network is None:
        return []
    edges = network.edges()
    keep = np.array(edges["highway"].isin(list(_MAJOR)), dtype=bool)
    # one line per undirected edge: skip the reverse of a two-way road
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    pair = pd.Series(list(zip(np.minimum(u, v), np.maximum(u, v), edges["way_id"], strict=True)))
    keep &= ~pair.duplicated().to_numpy()
    parts: dict[tuple[int, bool], list[list[list[float]]]] = {}
    first: dict[tuple[int, bool], int] = {}
    for e in np.flatnonzero(keep).tolist():
        segs = network.edge_segs[network.edge_ptr[e] : network.edge_ptr[e + 1]]
        raw = np.concatenate([network.seg_u[segs[:1]], network.seg_v[segs]])
        which = (int(edges["way_id"].iat[e]), not bool(edges["open"].iat[e]))
        parts.setdefault(which, []).append(
            drawn_coords(np.column_stack([network.lon[raw], network.lat[raw]]), tolerance)
        )
        first.setdefault(which, e)
    features = []
    for (way, closed), lines in parts.items():
        row = edges.iloc[first[(way, closed)]]
        ref = str(row["ref"] or "").split(";")[0].strip()
        properties = {
            "layer": "roads",
            "name": str(row["name"] or row["ref"] or row["highway"]),
            "highway": str(row["highway"]),
            "closed": closed,
        }
        feature = line([], properties)
        feature["geometry"] = {"type": "MultiLineString", "coordinates": lines}
        # what a click on the road hands back: the name or number to close it by, its way
        feature["closure"] = ref or str(row["name"] or "")
        feature["way"] = way
        features.append(feature)
    return features


def map_features(
    scenario: Scenario,
    layers: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    tolerance: float = _DRAWN_TOLERANCE_DEG,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(points, lines): the scenario's places and the points and lines of result layers, the
    lines drawn to ``tolerance`` (:func:`drawn_coords`)."""
    coops = {c.id: c.name for c in scenario.cooperatives}
    owners = _owners(scenario)
    names = names_for(scenario)
    currency = scenario.parameters.currency
    units = {p.id: p.unit for p in scenario.products}
    points, lines = [], []
    for feature in places_geojson(scenario):
        props = dict(feature["properties"])
        lon, lat = feature["geometry"]["coordinates"]
        role = props.get("role", "place")
        group = coops.get(props.get("cooperative") or "", role) if role == "member" else role
        points.append(
            {
                "lon": lon,
                "lat": lat,
                "role": role,
                "group": group,
                "id": str(props.get("id", "")),
                "name": str(props.get("name", "")),
                "detail": str(props.get("kind") or props.get("tags") or ""),
            }
        )
    for layer, features in (layers or {}).items():
        for item in features:
            geometry = dict(item.get("geometry") or {})
            extra = dict(item.get("properties") or {})
            if geometry.get("type") in ("LineString", "MultiLineString"):
                properties = {
                    "layer": layer,
                    "line": _line_label(layer, extra, names),
                    "group": _line_group(layer, extra, coops, owners),
                    "tip": _tip(extra, names, currency, units),
                }
                coords = geometry["coordinates"]
                parts = [coords] if geometry["type"] == "LineString" else coords
                lines += [line(drawn_coords(part, tolerance), properties) for part in parts]
            elif geometry.get("type") == "Point":
                lon, lat = geometry["coordinates"][:2]
                role = str(extra.get("role") or _singular(layer))
                if "open" in extra:
                    if not extra["open"]:
                        continue  # a closed candidate: the place is on the map already
                    role = f"{role} (open)"
                points.append(
                    {
                        "lon": lon,
                        "lat": lat,
                        "role": role,
                        "group": role,
                        "id": str(extra.get("id", "")),
                        "name": str(extra.get("name", layer)),
                        "detail": _tip(extra, names, currency, units),
                    }
                )
    return points, lines


def _owners(scenario: Scenario) -> dict[str, str]:
    """The cooperative (id) of each member and of each hub that has an owner."""
    owners = {m.id: m.cooperative for m in scenario.members}
    owners.update({h.id: h.cooperative for h in scenario.hubs if h.cooperative})
    return owners


def _line_group(
    layer: str, props: Mapping[str, Any], coops: Mapping[str, str], owners: Mapping[str, str]
) -> str:
    """Whose line it is: one cooperative's name, :data:`SHARED`, or the layer's name."""
    ids = str(props.get("cooperative") or "")
    for key in ("member", "hub"):
        if not ids and props.get(key):
            ids = owners.get(str(props[key]), "")
    found = {coops.get(i, i) for i in ids.split("+") if i}
    if len(found) == 1:
        return found.pop()
    return SHARED if found else layer.replace("_", " ")


def _singular(layer: str) -> str:
    return layer[:-1] if layer.endswith("s") and not layer.endswith("ss") else layer


def _line_label(
    layer: str, props: Mapping[str, Any], names: Mapping[str, Mapping[str, str]]
) -> str:
    """A line as a tooltip names it: its layer and whose or which it is, by name (id beside)."""
    words = layer.replace("_", " ")
    for key in ("route", "vehicle", "corridor", "cooperative", "member", "buyer", "name"):
        if props.get(key) not in (None, ""):
            return f"{words}: {labelled(props[key], names.get(key, {}))}"
    return words


def _tip(
    props: Mapping[str, Any],
    names: Mapping[str, Mapping[str, str]],
    currency: str,
    units: Mapping[str, str],
) -> str:
    """A feature's first properties in words: ids by name (id beside), each number in the
    unit its header gives (``road (km): 13.32``, ``revenue (EUR): 6,168.50``; a quantity of
    one product in that product's unit, from ``units``)."""
    product = str(props.get("product") or props.get("products") or "")
    unit = units.get(product, "unit")
    parts = []
    for key, value in list(props.items())[:6]:
        if key in names and value not in (None, ""):
            shown: object = labelled(value, names[key])
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, int | float):
            shown = column_formatter(key)(value)
        else:
            shown = value
        parts.append(f"{column_header(key, currency, unit=unit)}: {shown}")
    return "; ".join(parts)


def show_map(
    scenario: Scenario,
    *,
    layers: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    roads: Sequence[Mapping[str, Any]] = (),
    key: str = "map",
    height: int = 520,
) -> None:
    """Draw places, roads and result layers with the renderer chosen in the sidebar.

    A click on a road adds it to the road closures of the what-if controls
    (:func:`optimizer.app.whatif.queue_closure`), on either renderer.
    """
    interactive = bool(st.session_state.get("interactive_map", False))
    tolerance = drawing_tolerance(*_place_coords(scenario), zoomable=interactive)
    layers, left_out = busiest_lines(layers or {})
    points, lines = map_features(scenario, layers, tolerance=tolerance)
    if not points and not lines:
        st.info("Nothing to draw: the scenario has no places.")
        return
    order = [c.name for c in scenario.cooperatives]
    if interactive:
        st.info(
            "The interactive map needs an internet connection: the browser loads its map "
            "library (Leaflet) from the web, and without a connection the map stays blank. "
            "Switch off 'Interactive map' in the sidebar for the map that works offline."
        )
        clicked = folium_map(points, lines, roads, key=key, height=height, cooperatives=order)
    else:
        spec = vega_map(points, lines, roads, height=height, cooperatives=order)
        event = st.vega_lite_chart(
            spec,
            width="stretch",
            key=key,
            on_select="rerun" if roads else "ignore",
            selection_mode=[ROAD_PICK] if roads else None,
        )
        clicked = picked_road(event) if roads else None
    st.caption(
        f"{ATTRIBUTION}. Members and their routes are coloured by cooperative (Okabe-Ito "
        "colours, readable with colour-blindness); buyers are squares, suppliers diamonds, hubs "
        "triangles (open hubs large and black); farms not collected are vermillion crosses and "
        "closed roads vermillion lines."
        + (" Click a road to close it in the what-ifs." if roads else "")
    )
    for note in left_out:
        st.caption(note)
    if clicked:
        _road_clicked(clicked, key)


def _place_coords(scenario: Scenario) -> tuple[list[float], list[float]]:
    """The latitudes and longitudes of the scenario's places (what the map spans)."""
    tables = (scenario.members, scenario.suppliers, scenario.buyers, scenario.hubs)
    lats = [p.lat for table in tables for p in table]
    lons = [p.lon for table in tables for p in table]
    return lats, lons


def picked_road(event: Any) -> dict[str, Any] | None:
    """The road picked on a Vega-Lite map (its ``closure`` and ``way``), from the chart's
    selection event; None when none is."""
    selection = event.get("selection", {}) if isinstance(event, Mapping) else {}
    picked = selection.get(ROAD_PICK) if isinstance(selection, Mapping) else None
    if not picked or not isinstance(picked, Sequence) or not isinstance(picked[0], Mapping):
        return None
    return dict(picked[0])


def _road_clicked(clicked: Mapping[str, Any], key: str) -> None:
    """Hand a clicked road to the closures once (the chart keeps its selection on reruns)."""
    from optimizer.app.whatif import queue_closure

    road = str(clicked.get("closure") or "")
    way = clicked.get("way")
    seen = (road, way)
    if st.session_state.get(f"{key}-clicked") == seen:
        return
    st.session_state[f"{key}-clicked"] = seen
    if queue_closure(road, None if way is None else int(way)):
        st.rerun()


# --------------------------------------------------------------------- vega-lite
ROAD_PICK = "road_pick"  # the roads layer's click selection


def vega_map(
    points: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    roads: Sequence[Mapping[str, Any]],
    *,
    height: int = 520,
    cooperatives: Sequence[str] = (),
) -> dict[str, Any]:
    """A Vega-Lite map spec (written as a dict: Altair's validation of thousands of road
    features would take seconds on every rerun).

    Places get one legend (colour and shape of each cooperative or kind of place), lines
    another (whose they are: a cooperative, several, or the layer), roads a third (open and
    closed); the chart grows so they fit beside it. ``cooperatives`` orders the
    cooperatives' colours as :func:`cooperative_colours` does, for places and lines alike.
    """
    line_groups, line_colours = line_palette(lines, cooperatives)
    groups = list(dict.fromkeys(p["group"] for p in points))
    legend_rows = len(line_groups) + len(groups) + (2 if roads else 0) + 6
    height = max(height, legend_rows * _LEGEND_ROW_PX)
    layers: list[dict[str, Any]] = []
    if roads:
        layers.append(_roads_layer(roads))
    if lines:
        layers.append(_lines_layer(lines, line_groups, line_colours))
    if points:
        layers.append(_points_layer(points, groups, cooperatives))
    return {
        "height": height,
        "projection": {"type": "mercator"},
        "layer": layers,
        # each layer's colours and legend its own: a route never takes a road's colour
        "resolve": {"scale": {"stroke": "independent", "color": "independent"}},
    }


def _roads_layer(roads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Grey road lines, closed roads vermillion and wider; a click picks a road."""
    return {
        "data": {"values": list(roads)},
        "transform": [
            {"calculate": "datum.properties.closed ? 'closed road' : 'road'", "as": "road_state"}
        ],
        "params": [{"name": ROAD_PICK, "select": {"type": "point", "fields": ["closure", "way"]}}],
        "mark": {"type": "geoshape", "filled": False, "strokeWidth": 0.8, "cursor": "pointer"},
        "encoding": {
            "stroke": {
                "field": "road_state",
                "type": "nominal",
                "title": "roads",
                "scale": {"domain": ["road", "closed road"], "range": [ROAD, CLOSED]},
                "legend": _LEGEND,
            },
            "strokeWidth": {
                "condition": {"test": "datum.properties.closed", "value": 3},
                "value": 0.8,
            },
            "tooltip": [
                {"field": "properties.name", "type": "nominal", "title": "road"},
                {"field": "properties.highway", "type": "nominal", "title": "class"},
                {"field": "road_state", "type": "nominal", "title": "state"},
            ],
        },
    }


def _lines_layer(
    lines: list[dict[str, Any]], groups: list[str], colours: list[str]
) -> dict[str, Any]:
    """Result lines (routes, corridors), coloured by whose they are."""
    return {
        "data": {"values": lines},
        "mark": {"type": "geoshape", "filled": False, "strokeWidth": 2.5},
        "encoding": {
            "stroke": {
                "field": "properties.group",
                "type": "nominal",
                "title": "routes / corridors of",
                "scale": {"domain": groups, "range": colours},
                "legend": _LEGEND,
            },
            "tooltip": [
                {"field": "properties.line", "type": "nominal", "title": "line"},
                {"field": "properties.group", "type": "nominal", "title": "of"},
                {"field": "properties.tip", "type": "nominal", "title": "details"},
            ],
        },
    }


def _points_layer(
    points: list[dict[str, Any]], groups: list[str], cooperatives: Sequence[str]
) -> dict[str, Any]:
    """Places: members coloured by cooperative, other kinds of place in their own colour."""
    # members first (by cooperative), then the other kinds of place
    members = [g for g in groups if g not in ROLE_COLOURS and g in set(cooperatives)]
    others = [g for g in groups if g not in ROLE_COLOURS and g not in members]
    groups = (
        [g for g in dict.fromkeys(cooperatives) if g in members]
        + others
        + [g for g in ROLE_COLOURS if g in groups]
    )
    coop_colours = cooperative_colours([*cooperatives, *others])
    colours = [ROLE_COLOURS.get(g) or coop_colours[g] for g in groups]
    role_of = {p["group"]: p["role"] for p in points}
    shapes = [ROLE_SHAPES.get(role_of[g], "cross") for g in groups]
    drawn = [{**p, "size": ROLE_SIZES.get(p["role"], 55)} for p in points]
    drawn.sort(key=lambda p: p["size"])  # big symbols (hubs) on top
    return {
        "data": {"values": drawn},
        "mark": {"type": "point", "filled": True, "opacity": 0.9},
        "encoding": {
            "longitude": {"field": "lon", "type": "quantitative"},
            "latitude": {"field": "lat", "type": "quantitative"},
            "size": {"field": "size", "type": "quantitative", "scale": None},
            "color": {
                "field": "group",
                "type": "nominal",
                "title": "cooperative / place",
                "scale": {"domain": groups, "range": colours},
                "legend": _LEGEND,
            },
            "shape": {
                "field": "group",
                "type": "nominal",
                "title": "cooperative / place",
                "scale": {"domain": groups, "range": shapes},
                "legend": _LEGEND,
            },
            "tooltip": [
                {"field": f, "type": "nominal"} for f in ("name", "id", "role", "group", "detail")
            ],
        },
    }
