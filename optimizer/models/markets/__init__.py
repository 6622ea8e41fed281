"""Market choice: where each producer sells, net of the road, within buyers' intake and contracts.

``data`` holds the validated instance and result types; ``flow`` solves the case without
contracts as a min-cost flow; ``milp`` the general case with minimum contracts and single-buyer
rules; ``solve`` picks between them; ``check`` recomputes a plan's income and every limit from
its flows alone; ``report`` turns a plan into route comparisons and income figures; ``scenario``
builds the instance from a scenario and plain distance/time arrays. This folder never imports
roads (``optimizer.geo``) or the faces.
"""

from optimizer.models.markets.check import check_markets
from optimizer.models.markets.data import FARM_GATE, FLOW_COLUMNS, MarketData, MarketResult
from optimizer.models.markets.report import (
    MarketFigures,
    compare_with_own_best,
    income_figures,
    route_comparison,
)
from optimizer.models.markets.scenario import scenario_market_data
from optimizer.models.markets.solve import flows_table, solve_markets

__all__ = [
    "FARM_GATE",
    "FLOW_COLUMNS",
    "MarketData",
    "MarketFigures",
    "MarketResult",
    "check_markets",
    "compare_with_own_best",
    "flows_table",
    "income_figures",
    "route_comparison",
    "scenario_market_data",
    "solve_markets",
]
