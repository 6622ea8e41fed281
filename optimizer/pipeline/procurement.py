"""The procurement model as the faces see it: the pooled order, truckloads, fair bills.

Importing this module registers ``procurement`` with :func:`~optimizer.pipeline.run.run_model`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.pipeline._common import _checked, _no_plan, _with_ends
from optimizer.pipeline.run import ModelRun, register_model
from optimizer.pipeline.travel import route_lines, travel
from optimizer.results import Kpi
from optimizer.scenario.scenario import Scenario

__all__ = ["run_procurement"]


@register_model("procurement")
def run_procurement(
    scenario: Scenario, *, rule: str = "shapley", level: str = "cooperative"
) -> ModelRun:
    """The pooled order, its truckloads, each member's bill and savings, and a stable split.

    ``rule`` splits the pooled bill (``shapley``, ``least_core``, ``proportional`` to
    standalone cost, ``volume``) among cooperatives or members (``level``). With cooperatives
    as players, a cooperative's share is passed on to its members in proportion to what each
    would pay alone. The verdict says whether any group of players would pay less ordering
    on its own.
    """
    from optimizer.models.equity import equity_figures
    from optimizer.models.procurement import check_procurement, solve_procurement
    from optimizer.models.procurement.scenario import (
        drop_point_ids,
        member_groups,
        scenario_procurement_data,
    )
    from optimizer.models.sharing import split_procurement

    if rule not in ("shapley", "least_core", "proportional", "volume"):
        raise InputError(
            Problem("split rule", "shapley, least_core, proportional or volume", value=rule)
        )
    if level not in ("member", "cooperative"):
        raise InputError(Problem("split level", "member or cooperative", value=level))
    if not scenario.demand or not scenario.suppliers:
        raise InputError(Problem(scenario.name, "demand and suppliers for the procurement model"))
    drops = drop_point_ids(scenario)
    targets = (
        scenario.table("hubs")
        if scenario.parameters.drop_point == "hub"
        else (scenario.table("members"))
    )
    targets = targets.set_index("id").loc[list(drops)].reset_index()
    deliveries = travel(scenario, scenario.table("suppliers"), targets)
    data = scenario_procurement_data(scenario, deliveries.distance_m / 1000)
    params = scenario.parameters
    result = solve_procurement(data, time_limit=params.time_limit_s, gap=params.mip_gap)
    currency = params.currency
    if not result.status.has_solution:
        return _no_plan("procurement", scenario, result, deliveries.warnings)
    check = check_procurement(data, result)
    _checked(check.ok, check.problems, "procurement")
    groups = member_groups(scenario, data)
    sharing = split_procurement(
        data,
        method=rule,  # type: ignore[arg-type]
        level=level,  # type: ignore[arg-type]
        groups=groups if level == "cooperative" else None,
        time_limit=params.time_limit_s,
        # the core check must see gains far smaller than the planning gap allows
        gap=min(params.mip_gap, 1e-7),
    )
    members = result.members.copy()
    coop_of = {m.id: m.cooperative for m in scenario.members}
    members.insert(1, "cooperative", [coop_of[m] for m in members["member"]])
    if level == "cooperative":
        share = dict(zip(sharing.split.players, sharing.split.shares, strict=True))
        alone = members.groupby("cooperative")["standalone_cost"].transform("sum")
        members["bill"] = [share[c] for c in members["cooperative"]] * (
            members["standalone_cost"] / alone
        )
    else:
        members["bill"] = sharing.split.shares
    members["savings"] = members["standalone_cost"] - members["bill"]
    members["savings_pct"] = 100 * members["savings"] / members["standalone_cost"]
    members = members[
        ["member", "cooperative", "drop_point", "standalone_cost", "bill", "savings", "savings_pct"]
    ]
    split = sharing.table()
    weight = {pr.id: pr.weight_kg for pr in scenario.products}
    kg = result.purchases.assign(
        kg=[
            q * weight[pid]
            for q, pid in zip(result.purchases["demand"], result.purchases["product"], strict=True)
        ]
    )
    volume = kg.groupby("member")["kg"].sum()
    tags_of = {m.id: list(m.tags) for m in scenario.members}
    equity = equity_figures(
        members["savings"].to_numpy(float),
        members["standalone_cost"].to_numpy(float),
        [float(volume.get(m, 0.0)) for m in members["member"]],
        [tags_of[m] for m in members["member"]],
        currency=currency,
    )
    verdict = pd.DataFrame(
        [
            {
                "rule": sharing.split.method,
                "level": level,
                "stable": sharing.core.stable,
                "verdict": sharing.core.message,
                "gaining_group": ", ".join(sharing.core.coalition),
                "gain": sharing.core.gain,
                "proven": sharing.core.proven,
            }
        ]
    )
    trucks = result.trucks
    kpis = (
        Kpi("pooled cost", result.pooled_cost, currency, False),
        Kpi(
            "cost if every member buys alone",
            float(members["standalone_cost"].sum()),
            currency,
            None,
        ),
        Kpi("savings", result.savings, currency, True),
        Kpi(
            "savings (%)", 100 * result.savings / float(members["standalone_cost"].sum()), "%", True
        ),
        Kpi("truckloads", float(trucks["trucks"].sum()) if len(trucks) else 0.0, "trucks", None),
        Kpi("transport cost", check.figures["transport_cost"], currency, False),
        Kpi(
            "members paying less than alone",
            float((members["savings"] > 1e-6).sum()),
            "members",
            True,
        ),
        Kpi("smallest saving of a member (%)", float(members["savings_pct"].min()), "%", True),
    )
    supplier_at = {s.id: s for s in scenario.suppliers}
    place: dict[str, Any] = {h.id: h for h in scenario.hubs}
    place.update({m.id: m for m in scenario.members})
    lanes = _with_ends(trucks[trucks["trucks"] > 0], "supplier", supplier_at, "drop_point", place)
    lines = route_lines(scenario, lanes, properties=["supplier", "drop_point", "trucks", "load_kg"])
    summary = "\n".join([result.summary(), sharing.summary(), equity.text()])
    return ModelRun(
        model="procurement",
        scenario=scenario.name,
        status=result.status,
        summary=summary,
        kpis=kpis,
        tables={
            "orders": result.orders,
            "trucks": trucks,
            "split": members,
            "split_by_player": split,
            "stability": verdict,
            "equity": equity.summary,
            "equity_by_tag": equity.by_tag,
            "shipments": result.shipments,
            "purchases": result.purchases,
        },
        layers={"deliveries": lines},
        per_member=members[["member", "cooperative"]].assign(value=members["savings"]),
        value_label=f"savings against buying alone ({currency})",
        warnings=deliveries.warnings,
        result=result,
    )
