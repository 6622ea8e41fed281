"""The Compare page: one model on the base and on variants, side by side."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from optimizer.app.state import (
    ROOT,
    available_models,
    bundled_scenarios,
    current_base,
    current_variant,
    load_bundled,
    show_input_error,
)
from optimizer.app.views import download_tables, readable, solve
from optimizer.errors import InputError
from optimizer.io.format import DASH, format_number
from optimizer.pipeline.compare import Comparison, change_columns, compare_runs
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.scenario import Scenario

__all__ = ["members_left_out", "render_compare_page", "show_comparison"]

WHAT_IF = "the what-ifs from the sidebar"


def render_compare_page() -> None:
    st.title("Compare variants")
    models = available_models()
    if not models:
        st.info("No model is installed yet.")
        return
    try:
        label, base = current_base()
        variant = current_variant(base)
    except InputError as exc:
        show_input_error(exc)
        return
    bundled = bundled_scenarios()
    options = ([WHAT_IF] if variant is not None else []) + [
        k for k, v in bundled.items() if v != label
    ]
    model = st.selectbox("Model", models, key="cmp-model")
    default = [WHAT_IF] if variant is not None else [k for k in options if "Variant" in k][:1]
    chosen = st.multiselect(
        f"Compare the base ({label}) with",
        options,
        default=default,
        key="cmp-variants",
    )
    if not chosen:
        st.info("Pick one or more variants to compare with the base.")
        return
    scenarios: list[tuple[str, Scenario]] = [("base", base)]
    for option in chosen:
        try:
            if option == WHAT_IF:
                assert variant is not None
                scenarios.append(("what-if", variant))
            else:
                path = bundled[option]
                full = ROOT / path
                mtime = (full / "scenario.yaml" if full.is_dir() else full).stat().st_mtime
                scenarios.append((_short(option), load_bundled(path, mtime)))
        except InputError as exc:
            show_input_error(exc, title=f"'{option}' could not be loaded")
            return
    runs = []
    for name, scenario in scenarios:
        run = solve(model, scenario, f"{model} on {name}")
        if run is None:
            return
        runs.append(run)
    try:
        comparison = compare_runs(runs, [name for name, _ in scenarios])
    except InputError as exc:
        show_input_error(exc)
        return
    show_comparison(comparison, dict(zip(comparison.names, runs, strict=True)), base)


def _short(option: str) -> str:
    return option.split(" (", maxsplit=1)[0].removeprefix("Variant: ")


def show_comparison(
    comparison: Comparison, runs: dict[str, ModelRun], base: Scenario, *, key: str = "cmp"
) -> None:
    """A comparison on screen: KPIs side by side, in words, members who gain and lose (and
    those left out, with the reason ``runs`` give), names as in ``base``."""
    st.subheader("KPIs")
    table = comparison.kpis
    formats: dict[str, Any] = {
        c: format_number for c in table.columns if c not in ("kpi", "unit", "higher_is_better")
    }
    for name in comparison.names[1:]:
        formats[change_columns(name)[1]] = partial(format_number, unit="%", sign=True)
    # a static table: every label and figure shown whole, however many variants
    st.table(table.style.format(formats, na_rep=DASH).hide(axis="index"))
    st.subheader("In words")
    st.text(comparison.summary())
    members = comparison.per_member
    tables: dict[str, pd.DataFrame] = {"kpis": table, "per_member": members}
    currency = base.parameters.currency
    if not members.empty:
        for name in comparison.names[1:]:
            st.subheader(f"Members: {name} against the base ({comparison.value_label})")
            left, right = st.columns(2)
            shown = partial(_gains_view, name=name, currency=currency)
            left.caption("Gain most")
            left.dataframe(
                readable(shown(comparison.winners(name, n=10)), base),
                hide_index=True,
                width="stretch",
                placeholder=DASH,
            )
            right.caption("Lose most")
            right.dataframe(
                readable(shown(comparison.losers(name, n=10)), base),
                hide_index=True,
                width="stretch",
                placeholder=DASH,
            )
            missing = members_left_out(comparison, name, runs[name])
            if not missing.empty:
                st.caption(
                    f"Not in '{name}' ({len(missing)} members): no figure to compare, "
                    "so they are in neither list above"
                )
                st.dataframe(
                    readable(missing.rename(columns=_base_header(currency)), base),
                    hide_index=True,
                    width="stretch",
                    placeholder=DASH,
                )
                tables[f"left out {name}"[:31]] = missing
            gains = comparison.member_gains(name)
            by_coop = gains.groupby("cooperative")["gain"].agg(["count", "sum"]).reset_index()
            st.caption("Gain by cooperative")
            st.dataframe(
                readable(
                    by_coop.rename(columns={"count": "members", "sum": f"total gain ({currency})"}),
                    base,
                ),
                hide_index=True,
                width="stretch",
                placeholder=DASH,
            )
            tables[f"gains {name}"[:31]] = gains
    download_tables(tables, prefix=f"compare-{comparison.model}", key=f"{key}-dl")
    st.download_button(
        "Summary (text)",
        comparison.summary().encode(),
        file_name=f"compare-{comparison.model}.txt",
        key=f"{key}-summary",
        on_click="ignore",
    )


def _gains_view(frame: pd.DataFrame, *, name: str, currency: str) -> pd.DataFrame:
    return frame.rename(
        columns={
            **_base_header(currency),
            "variant": f"in {name} ({currency})",
            "change": f"change ({currency})",
            "gain": f"gain for the member ({currency})",
        }
    )


def _base_header(currency: str) -> dict[str, str]:
    return {"base": f"on the base ({currency})"}


def members_left_out(comparison: Comparison, name: str, run: ModelRun) -> pd.DataFrame:
    """Members with a figure on the base and none in variant ``name``, with the variant's
    reason where its run gives one (a table with ``member`` and ``reason`` columns)."""
    frame = comparison.per_member
    gone = frame[frame[name].isna() & frame[comparison.base].notna()]
    reasons: dict[str, str] = {}
    for table in run.tables.values():
        if {"member", "reason"} <= set(table.columns):
            for member, reason in zip(table["member"], table["reason"], strict=True):
                reasons.setdefault(str(member), str(reason))
    return pd.DataFrame(
        {
            "member": gone["member"].astype(str),
            "cooperative": gone["cooperative"],
            "base": gone[comparison.base],
            "reason": [
                reasons.get(str(m), f"no figure in {name}'s results") for m in gone["member"]
            ],
        }
    ).reset_index(drop=True)
