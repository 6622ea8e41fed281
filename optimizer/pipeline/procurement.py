"""The procurement model as the faces see it: the pooled order, truckloads, fair bills."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.models.equity import Equity, equity_figures
from optimizer.models.procurement import (
    MemberCore,
    ProcurementData,
    ProcurementResult,
    SharingResult,
    check_procurement,
    drop_point_ids,
    member_groups,
    member_least_core,
    pass_down,
    scenario_procurement_data,
    solve_procurement,
    split_procurement,
)
from optimizer.models.procurement.member_core import BUDGET_S, MIN_BUDGET_S, STABLE_MEANS
from optimizer.pipeline._common import _checked, _no_plan, _with_ends
from optimizer.pipeline.run import ModelRun
from optimizer.pipeline.travel import Travel, route_lines, travel
from optimizer.results import Check, Kpi, Status
from optimizer.scenario.scenario import Scenario

__all__ = ["run_procurement"]

RULES = ("shapley", "least_core", "proportional", "volume", "member_least_core")
LEVELS = ("member", "cooperative")


def run_procurement(
    scenario: Scenario,
    *,
    rule: str = "shapley",
    level: str = "cooperative",
    time_limit: float | None = None,
) -> ModelRun:
    """The pooled order, its truckloads, each member's bill and savings, and a stable split.

    ``rule`` splits the pooled bill (``shapley``, ``least_core``, ``proportional`` to
    standalone cost, ``volume``) among cooperatives or members (``level``). With cooperatives
    as players, a cooperative's share is passed on to its members in proportion to what each
    would pay alone. The verdict says whether any group of players would pay less ordering
    on its own. ``member_least_core`` (or ``member-least-core``) is the least core among
    members closest to the proportional split
    (:mod:`optimizer.models.procurement.member_core`), whatever ``level`` says; ``time_limit``
    is the seconds its search may take (default
    :data:`~optimizer.models.procurement.member_core.BUDGET_S`).
    """
    rule = rule.replace("-", "_")
    level = "member" if rule == "member_least_core" else level
    _check_options(scenario, rule, level, time_limit)
    deliveries = _deliveries(scenario)
    data = scenario_procurement_data(scenario, deliveries.distance_m / 1000)
    params = scenario.parameters
    # one solve for the plan shown and the grand coalition the bills split: the core check
    # must see gains far smaller than the planning gap allows, so the plan is solved as tight
    gap = min(params.mip_gap, 1e-7)
    result = solve_procurement(data, time_limit=params.time_limit_s, gap=gap)
    if not result.status.has_solution:
        return _no_plan("procurement", scenario, result, deliveries.warnings)
    check = check_procurement(data, result)
    _checked(check, "procurement")
    groups = member_groups(scenario, data)
    sharing: SharingResult | MemberCore
    if rule == "member_least_core":
        sharing = _member_split(scenario, data, result, gap, time_limit)
    else:
        sharing = split_procurement(
            data,
            method=rule,  # type: ignore[arg-type]
            level=level,  # type: ignore[arg-type]
            groups=groups if level == "cooperative" else None,
            time_limit=params.time_limit_s,
            gap=gap,
            plan=result,
            labels=_names(scenario, level),
        )
    bills = _bills(scenario, result, sharing, level)
    currency = params.currency
    equity = _equity(scenario, result, bills, currency)
    return ModelRun(
        model="procurement",
        scenario=scenario.name,
        status=result.status,
        summary="\n".join([result.summary(), sharing.summary(), equity.text()]),
        kpis=_kpis(result, check, bills, currency),
        tables={
            "orders": result.orders,
            "trucks": result.trucks,
            "split": bills,
            "split_by_player": sharing.table(),
            "stability": _stability(sharing, level),
            "equity": equity.summary,
            "equity_by_tag": equity.by_tag,
            "shipments": result.shipments,
            "purchases": result.purchases,
        },
        layers={"deliveries": _delivery_lines(scenario, result.trucks)},
        per_member=bills[["member", "cooperative"]].assign(value=bills["savings"]),
        value_label=f"savings against buying alone ({currency})",
        warnings=deliveries.warnings,
        result=result,
    )


def _member_split(
    scenario: Scenario,
    data: ProcurementData,
    result: ProcurementResult,
    gap: float,
    budget_s: float | None,
) -> MemberCore:
    """The member least core of the plan's bill (``budget_s``: seconds for its search)."""
    return member_least_core(
        data,
        plan_cost=result.pooled_cost,
        plan_proven=result.status is Status.OPTIMAL,
        standalone=result.members["standalone_cost"].to_numpy(float),
        plan=result,
        time_limit=scenario.parameters.time_limit_s,
        gap=gap,
        labels=_names(scenario, "member"),
        budget_s=BUDGET_S if budget_s is None else budget_s,
    )


def _check_options(scenario: Scenario, rule: str, level: str, time_limit: float | None) -> None:
    if time_limit is not None and rule != "member_least_core":
        raise InputError(Problem("time limit", "the member-least-core split", value=rule))
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit >= MIN_BUDGET_S):
        seconds = f"a finite number of seconds, at least {MIN_BUDGET_S:g} (the search's setup)"
        raise InputError(Problem("time limit", seconds, value=time_limit))
    if rule not in RULES:
        raise InputError(
            Problem(
                "split rule",
                "shapley, least_core, proportional, volume or member_least_core",
                value=rule,
            )
        )
    if level not in LEVELS:
        raise InputError(Problem("split level", "member or cooperative", value=level))
    if not scenario.demand or not scenario.suppliers:
        raise InputError(Problem(scenario.name, "demand and suppliers for the procurement model"))


