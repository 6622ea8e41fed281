"""The credit page: how the season's inputs are financed, the cooperative's balance by month, and
each member's repayment schedule (by name)."""

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from optimizer.app.credit_words import season_end_note
from optimizer.app.shell import page_setup
from optimizer.app.split_choice import split_choice
from optimizer.app.views import download_tables, page_runs, readable, run_header
from optimizer.scenario.scenario import Scenario

_SCHEDULE = {
    "month": "month",
    "inputs": "inputs received",
    "cash_paid": "cash paid up front",
    "delivery_value": "deliveries",
    "withheld": "withheld",
    "paid_out": "paid out",
    "debt": "debt at the month's end",
}


def _in_words(
    frame: pd.DataFrame, scenario: Scenario, currency: str, words: dict[str, str] | None = None
) -> Any:
    """A credit table for the eye: each money column headed with its currency, debt × months
    with its unit, then :func:`readable` (names, other units, two decimals). Every number of
    the credit tables is money but debt × months and the month."""
    named = words or {}
    money = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and c not in ("debt_months", "month")
    ]
    headers = {c: f"{named.get(c, c.replace('_', ' '))} ({currency})" for c in money}
    headers.update({c: named[c] for c in frame.columns if c in named and c not in headers})
    if "debt_months" in frame.columns:
        headers["debt_months"] = f"debt × months ({currency} × months)"
    return readable(frame.rename(columns=headers), scenario)


def _balance_chart(balance: pd.DataFrame) -> Any:
    long = balance.melt(
        id_vars="month",
        value_vars=["credit_balance", "cash", "paid_to_suppliers"],
        var_name="figure",
        value_name="amount",
    )
    long["figure"] = long["figure"].str.replace("_", " ")
    bars = (
        alt.Chart(long[long["figure"] == "credit balance"])
        .mark_bar(color="#c0504d")
        .encode(x=alt.X("month:O", title=None), y=alt.Y("amount:Q", title=None))
    )
    lines = (
        alt.Chart(long[long["figure"] != "credit balance"])
        .mark_line(point=True)
        .encode(x="month:O", y="amount:Q", color=alt.Color("figure:N", title=None))
    )
    return alt.layer(bars, lines)


page_setup()
st.title("Credit")
split = split_choice("credit")  # each member's debt is its bill under the split
runs = page_runs("credit", "Credit", tuple(sorted(split.items())))
if runs is not None:
    run = runs.run
    run_header(run, runs.label, runs.base_run)
    if run.status.has_solution:
        balance = run.tables["balance"]
        st.subheader("The cooperative's credit balance and cash by month")
        st.altair_chart(_balance_chart(balance), use_container_width=True)
        currency = next((k.unit for k in run.kpis if k.label == "financing cost"), "EUR")
        note = season_end_note(balance, run.tables["members"], currency)
        if note:
            st.caption(note)
        st.dataframe(_in_words(balance, runs.scenario, currency), hide_index=True)
        st.subheader("Each member's repayment schedule")
        schedule = run.tables["schedule"]
        names = list(dict.fromkeys(schedule["member"]))
        chosen = st.selectbox("Member", names, key="credit-member")
        rows = schedule[schedule["member"] == chosen][list(_SCHEDULE)]
        st.dataframe(_in_words(rows, runs.scenario, currency, _SCHEDULE), hide_index=True)
        unpaid = run.tables["unpaid"]
        if unpaid.empty:
            st.success("Every member repays within the season.")
        else:
            st.subheader("Members who cannot repay within the season")
            st.dataframe(
                _in_words(unpaid.drop(columns="member_id"), runs.scenario, currency),
                hide_index=True,
            )
        st.subheader("How each order is paid")
        st.dataframe(_in_words(run.tables["payments"], runs.scenario, currency), hide_index=True)
        st.subheader("Each member over the season, and its share of the financing cost")
        members = run.tables["members"].drop(columns="member_id")
        st.dataframe(_in_words(members, runs.scenario, currency), hide_index=True)
        download_tables({"kpis": run.kpi_table(), **run.tables}, prefix="credit", key="dl-credit")
