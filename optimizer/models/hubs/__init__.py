"""Shared hubs and corridors: which hubs to open, who feeds them, trucks per corridor.

``solve`` holds the two-echelon instance, its MILP and its independent check; ``scenario``
builds the instance for a scenario or a coalition of its cooperatives from plain distance
arrays. This folder never imports roads (``optimizer.geo``) or the faces.
"""

from optimizer.models.hubs.solve import HubData, HubResult, HubValue, check_hubs, solve_hubs

__all__ = ["HubData", "HubResult", "HubValue", "check_hubs", "solve_hubs"]
