"""A sweep's specification: what varies around a base scenario, read from YAML or flags.

A sweep file is YAML::

    base: ../mecklenburg              # the base scenario (relative to this file); optional
    model: hubs                       # optional; ``-m`` on the command line wins
    samples: 200                      # optional; ``--samples`` wins
    seed: 1                           # optional; ``--seed`` wins
    vary:                             # every combination of these values, in turn
      fuel_price_factor: 0.8:1.6:5    # a grid: start:stop:count, ends included
      season: [dry, rainy]            # a list (or the text "dry,rainy")
      speed_preset: [rural_europe, periurban]   # the region's speeds (network.speed_preset)
      demand.quantity: 0.9:1.1:3      # table.column: a factor on that column
    draw:                             # random draws, from the seed, per sample
      prices: 0.2                     # each product's prices x U(0.8, 1.2)
      supply: 0.3                     # each member's supply x U(0.7, 1.3)
      closures:                       # each closure happens with its probability
        - {name: B 96, probability: 0.3}
      buyer_missing: 0.1              # with this probability one buyer is missing
                                      # (or {probability: 0.1, among: [B3, B4]})

On the command line the same is ``--vary fuel_price_factor=0.8:1.6:5 --vary season=dry,rainy
--draw prices=0.2 --draw "closure=B 96@0.3" --draw buyer_missing=0.1``. A bad entry is an
:class:`~optimizer.errors.InputError` naming the file (or ``--vary``/``--draw``), the key and
what was expected. Nothing here reads a scenario: keys are checked against the scenario's
schema, values against the base scenario when the samples are built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, Problem
from optimizer.io.read import read_yaml_mapping
from optimizer.scenario.schema import TABLE_MODELS, NetworkSettings, Parameters

__all__ = [
    "SPEC_KEYS",
    "Axis",
    "Draws",
    "SweepSpec",
    "load_spec",
    "looks_like_spec",
    "parse_spec",
    "spec_from_options",
]

SPEC_KEYS = frozenset({"base", "model", "samples", "seed", "vary", "draw", "label"})
DRAW_KEYS = ("prices", "supply", "closures", "buyer_missing")
MAX_GRID = 10_000
# network settings a sweep may vary (the others are the road file and its classes)
_NETWORK_KEYS = ("season", "speed_preset", "speed_factor")
# the settings a sweep varies by name, not by number
_TEXT_KEYS = ("season", "speed_preset", "drop_point")
# the text settings a sweep may not vary: they name things, they are not a future
_FIXED = ("currency", "planning_period")


@dataclass(frozen=True)
class Axis:
    """One varied input: its name as written, how it applies, and its values in order.

    ``op`` is ``"set"`` (``target`` a settings key such as ``parameters.fuel_price_factor``)
    or ``"scale"`` (``target`` a ``table.column``, each value a factor on it).
    """

    name: str
    op: str
    target: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Draws:
    """The random draws of every sample (all off by default).

    ``prices`` and ``supply`` are half-widths of a uniform factor (0.2: between 0.8 and 1.2);
    ``closures`` pairs each closure (``name``, ``way_ids`` or ``polygon``) with its
    probability; ``buyer_missing`` is the probability that one buyer, drawn among ``among``
    (every buyer when empty), is left out.
    """

    prices: float = 0.0
    supply: float = 0.0
    closures: tuple[tuple[Mapping[str, Any], float], ...] = ()
    buyer_missing: float = 0.0
    among: tuple[str, ...] = ()

    def any(self) -> bool:
        """Whether anything is drawn at random."""
        return bool(self.prices or self.supply or self.closures or self.buyer_missing)


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep varies, and the defaults its file gives (flags on the command line win)."""

    axes: tuple[Axis, ...] = ()
    draws: Draws = field(default_factory=Draws)
    base: Path | None = None
    model: str | None = None
    samples: int | None = None
    seed: int | None = None
    label: str | None = None
    source: str = "sweep"

    def combinations(self) -> int:
        """How many combinations the grids and lists make (1 without any)."""
        return math.prod(len(axis.values) for axis in self.axes)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (JSON), as stored with the sweep and compared on resume."""
        return {
            "vary": {a.name: [a.op, a.target, list(a.values)] for a in self.axes},
            "draw": {
                "prices": self.draws.prices,
                "supply": self.draws.supply,
                "closures": [[dict(c), p] for c, p in self.draws.closures],
                "buyer_missing": self.draws.buyer_missing,
                "among": list(self.draws.among),
            },
        }

    def merged(self, other: SweepSpec) -> SweepSpec:
        """This spec with ``other``'s axes added (replacing same-named ones) and draws set."""
        names = {a.name for a in other.axes}
        axes = (*(a for a in self.axes if a.name not in names), *other.axes)
        draws = self.draws
        if other.draws.any():
            draws = replace(
                draws,
                **{
                    k: getattr(other.draws, k)
                    for k in ("prices", "supply", "closures", "buyer_missing", "among")
                    if getattr(other.draws, k)
                },
            )
        return replace(self, axes=axes, draws=draws)


