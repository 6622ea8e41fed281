"""Loading a scenario from any of its forms: a folder, a workbook, or a variant file.

:func:`load_scenario` is the one entry point. ``path`` is a folder holding ``scenario.yaml``
and one CSV file per table, an ``.xlsx`` workbook with a sheet per table and a ``settings``
sheet (both read by :mod:`optimizer.scenario.scenario`), or a variant YAML file naming a base
scenario and overrides (applied by :mod:`optimizer.scenario.variants`). All three give the
same immutable :class:`~optimizer.scenario.scenario.Scenario`. This module sits above both
(a variant's base may itself be any form), so neither needs to import the other's loader.
The format is described in ``docs/scenario-format.md``.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.errors import InputError, Problem
from optimizer.io.read import read_yaml_mapping
from optimizer.scenario.scenario import SETTINGS_FILE, Scenario, load_folder, load_workbook
from optimizer.scenario.variants import VARIANT_KEYS, apply_overrides

__all__ = ["load_scenario", "load_variant"]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario folder, ``.xlsx`` workbook or variant ``.yaml`` file.

    Raises
    ------
    InputError
        Naming the file (and sheet), row, column, the value and what was expected, for every
        problem found.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            Problem(
                str(path), "a scenario folder, .xlsx workbook or variant .yaml file (not found)"
            )
        )
    if path.is_dir():
        return load_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return load_workbook(path)
    if suffix in (".yaml", ".yml"):
        if path.name == SETTINGS_FILE:
            return load_folder(path.parent)
        return load_variant(path)
    raise InputError(
        Problem(
            str(path),
            "a scenario folder, an .xlsx workbook or a variant .yaml file",
            value=path.suffix or path.name,
        )
    )


def load_variant(path: Path, *, _seen: tuple[Path, ...] = ()) -> Scenario:
    """Load a variant file: its base scenario with the overrides applied."""
    shown = str(path)
    resolved = path.resolve()
    if resolved in _seen:
        raise InputError(Problem(shown, "a chain of bases without a cycle", key="base"))
    spec = read_yaml_mapping(path, shown)
    problems = [
        Problem(shown, f"one of the keys {', '.join(sorted(VARIANT_KEYS))}", key=str(k))
        for k in spec
        if k not in VARIANT_KEYS
    ]
    base_text = spec.get("base")
    if not isinstance(base_text, str) or not base_text.strip():
        problems.append(
            Problem(shown, "the path of the base scenario", key="base", value=base_text)
        )
        raise InputError(problems)
    base_path = (path.parent / base_text).resolve()
    if base_path.suffix.lower() in (".yaml", ".yml") and base_path.name != SETTINGS_FILE:
        base = load_variant(base_path, _seen=(*_seen, resolved))
    else:
        base = load_scenario(base_path)
    if problems:
        raise InputError(problems)
    overrides = {k: v for k, v in spec.items() if k != "base"}
    return apply_overrides(base, overrides, source=shown, base_dir=path.resolve().parent)