def _names(scenario: Scenario, level: str) -> dict[str, str]:
    """Player id → name, for the verdicts: the members', or the cooperatives'."""
    things = scenario.members if level == "member" else scenario.cooperatives
    return {t.id: t.name for t in things}


def _deliveries(scenario: Scenario) -> Travel:
    """Road distances from every supplier to every drop point (hubs or members' farms)."""
    drops = drop_point_ids(scenario)
    targets = scenario.table("hubs" if scenario.parameters.drop_point == "hub" else "members")
    targets = targets.set_index("id").loc[list(drops)].reset_index()
    return travel(scenario, scenario.table("suppliers"), targets)


def _bills(
    scenario: Scenario,
    result: ProcurementResult,
    sharing: SharingResult | MemberCore,
    level: str,
) -> pd.DataFrame:
    """Each member's bill and savings: its own share, or its cooperative's passed down."""
    members = result.members.rename(columns={"standalone_cost": "alone"})
    coop_of = {m.id: m.cooperative for m in scenario.members}
    members.insert(1, "cooperative", [coop_of[m] for m in members["member"]])
    if level == "cooperative":
        shares = dict(zip(sharing.split.players, sharing.split.shares, strict=True))
        members["bill"] = pass_down(
            shares, list(members["cooperative"]), members["alone"].to_numpy(float)
        )
    else:
        members["bill"] = sharing.split.shares
    members["savings"] = members["alone"] - members["bill"]
    members["savings_pct"] = 100 * members["savings"] / members["alone"]
    columns = ["member", "cooperative", "drop_point", "alone", "bill", "savings"]
    if isinstance(sharing, MemberCore):  # how far stability moved each proportional bill
        members["moved_from_proportional"] = sharing.moved
        columns.append("moved_from_proportional")
    return members[[*columns, "savings_pct"]]


def _equity(
    scenario: Scenario, result: ProcurementResult, bills: pd.DataFrame, currency: str
) -> Equity:
    """How evenly the savings fall, by member volume (kg) and tag."""
    weight = {pr.id: pr.weight_kg for pr in scenario.products}
    purchases = result.purchases
    kg = purchases.assign(
        kg=[
            q * weight[pid]
            for q, pid in zip(purchases["demand"], purchases["product"], strict=True)
        ]
    )
    volume = kg.groupby("member")["kg"].sum()
    tags_of = {m.id: list(m.tags) for m in scenario.members}
    return equity_figures(
        bills["savings"].to_numpy(float),
        bills["alone"].to_numpy(float),
        [float(volume.get(m, 0.0)) for m in bills["member"]],
        [tags_of[m] for m in bills["member"]],
        currency=currency,
    )


def _stability(sharing: SharingResult | MemberCore, level: str) -> pd.DataFrame:
    core = sharing.core
    if isinstance(sharing, MemberCore):
        return pd.DataFrame(
            [
                {
                    "rule": "member least core",
                    "level": "member",
                    "stable": core.stable and sharing.converged,
                    "verdict": sharing.verdict,
                    "epsilon": sharing.epsilon,  # the LP's bound; equal to the next if converged
                    "epsilon_upper": sharing.epsilon_upper,
                    "gaining_group": ", ".join(core.coalition),
                    "gain": core.gain,
                    "proven": sharing.proven,
                    "check": f"{sharing.check_method}: {core.message}",
                    "meaning": STABLE_MEANS,
                }
            ]
        )
    return pd.DataFrame(
        [
            {
                "rule": sharing.split.method,
                "level": level,
                "stable": core.stable,
                "verdict": core.message,
                "gaining_group": ", ".join(core.coalition),
                "gain": core.gain,
                "proven": core.proven,
                "meaning": STABLE_MEANS,
            }
        ]
    )


def _kpis(
    result: ProcurementResult, check: Check, bills: pd.DataFrame, currency: str
) -> tuple[Kpi, ...]:
    alone = float(bills["alone"].sum())
    trucks = result.trucks
    return (
        Kpi("pooled cost", result.pooled_cost, currency, False),
        Kpi("cost if every member buys alone", alone, currency, None),
        Kpi("savings", result.savings, currency, True),
        Kpi("savings (%)", 100 * result.savings / alone, "%", True),
        Kpi("truckloads", float(trucks["trucks"].sum()) if len(trucks) else 0.0, "trucks", None),
        Kpi("transport cost", check.figures["transport_cost"], currency, False),
        Kpi(
            "members paying less than alone",
            float((bills["savings"] > 1e-6).sum()),
            "members",
            True,
        ),
        Kpi("smallest saving of a member (%)", float(bills["savings_pct"].min()), "%", True),
    )


def _delivery_lines(scenario: Scenario, trucks: pd.DataFrame) -> list[dict[str, Any]]:
    supplier_at = {s.id: s for s in scenario.suppliers}
    place: dict[str, Any] = {h.id: h for h in scenario.hubs}
    place.update({m.id: m for m in scenario.members})
    lanes = _with_ends(trucks[trucks["trucks"] > 0], "supplier", supplier_at, "drop_point", place)
    return route_lines(scenario, lanes, properties=["supplier", "drop_point", "trucks", "load_kg"])