def looks_like_spec(path: Path) -> bool:
    """Whether ``path`` is a sweep file (YAML with ``vary`` or ``draw``), not a scenario."""
    if path.is_dir() or path.suffix.lower() not in (".yaml", ".yml"):
        return False
    data = read_yaml_mapping(path)
    return "vary" in data or "draw" in data


def load_spec(path: Path) -> SweepSpec:
    """Read a sweep file; ``base`` is resolved against the file's folder."""
    shown = str(path)
    return parse_spec(read_yaml_mapping(path, shown), shown, base_dir=path.resolve().parent)


def parse_spec(data: Mapping[str, Any], source: str, *, base_dir: Path | None = None) -> SweepSpec:
    """A :class:`SweepSpec` from the mapping of a sweep file; every problem in one InputError."""
    problems: list[Problem] = [
        Problem(source, f"one of the keys {', '.join(sorted(SPEC_KEYS))}", key=str(k))
        for k in data
        if k not in SPEC_KEYS
    ]
    base = data.get("base")
    if base is not None and not (isinstance(base, str) and base.strip()):
        problems.append(Problem(source, "the path of the base scenario", key="base", value=base))
        base = None
    model = data.get("model")
    if model is not None and not isinstance(model, str):
        problems.append(Problem(source, "a model name such as hubs", key="model", value=model))
        model = None
    label = data.get("label")
    samples = _count(data.get("samples"), source, "samples", problems, low=1)
    seed = _count(data.get("seed"), source, "seed", problems, low=0)
    vary = data.get("vary") or {}
    axes: list[Axis] = []
    if not isinstance(vary, Mapping):
        problems.append(Problem(source, "a mapping of input: values", key="vary"))
    else:
        for name, values in vary.items():
            axis = _axis(str(name), values, source, f"vary.{name}", problems)
            if axis is not None:
                axes.append(axis)
    draws = _draws(data.get("draw") or {}, source, problems)
    if problems:
        raise InputError(problems)
    return SweepSpec(
        axes=tuple(axes),
        draws=draws,
        base=None if base is None else (base_dir or Path.cwd()) / base,
        model=model,
        samples=samples,
        seed=seed,
        label=None if label is None else str(label),
        source=source,
    )


def spec_from_options(vary: Sequence[str], draw: Sequence[str]) -> SweepSpec:
    """A spec from ``--vary KEY=VALUES`` and ``--draw KIND=VALUE`` flags."""
    problems: list[Problem] = []
    axes = []
    for text in vary:
        name, sep, values = text.partition("=")
        if not sep or not name.strip():
            problems.append(Problem("--vary", "KEY=VALUES, e.g. season=dry,rainy", value=text))
            continue
        axis = _axis(name.strip(), values, "--vary", name.strip(), problems)
        if axis is not None:
            axes.append(axis)
    raw: dict[str, Any] = {}
    for text in draw:
        kind, sep, value = text.partition("=")
        kind = kind.strip()
        if not sep:
            problems.append(Problem("--draw", "KIND=VALUE, e.g. prices=0.2", value=text))
        elif kind == "closure":
            name, at, chance = value.rpartition("@")
            entry = {"name": name.strip(), "probability": _scalar(chance) if at else None}
            raw.setdefault("closures", []).append(entry)
        else:
            raw[kind] = _scalar(value.strip())
    draws = _draws(raw, "--draw", problems)
    if problems:
        raise InputError(problems)
    return SweepSpec(axes=tuple(axes), draws=draws, source="command line")


