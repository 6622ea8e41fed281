"""What a model never reads leaves its run as it is: the run reused by input digest is the
run a fresh solve gives. Every table a model does not read whole is changed here (every
number in it, and for places every column but where they are), and the run must not move."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.pipeline.inputs import ALWAYS_READ, PLACE_COLUMNS, READS, input_digest
from optimizer.pipeline.registry import run_model
from optimizer.pipeline.run import ModelRun
from optimizer.scenario.load import load_scenario
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import TABLE_MODELS
from optimizer.scenario.variants import apply_overrides
from tests.conftest import LIECHTENSTEIN

# the same search on any machine: routes stop after a number of iterations
OPTIONS: dict[str, dict[str, Any]] = {"routes": {"iterations": 300, "time_limit": 60.0}}
FACTOR = 0.9


@pytest.fixture(scope="module")
def base() -> Scenario:
    return load_scenario(LIECHTENSTEIN)


def changed(base: Scenario, table: str) -> Scenario:
    """``base`` with every number of ``table`` (but where places are) times :data:`FACTOR`,
    each column on its own where the scenario would not stay valid otherwise."""
    frame = base.table(table)
    columns = [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and c not in PLACE_COLUMNS
        and frame[c].abs().sum() > 0
    ]
    scale = {f"{table}.{c}": FACTOR for c in columns}
    try:
        return apply_overrides(base, {"scale": scale}, source="test")
    except InputError:
        variant = base
        for key in scale:
            try:
                variant = apply_overrides(variant, {"scale": {key: FACTOR}}, source="test")
            except InputError:
                continue
        return variant


def same_run(a: ModelRun, b: ModelRun) -> None:
    assert a.kpi_values() == pytest.approx(b.kpi_values(), nan_ok=True)
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.warnings == b.warnings


@pytest.mark.parametrize("model", list(READS))
def test_tables_a_model_does_not_read_leave_its_run_as_it_is(base: Scenario, model: str) -> None:
    before = run_model(base, model, **OPTIONS.get(model, {}))
    read = {*READS[model], *ALWAYS_READ}
    unread = [t for t in TABLE_MODELS if t not in read and len(base.table(t))]
    touched = []
    for table in unread:
        variant = changed(base, table)
        if variant == base:
            continue  # nothing in it to change but where places are
        touched.append(table)
        assert input_digest(variant, model) == input_digest(base, model), table
        same_run(run_model(variant, model, **OPTIONS.get(model, {})), before)
    assert touched, "no table changed: the test would prove nothing"


@pytest.mark.parametrize("model", list(READS))
def test_what_a_model_reads_changes_its_digest(base: Scenario, model: str) -> None:
    for table in READS[model]:
        variant = changed(base, table)
        if variant != base:
            assert input_digest(variant, model) != input_digest(base, model), table
    fuel = apply_overrides(base, {"set": {"parameters.fuel_price_factor": 1.3}}, source="t")
    assert input_digest(fuel, model) != input_digest(base, model)
    moved = base.model_copy(
        update={"buyers": (base.buyers[0].model_copy(update={"lat": 47.1}), *base.buyers[1:])}
    )
    assert input_digest(moved, model) != input_digest(base, model)  # where places are


def test_a_model_not_listed_is_keyed_on_the_whole_scenario(base: Scenario) -> None:
    variant = changed(base, "brackets")
    assert input_digest(variant, "credit-or-any") != input_digest(base, "credit-or-any")
