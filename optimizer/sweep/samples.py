"""A sweep's samples: each one the base scenario with one future's overrides applied.

Sample ``i`` takes combination ``i mod k`` of the grids and lists (``k`` combinations, in the
order the spec names them, the last one turning fastest) and its random draws from its own
generator, seeded with ``(seed, i, kind)``: the same seed gives the same samples whatever
their number, the number of workers or the order they finish in, and adding one kind of draw
leaves the others' values as they were. Every sample is built by
:func:`optimizer.scenario.variants.apply_overrides` and validated like a scenario on disk.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.schema import TABLE_MODELS
from optimizer.scenario.variants import apply_overrides
from optimizer.sweep.spec import SweepSpec, parse_spec

__all__ = [
    "Sample",
    "build_sample",
    "changes_for",
    "check_spec",
    "sample_count",
    "samples",
    "scenario_hash",
]

# the prices a product's draw moves: what suppliers charge and what buyers pay
PRICE_COLUMNS = (("brackets", "unit_price"), ("buyer_prices", "price"))
# the columns that tell a row apart, for the `where` of an update
_ROW_KEYS = {
    "brackets": ("supplier", "product", "threshold"),
    "buyer_prices": ("buyer", "product"),
    "supply": ("member", "product"),
}


@dataclass(frozen=True)
class Sample:
    """One future: its number, what varied (input name: value) and the scenario it makes.

    ``changes`` are the variant overrides (``set``, ``scale``, ``update``, ``add``,
    ``remove``) applied to the base to make ``scenario``.
    """

    index: int
    overrides: Mapping[str, Any]
    changes: Mapping[str, Any]
    scenario: Scenario


def sample_count(spec: SweepSpec, n: int | None) -> int:
    """How many samples: ``n``, else the spec's ``samples``, else one per combination."""
    return n or spec.samples or spec.combinations()


def samples(
    spec: SweepSpec | Mapping[str, Any],
    base: Scenario,
    n: int | None = None,
    seed: int = 0,
    *,
    indices: list[int] | None = None,
) -> list[Sample]:
    """The sweep's samples (all of them, or those numbered in ``indices``).

    ``spec`` is a :class:`SweepSpec` or the mapping of a sweep file. Raises
    :class:`InputError` when the spec names what the base scenario does not have.
    """
    if not isinstance(spec, SweepSpec):
        spec = parse_spec(spec, "sweep spec")
    check_spec(spec, base)
    count = sample_count(spec, n)
    chosen = range(count) if indices is None else indices
    return [build_sample(spec, base, index, seed) for index in chosen]


def build_sample(spec: SweepSpec, base: Scenario, index: int, seed: int) -> Sample:
    """Sample ``index`` of a spec already checked against ``base`` (:func:`check_spec`)."""
    overrides, changes = changes_for(spec, base, index, seed)
    changes["name"] = f"{base.name} · sample {index}"
    try:
        scenario = apply_overrides(base, changes, source=f"{spec.source} (sample {index})")
    except InputError as exc:
        raise InputError(
            Problem(
                spec.source,
                f"samples the scenario accepts; sample {index} "
                f"({_describe(overrides)}) gives: {exc.first_line}",
            )
        ) from None
    return Sample(index, overrides, changes, scenario)


