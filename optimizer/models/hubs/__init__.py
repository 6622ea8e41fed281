"""Shared hubs and corridors: which hubs to open, who feeds them, trucks per corridor.

``data`` holds the two-echelon instance (:class:`HubData`), the plan (:class:`HubResult`) and
its value; ``solve`` writes and solves the MILP (its docstring gives the formulation);
``check`` recomputes a plan's feasibility and net value from its decisions alone; ``scenario``
builds the instance for a scenario or a coalition of its cooperatives from plain distance
arrays; ``sharing`` values sharing and splits it among the cooperatives (the game on
:mod:`optimizer.models.sharing`); ``robust`` opens hubs once for many sampled futures
(``robust_joint`` and ``robust_subsets`` solve it, ``robust_fixed`` fixes the first stage,
``robust_check`` verifies it sample by sample). This folder never imports roads
(``optimizer.geo``) or the faces.
"""

from optimizer.models.hubs.check import check_hubs
from optimizer.models.hubs.data import HubData, HubResult, HubValue
from optimizer.models.hubs.sharing import HubSharing, hubs_game, split_hubs
from optimizer.models.hubs.solve import solve_hubs

__all__ = [
    "HubData",
    "HubResult",
    "HubSharing",
    "HubValue",
    "check_hubs",
    "hubs_game",
    "solve_hubs",
    "split_hubs",
]