def _count(value: Any, source: str, key: str, problems: list[Problem], *, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        problems.append(Problem(source, f"a whole number of at least {low}", key=key, value=value))
        return None
    return value


def _axis(name: str, values: Any, source: str, key: str, problems: list[Problem]) -> Axis | None:
    target = _target(name)
    if target is None:
        fields = ", ".join(f for f in Parameters.model_fields if f not in _FIXED)
        problems.append(
            Problem(
                source,
                f"a parameter ({fields}), network.season, network.speed_preset, "
                "network.speed_factor "
                "or table.column of a numeric column to scale (e.g. demand.quantity)",
                key=key,
            )
        )
        return None
    parsed = _values(values, source, key, problems)
    if parsed is None:
        return None
    op, dotted = target
    numeric = op == "scale" or dotted.split(".")[-1] not in _TEXT_KEYS
    if numeric and not all(_is_number(v) for v in parsed):
        problems.append(Problem(source, "numbers", key=key, value=values))
        return None
    if op == "scale" and any(v < 0 for v in parsed):
        problems.append(Problem(source, "factors of 0 or more", key=key, value=values))
        return None
    return Axis(name, op, dotted, tuple(parsed))


def _target(name: str) -> tuple[str, str] | None:
    """How a varied input applies: ("set", settings key) or ("scale", table.column)."""
    if name in Parameters.model_fields and name not in _FIXED:
        return "set", f"parameters.{name}"
    if name in _NETWORK_KEYS:
        return "set", f"network.{name}"
    root, _, rest = name.partition(".")
    if root == "parameters" and rest in Parameters.model_fields and rest not in _FIXED:
        return "set", name
    if root == "network" and rest in _NETWORK_KEYS and rest in NetworkSettings.model_fields:
        return "set", name
    if root in TABLE_MODELS and rest in TABLE_MODELS[root].model_fields:
        annotation = str(TABLE_MODELS[root].model_fields[rest].annotation)
        if "float" in annotation or "int" in annotation:
            return "scale", name
    return None


def _values(values: Any, source: str, key: str, problems: list[Problem]) -> list[Any] | None:
    """A grid ``start:stop:count``, a list (YAML or ``a,b``) or one value, as a list."""
    if isinstance(values, str) and values.count(":") == 2:
        start, stop, count = (_scalar(p.strip()) for p in values.split(":"))
        if not (_is_number(start) and _is_number(stop)) or not (
            isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= MAX_GRID
        ):
            problems.append(
                Problem(
                    source,
                    f"a grid start:stop:count (numbers, count 1 to {MAX_GRID})",
                    key=key,
                    value=values,
                )
            )
            return None
        if count == 1:
            return [float(start)]
        step = (float(stop) - float(start)) / (count - 1)
        return [round(float(start) + i * step, 12) for i in range(count)]
    if isinstance(values, str):
        items: list[Any] = [_scalar(v.strip()) for v in values.split(",")]
    elif isinstance(values, list):
        items = list(values)
    else:
        items = [values]
    if not items or any(v is None or v == "" or isinstance(v, Mapping | list) for v in items):
        problems.append(Problem(source, "a grid a:b:n, a list or one value", key=key, value=values))
        return None
    if len(items) > MAX_GRID:
        problems.append(Problem(source, f"at most {MAX_GRID} values", key=key))
        return None
    return items


def _draws(raw: Any, source: str, problems: list[Problem]) -> Draws:
    if not isinstance(raw, Mapping):
        problems.append(Problem(source, f"a mapping of {', '.join(DRAW_KEYS)}", key="draw"))
        return Draws()
    for kind in raw:
        if kind not in DRAW_KEYS:
            problems.append(Problem(source, f"one of {', '.join(DRAW_KEYS)}", key=f"draw.{kind}"))
    prices = _fraction(raw.get("prices", 0.0), source, "draw.prices", problems, below_one=True)
    supply = _fraction(raw.get("supply", 0.0), source, "draw.supply", problems, below_one=True)
    closures = _closures(raw.get("closures") or [], source, problems)
    missing = raw.get("buyer_missing", 0.0)
    among: tuple[str, ...] = ()
    if isinstance(missing, Mapping):
        unknown = [str(k) for k in missing if k not in ("probability", "among")]
        if unknown:
            problems.append(
                Problem(source, "probability and among", key="draw.buyer_missing", value=unknown)
            )
        chosen = missing.get("among") or []
        if not isinstance(chosen, list) or not all(isinstance(b, str | int) for b in chosen):
            problems.append(Problem(source, "a list of buyer ids", key="draw.buyer_missing.among"))
        else:
            among = tuple(str(b) for b in chosen)
        missing = missing.get("probability", 0.0)
    chance = _fraction(missing, source, "draw.buyer_missing", problems, below_one=False)
    return Draws(prices, supply, closures, chance, among)


def _closures(
    raw: Any, source: str, problems: list[Problem]
) -> tuple[tuple[Mapping[str, Any], float], ...]:
    if not isinstance(raw, list):
        problems.append(Problem(source, "a list of closures", key="draw.closures"))
        return ()
    found = []
    for number, item in enumerate(raw):
        key = f"draw.closures[{number}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(source, "{name: ..., probability: ...}", key=key, value=item))
            continue
        closure = {k: v for k, v in item.items() if k != "probability"}
        if sorted(closure) not in (["name"], ["way_ids"], ["polygon"]) or not closure.get(
            next(iter(closure), "")
        ):
            problems.append(
                Problem(
                    source,
                    "exactly one of name, way_ids or polygon, and a probability",
                    key=key,
                    value=dict(item),
                )
            )
            continue
        chance = _fraction(
            item.get("probability"), source, f"{key}.probability", problems, below_one=False
        )
        found.append((closure, chance))
    return tuple(found)


def _fraction(
    value: Any, source: str, key: str, problems: list[Problem], *, below_one: bool
) -> float:
    ok = _is_number(value) and 0 <= value <= 1 and not (below_one and value >= 1)
    if not ok:
        expected = "a fraction from 0 to below 1 (0.2: ±20 %)" if below_one else "a probability"
        problems.append(
            Problem(
                source,
                f"{expected} from 0 to 1" if not below_one else expected,
                key=key,
                value=value,
            )
        )
        return 0.0
    return float(value)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _scalar(text: str) -> Any:
    """A command-line value as YAML would read it: a number, true/false, or the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text