def changes_for(
    spec: SweepSpec, base: Scenario, index: int, seed: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What sample ``index`` varies (input: value) and the overrides that make it."""
    overrides: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    rest = index % max(spec.combinations(), 1)
    picks = []
    for axis in reversed(spec.axes):  # the last axis turns fastest
        rest, at = divmod(rest, len(axis.values))
        picks.append((axis, axis.values[at]))
    for axis, value in reversed(picks):
        overrides[axis.name] = value
        changes.setdefault(axis.op, {})[axis.target] = value
    draws = spec.draws
    gone: set[str] = set()
    if draws.buyer_missing:
        rng = _rng(seed, index, "buyer_missing")
        among = list(draws.among) or [b.id for b in base.buyers]
        missing = bool(rng.random() < draws.buyer_missing)
        pick = among[int(rng.integers(len(among)))]
        overrides["buyer missing"] = pick if missing else "none"
        if missing:
            changes.setdefault("remove", {})["buyers"] = [pick]
            gone.add(pick)
    if draws.prices:
        rng = _rng(seed, index, "prices")
        factors = {p.id: rng.uniform(1 - draws.prices, 1 + draws.prices) for p in base.products}
        for product, factor in factors.items():
            overrides[f"price {product}"] = float(factor)
        for table, column in PRICE_COLUMNS:
            _update_rows(changes, base, table, column, "product", factors, gone)
    if draws.supply:
        rng = _rng(seed, index, "supply")
        factors = {m.id: rng.uniform(1 - draws.supply, 1 + draws.supply) for m in base.members}
        for member, factor in factors.items():
            overrides[f"supply {member}"] = float(factor)
        _update_rows(changes, base, "supply", "quantity", "member", factors, set())
    if draws.closures:
        rng = _rng(seed, index, "closures")
        for closure, chance in draws.closures:
            closed = bool(rng.random() < chance)
            overrides[f"closed {_closure_name(closure)}"] = closed
            if closed:
                changes.setdefault("add", {}).setdefault("network.closures", []).append(
                    dict(closure)
                )
    return overrides, changes


def check_spec(spec: SweepSpec, base: Scenario) -> None:
    """Refuse a spec naming what ``base`` lacks, or a value it does not accept, up front."""
    problems: list[Problem] = []
    buyers = {b.id for b in base.buyers}
    for buyer in spec.draws.among:
        if buyer not in buyers:
            problems.append(
                Problem(
                    spec.source,
                    "a buyer id of the base scenario",
                    key="draw.buyer_missing.among",
                    value=buyer,
                )
            )
    if spec.draws.buyer_missing and not buyers:
        problems.append(
            Problem(spec.source, "a base scenario with buyers", key="draw.buyer_missing")
        )
    if spec.draws.closures and base.network.file is None:
        problems.append(
            Problem(spec.source, "a base scenario with a road file", key="draw.closures")
        )
    for axis in spec.axes:
        for value in axis.values:
            try:
                apply_overrides(base, {axis.op: {axis.target: value}}, source=spec.source)
            except InputError as exc:
                problems.append(
                    Problem(
                        spec.source,
                        f"a value the scenario accepts ({exc.problems[0].expected})",
                        key=f"vary.{axis.name}",
                        value=value,
                    )
                )
                break
    if problems:
        raise InputError(problems)


def scenario_hash(scenario: Scenario) -> str:
    """A hash of the scenario's content (settings and tables; the road file by its name)."""
    settings = scenario.settings()
    if scenario.network.file is not None:
        settings["network"]["file"] = scenario.network.file.name
    data = {
        "settings": settings,
        "tables": {
            n: [r.model_dump(mode="json") for r in getattr(scenario, n)] for n in TABLE_MODELS
        },
    }
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _rng(seed: int, index: int, kind: str) -> np.random.Generator:
    return np.random.default_rng([seed, index, zlib.crc32(kind.encode())])


def _update_rows(
    changes: dict[str, Any],
    base: Scenario,
    table: str,
    column: str,
    by: str,
    factors: Mapping[str, float],
    gone: set[str],
) -> None:
    """``update`` entries setting ``column`` of every row of ``table`` to itself x its factor.

    Rows of a buyer in ``gone`` are left out: the sample removes that buyer and its prices.
    """
    updates = changes.setdefault("update", {}).setdefault(table, [])
    for row in getattr(base, table):
        factor = factors.get(getattr(row, by))
        value = getattr(row, column)
        if factor is None or value is None or getattr(row, "buyer", None) in gone:
            continue
        where = {k: getattr(row, k) for k in _ROW_KEYS[table]}
        updates.append({"where": where, "set": {column: float(value) * float(factor)}})


def _closure_name(closure: Mapping[str, Any]) -> str:
    if closure.get("name"):
        return str(closure["name"])
    if closure.get("way_ids"):
        return "ways " + ",".join(str(w) for w in closure["way_ids"])
    return "area " + hashlib.sha256(str(closure.get("polygon")).encode()).hexdigest()[:6]


def _describe(overrides: Mapping[str, Any]) -> str:
    shown = [f"{k}={v}" for k, v in list(overrides.items())[:4]]
    return ", ".join(shown) + (", ..." if len(overrides) > 4 else "")
