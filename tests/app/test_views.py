"""The app's table display: times of day as HH:MM, numbers by the one formatter."""

from __future__ import annotations

import gc
import math

import pandas as pd

from optimizer import load_scenario
from optimizer.app import state
from optimizer.app.views import readable
from tests.conftest import LIECHTENSTEIN


def test_readable_formats_clock_columns_and_numbers_but_keeps_the_values() -> None:
    frame = pd.DataFrame(
        {
            "route": ["milk #0", "milk #1"],
            "arrival_min": [390.0, 1445.0],
            "distance_km": [12.3456, math.nan],
            "stops": [3, 4],
        }
    )
    styled = readable(frame)
    html = styled.to_html()
    assert "06:30" in html and "24:05" in html  # minutes after midnight, as clock times
    assert "12.35" in html and "–" in html  # one number formatter; blanks as dashes
    assert list(styled.data.columns) == ["route", "arrival (hh:mm)", "distance (km)", "stops"]
    assert styled.data["arrival (hh:mm)"].tolist() == [390.0, 1445.0]  # values stay raw


def test_readable_names_the_members_and_buyers_of_the_scenario() -> None:
    scenario = load_scenario(LIECHTENSTEIN)
    member, buyer = scenario.members[0], scenario.buyers[0]
    frame = pd.DataFrame(
        {"member": [member.id], "buyer": [buyer.id], "time_h": [0.75], "bill": [12.0]}
    )
    html = readable(frame, scenario).to_html()
    assert f"{member.name} ({member.id})" in html and f"{buyer.name} ({buyer.id})" in html
    assert "time (min)" in html and ">45<" in html  # minutes, not 0.75 h
    assert f"bill ({scenario.parameters.currency})" in html and "12.00" in html


def test_what_the_caches_keep_is_frozen_once_after_it_grew() -> None:
    state._GROWN[0] = True  # as after a script run that kept a new model run
    try:
        state.freeze_kept()
        frozen = gc.get_freeze_count()
        assert frozen > 0 and not state._GROWN[0]
        more = [[i] for i in range(1000)]  # objects the caches do not keep: no new freeze
        state.freeze_kept()
        assert gc.get_freeze_count() == frozen and len(more) == 1000
    finally:
        gc.unfreeze()  # the other tests collect as usual


def test_garbage_in_cycles_frozen_with_the_caches_is_freed_at_the_next_thaw() -> None:
    import weakref

    class Node:
        pass

    gc.collect()
    node = Node()
    node.self = node  # type: ignore[attr-defined]  # a cycle: only the collector frees it
    alive = weakref.ref(node)
    try:
        state._FREEZES[0] = 0
        state._GROWN[0] = True
        state.freeze_kept()  # the cycle is frozen with what the caches keep
        del node
        gc.collect()
        assert alive() is not None  # frozen: the collector does not see it
        for _ in range(state.THAW_EVERY - 1):
            state._GROWN[0] = True
            state.freeze_kept()
        assert alive() is None  # the thaw collected it
        assert gc.get_freeze_count() > 0  # and froze again
    finally:
        gc.unfreeze()
