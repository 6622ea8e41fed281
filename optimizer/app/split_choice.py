"""The coordinator's choice of how the pooled bill is split, at the top of Procurement.

Each choice is one of the procurement model's ``rule`` and ``level`` options (the CLI's
``--split`` and ``--level``), named in words with what it means in one sentence. The choice
is kept per session, carried from page to page, and goes into the run's cache key, so
switching back shows the run already made.
"""

from __future__ import annotations

import streamlit as st

__all__ = ["SPLITS", "split_choice"]

_KEPT = "split-choice"  # the label last chosen on any page

#: label → (options of the procurement model, what the split means in one sentence)
SPLITS: dict[str, tuple[dict[str, str], str]] = {
    "Shapley value between cooperatives": (
        {},
        "Each cooperative pays its average extra cost over every order in which the "
        "cooperatives could join; its members share that in proportion to what each would "
        "pay buying alone.",
    ),
    "Least core between cooperatives": (
        {"rule": "least_core", "level": "cooperative"},
        "The cooperatives' shares that leave the least any group of cooperatives could save "
        "by ordering on its own; members share their cooperative's in proportion to what "
        "each would pay alone.",
    ),
    "In proportion to what each member would pay alone": (
        {"rule": "proportional", "level": "member"},
        "Every member saves the same percentage of what it would pay buying alone.",
    ),
    "In proportion to the weight each member orders": (
        {"rule": "volume", "level": "member"},
        "Every kilogram ordered pays the same share of the bill.",
    ),
    "Least core between members (up to about 25 s)": (
        {"rule": "member_least_core", "level": "member"},
        "Proportional shares, moved only as far as needed so that no group of members would "
        "save by ordering on its own (where no split can do that, so that the most any group "
        "could save is as small as possible).",
    ),
}


def split_choice(page: str) -> dict[str, str]:
    """Draw the choice of split on ``page``; the model's options for it. The choice carries
    over from page to page (Procurement and Credit: the debts are the bills)."""
    labels = list(SPLITS)
    kept = st.session_state.get(_KEPT, labels[0])
    label = st.selectbox(
        "How the bill is split",
        labels,
        index=labels.index(kept) if kept in labels else 0,
        key=f"split-choice-{page}",
        help="The split decides each member's bill; the plan (what is ordered, from whom, "
        "in which trucks) is the same whichever split is chosen.",
    )
    st.session_state[_KEPT] = label
    options, meaning = SPLITS[label]
    st.caption(meaning)
    return dict(options)
