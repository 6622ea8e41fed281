"""Roads: OpenStreetMap networks, travel matrices, paths and places."""
