"""The network as an osmnx-compatible networkx MultiDiGraph (for osmnx tools and checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from shapely.geometry import LineString

if TYPE_CHECKING:
    from optimizer.geo.network import RoadNetwork

__all__ = ["to_networkx"]


def to_networkx(network: RoadNetwork) -> Any:
    """Open edges as a MultiDiGraph keyed by OSM node id, with osmnx's attribute names.

    Edges carry ``length`` (m), ``travel_time`` (s), ``speed_kph``, ``osmid`` (one way id
    or a list), ``highway``, ``surface``, ``name``, ``ref``, ``edge`` (the index in
    ``network``) and, for edges of more than one segment, ``geometry``.
    """
    graph = nx.MultiDiGraph(crs="epsg:4326", name=network.source)
    node_ids = network.osm_id[network.node_raw].tolist()
    for index, (osm_id, lat, lon) in enumerate(
        zip(node_ids, network.node_lat.tolist(), network.node_lon.tolist(), strict=True)
    ):
        graph.add_node(osm_id, y=lat, x=lon, index=index)
    way = network.edge_way
    length = network.edge_length_m
    travel = network.edge_time_s
    for e in np.flatnonzero(network.edge_open).tolist():
        segs = network.edge_segs[network.edge_ptr[e] : network.edge_ptr[e + 1]]
        ways = list(dict.fromkeys(network.way_id[network.seg_way[segs]].tolist()))
        w = int(way[e])
        data: dict[str, Any] = {
            "osmid": ways[0] if len(ways) == 1 else ways,
            "length": float(length[e]),
            "travel_time": float(travel[e]),
            "speed_kph": float(length[e] / travel[e] * 3.6),
            "highway": str(network.way_highway[w]),
            "surface": str(network.way_surface[w]),
            "edge": e,
        }
        if network.way_name[w]:
            data["name"] = str(network.way_name[w])
        if network.way_ref[w]:
            data["ref"] = str(network.way_ref[w])
        if len(segs) > 1:
            raw = np.concatenate([network.seg_u[segs], network.seg_v[segs[-1:]]])
            data["geometry"] = LineString(np.column_stack([network.lon[raw], network.lat[raw]]))
        graph.add_edge(node_ids[network.edge_u[e]], node_ids[network.edge_v[e]], **data)
    return graph
