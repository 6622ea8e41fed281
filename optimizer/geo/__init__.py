"""Roads: OpenStreetMap networks, travel matrices, paths and places."""

from optimizer.geo.closures import ClosureReport, close_roads, closures_from_settings
from optimizer.geo.matrix import DEFAULT_MAX_SNAP_M, TravelMatrix, travel_matrix
from optimizer.geo.network import (
    CACHE_ENV,
    Dropped,
    RoadNetwork,
    SpeedSettings,
    default_cache_dir,
    load_network,
)
from optimizer.geo.paths import network_frame, route_geometries, route_geometry, to_geojson
from optimizer.geo.places import PLACE_KINDS, places

__all__ = [
    "CACHE_ENV",
    "DEFAULT_MAX_SNAP_M",
    "PLACE_KINDS",
    "ClosureReport",
    "Dropped",
    "RoadNetwork",
    "SpeedSettings",
    "TravelMatrix",
    "close_roads",
    "closures_from_settings",
    "default_cache_dir",
    "load_network",
    "network_frame",
    "places",
    "route_geometries",
    "route_geometry",
    "to_geojson",
    "travel_matrix",
]
