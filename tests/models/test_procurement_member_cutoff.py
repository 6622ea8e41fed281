"""The core-check MILP with a cutoff bounds every group's gain, not only the groups it saw.

The instance and split were met by an independent random check (seed 7001, nine members,
the hub phase forced on): with the cutoff above every gain, HiGHS ended "optimal" with an
incumbent gaining 379.28 and its bound at that incumbent, while a group of seven members
gains 487.05; the bound read from it let a wrong split win.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from optimizer.models.procurement import ProcurementData
from optimizer.models.procurement._member_plans import Patterns
from optimizer.models.procurement._member_rounds import separate
from tests.models.test_procurement_member_core import brute_force

CASE = Path(__file__).parents[1] / "data" / "member_core" / "cutoff_7001.json"
ARRAYS = [
    "demand",
    "local_price",
    "offered",
    "thresholds",
    "unit_price",
    "incremental",
    "min_order",
    "capacity",
    "weight_kg",
    "drop_point",
    "distance_km",
    "payload_kg",
    "cost_per_trip",
    "cost_per_km",
]


def _case() -> tuple[ProcurementData, np.ndarray, float]:
    raw = json.loads(CASE.read_text())

    def array(name: str) -> np.ndarray:
        values = [np.nan if v is None else float(v) for v in raw[name]["values"]]
        return np.array(values).reshape(raw[name]["shape"])

    fields = {name: array(name) for name in ARRAYS}
    for name in ("offered", "incremental"):
        fields[name] = fields[name].astype(bool)
    data = ProcurementData(**fields, fuel_price_factor=raw["fuel_price_factor"])
    return data, np.array(raw["split"]), float(raw["cutoff"])


def test_a_cutoff_above_every_gain_bounds_them_all() -> None:
    data, split, cutoff = _case()
    _, cost = brute_force(data, float(split.sum()))
    worst = max(float(split[list(s)].sum()) - c for s, c in cost.items())
    assert worst < cutoff  # the case: nothing beats the cutoff
    for above in (cutoff, -np.inf):
        found = separate(data, split, Patterns(data), time_limit=60, gap=1e-9, above=above)
        assert found.gain_bound >= worst - 1e-6 * split.sum(), (above, found)
    assert found.gain == found.gain_bound  # without the cutoff it finds that group
