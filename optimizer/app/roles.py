"""What each user comes to a page for, in their words.

The coordinator, on Procurement: one member's bill against buying alone, whether the split is
stable (one sentence), and the two kinds of savings named apart. The producer, on Markets:
"my farm", every buyer of one member ranked by net money per unit with distance and minutes,
the buyer the plan sells to highlighted, and that member's routes on the map. Everything here
reads the run's tables; no model rule is computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from optimizer.app.map import show_map
from optimizer.app.views import member_label, names_for, readable
from optimizer.io.format import DASH, format_number
from optimizer.io.upload import file_stem
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario

__all__ = [
    "bill_sentence",
    "farm_table",
    "member_bill",
    "my_farm",
    "pick_member",
    "stability_sentence",
    "statement_pdf",
]

_CHOSEN = "background-color: #fff2b3; font-weight: 600"
_NAMED = 6  # members a sentence names of a group that would leave


def pick_member(ids: Iterable[str], names: Mapping[str, str], *, key: str) -> str:
    """A member chosen by name (the id beside it), the members in the order of their names."""
    return str(
        st.selectbox(
            "Member",
            sorted(set(ids), key=lambda m: names.get(m, m)),
            format_func=lambda m: member_label(m, names),
            key=key,
            help="Type a name to find a member.",
        )
    )


# --------------------------------------------------------------------- coordinator
def bill_sentence(row: Mapping[Any, Any], name: str, currency: str) -> str:
    """One member's bill in words, from a row of the procurement run's ``split`` table."""
    bill = format_number(row["bill"], currency)
    alone = format_number(row["alone"], currency)
    saved = format_number(row["savings"], currency)
    percent = format_number(row["savings_pct"], "%")
    verb = "saves" if float(row["savings"]) >= 0 else "pays more by"
    return (
        f"**{name}** pays **{bill}** in the pooled order against **{alone}** buying alone: "
        f"the member {verb} **{saved.lstrip('-')}** ({percent.lstrip('-')})."
    )


def stability_sentence(
    stability: pd.DataFrame, currency: str, names: Mapping[str, str] | None = None
) -> str:
    """Whether the split is stable, in one plain sentence (the first rule of the table); the
    group that would leave by the names in ``names`` (members' and cooperatives'), ids beside."""
    if stability.empty:
        return "The split's stability was not checked."
    row = stability.iloc[0]
    level = str(row.get("level", "") or "members")
    rule = str(row["rule"]).replace("_", " ")
    proven = "" if bool(row.get("proven", True)) else " (the check stopped early: not proven)"
    if bool(row["stable"]):
        return (
            f"The split ({rule}, between {_plural(level)}) is stable: no group of "
            f"{_plural(level)} can buy cheaper on its own{proven}."
        )
    gain = format_number(row["gain"], currency)
    ids = [g.strip() for g in str(row.get("gaining_group") or "").split(",") if g.strip()]
    group = ", ".join(member_label(g, names or {}) for g in ids[:_NAMED]) or "a group"
    if len(ids) > _NAMED:  # a long group: its size, the first few names
        group = f"the {len(ids)} {_plural(level)} {group} and {len(ids) - _NAMED} more"
    text = (
        f"The split ({rule}, between {_plural(level)}) is not stable: {group} would save "
        f"{gain} by buying on its own{proven}."
    )
    least = row.get("epsilon")  # the least core's bound: every split leaves a group this gain
    if least is not None and pd.notna(least) and float(least) > 0.005:
        text += (
            f" No split can be stable here: whatever the bills, some group of "
            f"{_plural(level)} would save at least {format_number(least, currency)}."
        )
    return text


def _plural(level: str) -> str:
    return level if level.endswith("s") else f"{level}s"


def member_bill(run: ModelRun, scenario: Scenario, roads: Sequence[Mapping[str, Any]]) -> None:
    """The coordinator's panel: a member's bill, the split's stability, savings named apart."""
    split = run.tables.get("split")
    if split is None or split.empty:
        return
    currency = scenario.parameters.currency
    st.subheader("A member's bill")
    names = names_for(scenario)["member"]
    member = pick_member(split["member"].astype(str), names, key="coordinator-member")
    row = split[split["member"].astype(str) == member].iloc[0]
    st.markdown(bill_sentence(row.to_dict(), member_label(member, names), currency))
    stability = run.tables.get("stability")
    if stability is not None:
        st.markdown(stability_sentence(stability, currency, names_for(scenario)["player"]))
    _statement_buttons(run, scenario, member, member_label(member, names), len(split))
    st.caption(
        "Two kinds of savings: the **members' savings** (the KPI 'savings' and the 'split' "
        "table) are what members save by pooling against each buying alone; the "
        "**cooperatives' pooling gain** ('split_by_player', and the 'savings' of the Shapley "
        "line in words) is what the cooperatives save by ordering together rather than each "
        "cooperative on its own, shared out by the split rule."
    )


