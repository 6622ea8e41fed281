"""Roads: OpenStreetMap networks, travel matrices, paths and places, with no model in sight.

``network`` holds :class:`RoadNetwork` (the graph as arrays, its speeds and what-ifs) and
:class:`SpeedSettings`; ``load`` reads a network from an OSM or GraphML file (or osmnx) and
caches the parsed roads on disk; ``closures`` closes roads by way id, name or area;
``matrix`` computes travel-time and distance matrices between points; ``paths`` draws the
routes and writes GeoJSON; ``places`` finds candidate members, buyers and hubs in an OSM
file. The private ``_osm`` reads OSM data, ``_topology`` merges segments into edges,
``_snap`` attaches points to roads and ``_search`` runs the shortest-path trees. This folder
may import ``optimizer.errors``, ``optimizer.geodesy``, ``optimizer.io.geojson`` and the
geographic libraries (numpy, scipy, shapely, pyosmium, osmnx, geopandas); never a solver
(pulp, highspy, ortools, pyvrp), ``optimizer.models``, ``optimizer.pipeline`` or the faces.
"""

from optimizer.geo._snap import DEFAULT_MAX_SNAP_M, road_spots, snap_distances
from optimizer.geo.closures import (
    ClosureReport,
    ClosureSet,
    apply_closures,
    close_roads,
    closures_from_settings,
    similar_roads,
)
from optimizer.geo.load import CACHE_ENV, default_cache_dir, load_network
from optimizer.geo.matrix import TravelMatrix, travel_matrix
from optimizer.geo.network import Dropped, RoadNetwork, SpeedSettings
from optimizer.geo.paths import network_frame, route_geometries, route_geometry, to_geojson
from optimizer.geo.places import PLACE_KINDS, places

__all__ = [
    "CACHE_ENV",
    "DEFAULT_MAX_SNAP_M",
    "PLACE_KINDS",
    "ClosureReport",
    "ClosureSet",
    "Dropped",
    "RoadNetwork",
    "SpeedSettings",
    "TravelMatrix",
    "apply_closures",
    "close_roads",
    "closures_from_settings",
    "default_cache_dir",
    "load_network",
    "network_frame",
    "places",
    "road_spots",
    "route_geometries",
    "route_geometry",
    "similar_roads",
    "snap_distances",
    "to_geojson",
    "travel_matrix",
]
