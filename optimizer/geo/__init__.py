"""Roads: OpenStreetMap networks, travel matrices, paths and places."""

from optimizer.geo.places import PLACE_KINDS, places

__all__ = ["PLACE_KINDS", "places"]
