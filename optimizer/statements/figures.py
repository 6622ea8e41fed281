"""The figures a statement prints, taken from a procurement run's tables (never recomputed).

:func:`statement_figures` reads a :class:`~optimizer.pipeline.run.ModelRun` of the
procurement model and its scenario into plain frozen records: one
:class:`MemberFigures` per member (what was ordered for them, their bill, what they would
have paid alone, their savings), one :class:`SupplierFigures` per supplier with an order
(products, brackets, drop points, trucks) and the :class:`AssemblyFigures` of the whole
order (key figures, the split and its stability, equity by group). Money is the run's:
bills and savings from its ``split`` table, totals from its key figures; the only
arithmetic here is a product's average price (its goods cost over its quantity) and sums of
the run's own columns per cooperative.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import Hub, Member

__all__ = [
    "AssemblyFigures",
    "CooperativeFigures",
    "DropFigures",
    "MemberFigures",
    "OrderLine",
    "Purchase",
    "ScheduleRow",
    "StatementFigures",
    "SupplierFigures",
    "Terms",
    "statement_figures",
]


@dataclass(frozen=True)
class Purchase:
    """One input ordered for a member: quantities in the product's unit, prices per unit."""

    product: str
    unit: str
    pooled: float  # bought in the pooled order
    local: float  # bought locally (no pooled offer reached it)
    price_reached: float  # the pooled order's average price of this product
    local_price: float  # what the member pays locally, per unit


@dataclass(frozen=True)
class ScheduleRow:
    """One month of a member's repayment, as the credit plan has it (money in the currency)."""

    month: str  # YYYY-MM
    inputs: float  # inputs received
    cash_paid: float  # the member's own cash paid up front
    delivery_value: float
    withheld: float
    paid_out: float
    debt: float  # at the month's end


@dataclass(frozen=True)
class MemberFigures:
    member_id: str
    name: str
    cooperative: str  # the cooperative's name
    drop_point: str  # where the member's inputs are delivered, by name
    purchases: tuple[Purchase, ...]
    standalone_cost: float
    bill: float
    savings: float
    savings_pct: float
    # from the credit plan, when the scenario has credit data
    schedule: tuple[ScheduleRow, ...] = ()
    financing_cost: float | None = None
    unpaid: float = 0.0


@dataclass(frozen=True)
class OrderLine:
    product: str
    unit: str
    discount: str  # all_units or incremental
    quantity: float
    bracket: int  # 1-based: the first bracket is 1
    threshold: float
    unit_price: float
    goods_cost: float
    average_price: float


@dataclass(frozen=True)
class DropFigures:
    """One drop point of a supplier's deliveries: where, what and on how many trucks."""

    name: str
    lat: float
    lon: float
    quantities: tuple[tuple[str, float, str], ...]  # product name, quantity, unit
    trucks: int
    load_kg: float
    distance_km: float
    transport_cost: float


@dataclass(frozen=True)
class Terms:
    """A supplier's payment terms (the scenario's ``payment_terms`` row)."""

    cash_discount: float  # a share: 0.02 is 2 %
    discount_days: int
    days_to_pay: int
    credit_months: int
    credit_rate: float  # a year, as a share


@dataclass(frozen=True)
class SupplierFigures:
    supplier_id: str
    name: str
    lat: float
    lon: float
    truck_payload_kg: float
    lines: tuple[OrderLine, ...]
    drops: tuple[DropFigures, ...]
    goods_cost: float
    transport_cost: float
    terms: Terms | None = None


@dataclass(frozen=True)
class CooperativeFigures:
    name: str
    members: int
    standalone_cost: float
    bill: float
    savings: float


@dataclass(frozen=True)
class AssemblyFigures:
    pooled_cost: float
    alone_cost: float
    savings: float
    savings_pct: float
    truckloads: float
    transport_cost: float
    members: int
    members_saving: float
    smallest_saving_pct: float
    rule: str  # shapley, least_core, proportional, volume or member_least_core
    level: str  # cooperative or member
    stable: bool
    gaining_group: tuple[str, ...]  # names of the group that would gain by leaving
    gain: float
    cooperatives: tuple[CooperativeFigures, ...]
    equity_by_tag: tuple[tuple[str, int, float, float, float], ...]  # tag, members, shares
    financing_cost: float | None = None  # the credit plan's, when there is one
    members_unpaid: int = 0  # members whose deliveries cannot repay within the season
    least_gain: float = 0.0  # the least core's bound: every split leaves a group this to save


