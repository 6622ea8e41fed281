"""Pooled procurement: which supplier, how much, which discount bracket, how many truckloads.

``data`` holds the validated instance; ``model`` writes the MILP (brackets, truckloads, the
envelope cuts); ``solve`` runs the two-phase solve; ``plan`` holds the result and lays out a
solved model as tables; ``core`` finds the coalition that would gain most by ordering alone;
``check`` recomputes feasibility and cost from the plan alone; ``scenario`` builds the instance
from a scenario and plain distances; ``sharing`` splits the pooled bill fairly (the cost game
on :mod:`optimizer.models.sharing`) and passes a cooperative's share on to its members;
``member_core`` finds the least-core split among members with an independent check. This
folder never imports roads (``optimizer.geo``) or the faces.
"""

from optimizer.models.procurement.check import check_procurement
from optimizer.models.procurement.data import ProcurementData
from optimizer.models.procurement.member_core import MemberCore, member_least_core
from optimizer.models.procurement.plan import ProcurementResult, goods_cost
from optimizer.models.procurement.scenario import (
    drop_point_ids,
    member_groups,
    nearest_hubs,
    scenario_procurement_data,
)
from optimizer.models.procurement.sharing import (
    SharingResult,
    pass_down,
    procurement_game,
    procurement_oracle,
    split_procurement,
)
from optimizer.models.procurement.solve import (
    START_MIN_BRACKETS,
    coalition_mask,
    solve_procurement,
    standalone_costs,
)

__all__ = [
    "START_MIN_BRACKETS",
    "MemberCore",
    "ProcurementData",
    "ProcurementResult",
    "SharingResult",
    "check_procurement",
    "coalition_mask",
    "drop_point_ids",
    "goods_cost",
    "member_groups",
    "member_least_core",
    "nearest_hubs",
    "pass_down",
    "procurement_game",
    "procurement_oracle",
    "scenario_procurement_data",
    "solve_procurement",
    "split_procurement",
    "standalone_costs",
]