def _statement_buttons(
    run: ModelRun, scenario: Scenario, member: str, name: str, count: int
) -> None:
    """Statements to print and sign: the chosen member's, and every member's in one PDF."""
    from optimizer.statements import LANGUAGES

    language, one, every = st.columns([1, 2, 2], vertical_alignment="bottom")
    code = language.selectbox("Language of the statements", LANGUAGES, key="statements-lang")
    stem = file_stem(scenario.name)
    one.download_button(
        f"Statement of {name} (PDF)",
        partial(statement_pdf, run, scenario, code, member),
        on_click="ignore",
        file_name=f"{stem}-statement-{file_stem(name)}.pdf",
        mime="application/pdf",
        key="statement-member",
    )
    every.download_button(
        f"Every member's statement ({count} members, one PDF)",
        partial(statement_pdf, run, scenario, code, None),
        on_click="ignore",
        file_name=f"{stem}-statements.pdf",
        mime="application/pdf",
        key="statement-all",
        help="Takes a moment: every member's page is laid out.",
    )


def statement_pdf(run: ModelRun, scenario: Scenario, code: str, member: str | None) -> bytes:
    """The printable statement of ``member`` (every member's, one page each, when None) in
    language ``code``, with the repayment schedule when the scenario has credit data; the
    figures are the run's (and the credit model's), as ``optimizer statements`` prints.

    The app keeps its runs without the raw solver result (``state.cached_run``), which the
    credit model reads of a procurement run: the plan is then solved again (the same plan
    whatever the split: a second or so more) and the credit model plans from it with this
    run's bills, the split the coordinator chose.
    """
    from weasyprint import HTML

    from optimizer.pipeline.registry import MODELS, missing_tables, run_model
    from optimizer.statements import language, render_html, statement_figures

    credit = None
    if "credit" in MODELS and not missing_tables(scenario, "credit"):
        whole = run
        if run.result is None:
            again = run_model(scenario, "procurement")
            whole = replace(again, tables={**again.tables, "split": run.tables["split"]})
        planned = run_model(scenario, "credit", procurement=whole)
        if planned.status.has_solution and "schedule" in planned.tables:
            credit = planned
    pages = render_html(statement_figures(run, scenario, credit), language(code))
    html = pages["members"] if member is None else pages[f"member:{member}"]
    return bytes(HTML(string=html).write_pdf())


# --------------------------------------------------------------------- producer
_FARM_COLUMNS = (
    "product",
    "rank",
    "buyer",
    "net_per_unit",
    "distance_km",
    "time_h",
    "price",
    "transport_cost_per_unit",
    "handling_fee",
    "planned_quantity",
    "perishability_ok",
)


def farm_table(run: ModelRun, member: str) -> pd.DataFrame:
    """Every reachable buyer of one member, best net money per unit first for each product."""
    table = run.tables["route_comparison"]
    mine = table[table["member"].astype(str) == member]
    columns = [c for c in _FARM_COLUMNS if c in mine.columns]
    return mine.sort_values(["product", "rank"])[columns].reset_index(drop=True)


def my_farm(run: ModelRun, scenario: Scenario, roads: Sequence[Mapping[str, Any]]) -> None:
    """The producer's panel: pick a member by name, see every buyer ranked, routes mapped."""
    if "route_comparison" not in run.tables or run.tables["route_comparison"].empty:
        return
    st.subheader("My farm: every buyer, ranked")
    names = names_for(scenario)["member"]
    sellers = set(run.tables["route_comparison"]["member"].astype(str))
    member = pick_member(sellers, names, key="farm-member")
    rows = farm_table(run, member)
    chosen = rows["planned_quantity"].fillna(0) > 0
    for product, group in rows.groupby("product", sort=False):
        st.markdown(_farm_sentence(group, str(product), scenario))
    styled = readable(rows, scenario).apply(
        lambda r: [_CHOSEN if chosen.iloc[r.name] else "" for _ in r], axis=1
    )
    st.dataframe(styled, width="stretch", hide_index=True, placeholder=DASH)
    st.caption("Highlighted: the buyers the plan sells to. Rank 1 pays the most net per unit.")
    features = [
        f
        for f in run.layers.get("market_routes", [])
        if str((f.get("properties") or {}).get("member")) == member
    ]
    show_map(scenario, layers={"my routes": features}, roads=roads, key="map-farm")


def _farm_sentence(group: pd.DataFrame, product: str, scenario: Scenario) -> str:
    names = names_for(scenario)
    currency = scenario.parameters.currency
    unit = next((p.unit for p in scenario.products if p.id == product), "unit")
    label = names["product"].get(product, product)
    best = group.iloc[0]
    sold = group[group["planned_quantity"].fillna(0) > 0]
    where = ", ".join(
        f"{names['buyer'].get(str(b), b)} (rank {int(r)}, "
        f"{format_number(n, f'{currency}/{unit}')} net)"
        for b, r, n in zip(sold["buyer"], sold["rank"], sold["net_per_unit"], strict=True)
    )
    best_text = (
        f"{names['buyer'].get(str(best['buyer']), best['buyer'])} pays the most net: "
        f"{format_number(best['net_per_unit'], f'{currency}/{unit}')}, "
        f"{format_number(best['distance_km'], 'km')}, "
        f"{format_number(round(float(best['time_h']) * 60), 'min')} away"
    )
    if sold.empty:
        return f"**{label}**: {best_text}; the plan sells none to a buyer (farm gate)."
    return f"**{label}**: {best_text}; the plan sells to {where}."