@dataclass(frozen=True)
class StatementFigures:
    """Everything the statements of one procurement run print."""

    scenario: str
    currency: str
    planning_period: str
    members: tuple[MemberFigures, ...]
    suppliers: tuple[SupplierFigures, ...]
    assembly: AssemblyFigures


def statement_figures(
    run: object, scenario: Scenario, credit: object | None = None
) -> StatementFigures:
    """The statements' figures from a procurement run of ``scenario``.

    ``credit``, the credit model's run of the same scenario, adds each member's repayment
    schedule and share of the financing cost.
    """
    tables = getattr(run, "tables", {})
    if getattr(run, "model", None) != "procurement" or "split" not in tables:
        raise InputError(Problem(scenario.name, "a procurement plan to print statements of"))
    places: dict[str, Hub | Member] = {h.id: h for h in scenario.hubs}
    places.update({m.id: m for m in scenario.members})
    members = _members(tables, scenario, places)
    assembly = _assembly(run, tables, scenario)
    if credit is not None:
        members, assembly = _with_credit(credit, members, assembly)
    return StatementFigures(
        scenario=scenario.name,
        currency=scenario.parameters.currency,
        planning_period=scenario.parameters.planning_period,
        members=members,
        suppliers=_suppliers(tables, scenario, places),
        assembly=assembly,
    )


def _with_credit(
    credit: object, members: tuple[MemberFigures, ...], assembly: AssemblyFigures
) -> tuple[tuple[MemberFigures, ...], AssemblyFigures]:
    """Each member's schedule and financing cost from the credit plan's tables."""
    tables = getattr(credit, "tables", {})
    if getattr(credit, "model", None) != "credit" or "schedule" not in tables:
        raise InputError(Problem("credit plan", "the credit model's run of the same scenario"))
    months: dict[str, list[ScheduleRow]] = {}
    for r in tables["schedule"].itertuples(index=False):
        months.setdefault(str(r.member_id), []).append(
            ScheduleRow(
                month=str(r.month),
                inputs=float(r.inputs),
                cash_paid=float(r.cash_paid),
                delivery_value=float(r.delivery_value),
                withheld=float(r.withheld),
                paid_out=float(r.paid_out),
                debt=float(r.debt),
            )
        )
    season = tables["members"].set_index("member_id")
    joined = tuple(
        replace(
            m,
            schedule=tuple(months.get(m.member_id, ())),
            financing_cost=float(season.at[m.member_id, "financing_cost"]),
            unpaid=float(season.at[m.member_id, "unpaid"]),
        )
        if m.member_id in season.index
        else m
        for m in members
    )
    kpis = credit.kpi_values()  # type: ignore[attr-defined]
    return joined, replace(
        assembly,
        financing_cost=kpis["financing cost"],
        members_unpaid=int(kpis["members who cannot repay"]),
    )


def _average_prices(orders: pd.DataFrame) -> dict[str, float]:
    """Each product's average price over the pooled order: goods cost over quantity."""
    per = orders.groupby("product")[["goods_cost", "quantity"]].sum()
    return {str(p): float(r.goods_cost / r.quantity) for p, r in per.iterrows() if r.quantity > 0}


def _members(tables: dict, scenario: Scenario, places: dict) -> tuple[MemberFigures, ...]:
    reached = _average_prices(tables["orders"])
    bought: dict[str, list[Purchase]] = {}
    for row in tables["purchases"].itertuples(index=False):
        product = scenario.product(row.product)
        bought.setdefault(row.member, []).append(
            Purchase(
                product=product.name,
                unit=product.unit,
                pooled=float(row.pooled),
                local=float(row.local),
                price_reached=reached.get(row.product, float("nan")),
                local_price=float(row.local_price),
            )
        )
    members = []
    for row in tables["split"].itertuples(index=False):
        member = scenario.member(row.member)
        drop = places.get(row.drop_point)
        members.append(
            MemberFigures(
                member_id=member.id,
                name=member.name,
                cooperative=scenario.cooperative(member.cooperative).name,
                drop_point=drop.name if drop is not None else str(row.drop_point),
                purchases=tuple(bought.get(member.id, ())),
                standalone_cost=float(row.alone),
                bill=float(row.bill),
                savings=float(row.savings),
                savings_pct=float(row.savings_pct),
            )
        )
    return tuple(members)


def _suppliers(tables: dict, scenario: Scenario, places: dict) -> tuple[SupplierFigures, ...]:
    orders, shipments, trucks = tables["orders"], tables["shipments"], tables["trucks"]
    terms = getattr(scenario, "payment_terms", ())  # optional: with the scenario's credit data
    sheets = []
    for supplier in scenario.suppliers:
        own = orders[(orders["supplier"] == supplier.id) & (orders["quantity"] > 0)]
        if own.empty:
            continue
        lines = tuple(
            OrderLine(
                product=scenario.product(r.product).name,
                unit=scenario.product(r.product).unit,
                discount=str(r.discount),
                quantity=float(r.quantity),
                bracket=int(r.bracket) + 1,
                threshold=float(r.threshold),
                unit_price=float(r.unit_price),
                goods_cost=float(r.goods_cost),
                average_price=float(r.average_price),
            )
            for r in own.itertuples(index=False)
        )
        sent = shipments[(shipments["supplier"] == supplier.id) & (shipments["quantity"] > 0)]
        loads = trucks[trucks["supplier"] == supplier.id].set_index("drop_point")
        drops = []
        for drop_id, group in sent.groupby("drop_point", sort=True):
            place = places[str(drop_id)]
            load = loads.loc[drop_id] if drop_id in loads.index else None
            drops.append(
                DropFigures(
                    name=place.name,
                    lat=place.lat,
                    lon=place.lon,
                    quantities=tuple(
                        (
                            scenario.product(r.product).name,
                            float(r.quantity),
                            scenario.product(r.product).unit,
                        )
                        for r in group.itertuples(index=False)
                    ),
                    trucks=int(load["trucks"]) if load is not None else 0,
                    load_kg=float(load["load_kg"]) if load is not None else 0.0,
                    distance_km=float(load["distance_km"]) if load is not None else 0.0,
                    transport_cost=float(load["transport_cost"]) if load is not None else 0.0,
                )
            )
        term = next((t for t in terms if t.supplier == supplier.id), None)
        sheets.append(
            SupplierFigures(
                supplier_id=supplier.id,
                name=supplier.name,
                lat=supplier.lat,
                lon=supplier.lon,
                truck_payload_kg=supplier.truck_payload_kg,
                lines=lines,
                drops=tuple(drops),
                goods_cost=float(own["goods_cost"].sum()),
                transport_cost=float(loads["transport_cost"].sum()) if len(loads) else 0.0,
                terms=None
                if term is None
                else Terms(
                    cash_discount=term.cash_discount,
                    discount_days=term.discount_days,
                    days_to_pay=term.days_to_pay,
                    credit_months=term.credit_months,
                    credit_rate=term.credit_rate,
                ),
            )
        )
    return tuple(sheets)


def _least_gain(stability: pd.Series) -> float:
    """The least any split leaves some group to save (the members' least core's bound), 0
    for the other rules."""
    value = stability.get("epsilon")
    return float(value) if value is not None and pd.notna(value) and float(value) > 0 else 0.0


def _assembly(run: object, tables: dict, scenario: Scenario) -> AssemblyFigures:
    kpis = run.kpi_values()  # type: ignore[attr-defined]
    stability = tables["stability"].iloc[0]
    rule = str(stability["rule"]).replace(" ", "_")  # "member least core" is one rule
    names = {c.id: c.name for c in scenario.cooperatives}
    names.update({m.id: m.name for m in scenario.members})
    group = tuple(
        names.get(p.strip(), p.strip()) for p in str(stability["gaining_group"]).split(",")
    )
    split = tables["split"]
    by_coop = split.groupby("cooperative", sort=False)
    cooperatives = tuple(
        CooperativeFigures(
            name=names.get(str(coop), str(coop)),
            members=len(frame),
            standalone_cost=float(frame["alone"].sum()),
            bill=float(frame["bill"].sum()),
            savings=float(frame["savings"].sum()),
        )
        for coop, frame in by_coop
    )
    return AssemblyFigures(
        pooled_cost=kpis["pooled cost"],
        alone_cost=kpis["cost if every member buys alone"],
        savings=kpis["savings"],
        savings_pct=kpis["savings (%)"],
        truckloads=kpis["truckloads"],
        transport_cost=kpis["transport cost"],
        members=len(split),
        members_saving=kpis["members paying less than alone"],
        smallest_saving_pct=kpis["smallest saving of a member (%)"],
        rule=rule,
        level=str(stability["level"]),
        stable=bool(stability["stable"]),
        gaining_group=tuple(g for g in group if g),
        gain=float(stability["gain"]),
        least_gain=_least_gain(stability),
        cooperatives=cooperatives,
        equity_by_tag=tuple(
            (
                str(r.tag),
                int(r.members),
                float(r.volume_share_pct),
                float(r.savings_share_pct),
                float(r.ratio),
            )
            for r in tables["equity_by_tag"].itertuples(index=False)
        ),
    )
