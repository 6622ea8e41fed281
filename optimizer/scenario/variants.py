"""Variants: a base scenario plus a few readable overrides, as a new immutable scenario.

A variant file is YAML::

    base: ../mecklenburg                 # folder, workbook or another variant (relative path)
    name: Rainy season, diesel +20 %
    set: {parameters.fuel_price_factor: 1.2, network.season: rainy}
    add: {network.closures: [{name: B 104}], buyers: [{id: B9, ...}]}
    remove: {buyers: [B3]}               # rows that refer to a removed row go too
    update: {brackets: [{where: {supplier: S1, threshold: 20000}, set: {unit_price: 0.3}}]}
    scale: {demand.quantity: 1.1}

The overrides are applied to the base's tables and settings, and the result is validated
exactly as a scenario on disk is, so a bad override is reported like a bad cell. Variant
files are read by :func:`optimizer.scenario.load.load_variant`, which loads their base.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.io.read import RawTable
from optimizer.scenario.scenario import Scenario, build_scenario
from optimizer.scenario.schema import TABLE_MODELS

__all__ = ["OPERATIONS", "VARIANT_KEYS", "apply_overrides", "replace_tables"]

OPERATIONS = ("set", "add", "remove", "update", "scale")
VARIANT_KEYS = frozenset({"base", "name", "description", *OPERATIONS})
_SETTINGS_ROOTS = {"name", "description", "parameters", "network"}
# removing a row of the key table removes the rows of these tables that refer to it
_CASCADE: dict[str, tuple[tuple[str, str], ...]] = {
    "cooperatives": (("members", "cooperative"),),
    "members": (("demand", "member"), ("supply", "member"), ("member_cash", "member")),
    "products": (
        ("demand", "product"),
        ("supply", "product"),
        ("offers", "product"),
        ("brackets", "product"),
        ("buyer_prices", "product"),
        ("input_months", "product"),
        ("delivery_months", "product"),
        ("withholding", "product"),
    ),
    "suppliers": (("offers", "supplier"), ("brackets", "supplier"), ("payment_terms", "supplier")),
    "buyers": (("buyer_prices", "buyer"),),
    "hubs": (("vehicles", "depot"),),
}
# ... and clears these optional references to it
_CLEAR: dict[str, tuple[tuple[str, str], ...]] = {
    "cooperatives": (("hubs", "cooperative"),),
    "buyers": (("vehicles", "end_buyer"),),
}


def apply_overrides(
    base: Scenario,
    overrides: Mapping[str, Any],
    *,
    source: str = "overrides",
    base_dir: Path | None = None,
) -> Scenario:
    """A new scenario: ``base`` with ``overrides`` (the keys of a variant file) applied.

    ``base_dir`` is where a changed ``network.file`` is looked up from.
    """
    problems: list[Problem] = []
    settings = base.settings()
    tables = {name: [_row_cells(row) for row in getattr(base, name)] for name in TABLE_MODELS}
    if "name" in overrides:
        settings["name"] = overrides["name"]
    if "description" in overrides:
        settings["description"] = overrides["description"]
    for op in OPERATIONS:
        value = overrides.get(op)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            problems.append(Problem(source, "a mapping", key=op, value=type(value).__name__))
            continue
        handler = {"set": _set, "add": _add, "remove": _remove, "update": _update, "scale": _scale}[
            op
        ]
        handler(value, settings, tables, source, problems)
    if base.members and not tables["members"]:
        problems.append(
            Problem(source, "a variant that keeps at least one member (it removes them all)")
        )
    if problems:
        raise InputError(problems)
    raw = {
        name: RawTable(
            name,
            f"{source} (table '{name}' after overrides)",
            tuple(TABLE_MODELS[name].model_fields),
            tuple(rows),
        )
        for name, rows in tables.items()
        if rows
    }
    return build_scenario(settings, raw, base_dir=base_dir or Path.cwd(), settings_file=source)


def replace_tables(
    base: Scenario, tables: Mapping[str, pd.DataFrame], *, source: str = "edited scenario"
) -> Scenario:
    """A new scenario: ``base`` with whole tables replaced by edited DataFrames.

    The tables are validated as if read from files (problems name ``source`` and the table).
    """
    unknown = [name for name in tables if name not in TABLE_MODELS]
    if unknown:
        raise InputError(
            Problem(source, f"tables among {', '.join(TABLE_MODELS)}", value=", ".join(unknown))
        )
    raw = {}
    for name in TABLE_MODELS:
        shown = f"{source} (table '{name}')"
        if name in tables:
            frame = tables[name]
            rows = tuple(
                {str(k): _text(_none_if_missing(v)) for k, v in record.items()}
                for record in frame.to_dict(orient="records")
            )
            raw[name] = RawTable(name, shown, tuple(str(c) for c in frame.columns), rows)
        elif getattr(base, name):
            columns = tuple(TABLE_MODELS[name].model_fields)
            rows = tuple(_row_cells(r) for r in getattr(base, name))
            raw[name] = RawTable(name, shown, columns, rows)
    return build_scenario(base.settings(), raw, base_dir=Path.cwd(), settings_file=source)


def _none_if_missing(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _set(
    value: Mapping[str, Any],
    settings: dict[str, Any],
    tables: Any,
    source: str,
    problems: list[Problem],
) -> None:
    for key, new in value.items():
        parts = str(key).split(".")
        if parts[0] not in _SETTINGS_ROOTS:
            problems.append(
                Problem(
                    source,
                    "a settings key such as parameters.fuel_price_factor or network.season",
                    key=f"set.{key}",
                )
            )
            continue
        target = settings
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(
                    Problem(
                        source,
                        f"a settings key ({'.'.join(parts[:-1])} holds a value, not keys)",
                        key=f"set.{key}",
                    )
                )
                break
        else:
            target[parts[-1]] = new


def _add(
    value: Mapping[str, Any],
    settings: dict[str, Any],
    tables: dict[str, list[dict[str, str]]],
    source: str,
    problems: list[Problem],
) -> None:
    for key, items in value.items():
        if not isinstance(items, list):
            problems.append(Problem(source, "a list of rows", key=f"add.{key}"))
            continue
        if key == "network.closures":
            network = settings.setdefault("network", {})
            network["closures"] = [*network.get("closures", []), *items]
        elif key in tables:
            for item in items:
                if not isinstance(item, Mapping):
                    problems.append(
                        Problem(
                            source,
                            "a row written as a mapping of column: value",
                            key=f"add.{key}",
                            value=item,
                        )
                    )
                    continue
                if _unknown_columns(key, item, f"add.{key}", source, problems):
                    continue
                tables[key].append({str(k): _text(v) for k, v in item.items()})
        else:
            problems.append(
                Problem(
                    source, f"network.closures or a table ({', '.join(tables)})", key=f"add.{key}"
                )
            )


def _remove(
    value: Mapping[str, Any],
    settings: dict[str, Any],
    tables: dict[str, list[dict[str, str]]],
    source: str,
    problems: list[Problem],
) -> None:
    for table, ids in _known_tables(value, tables, "remove", source, problems):
        items = ids if isinstance(ids, list) else [ids]
        if "id" in TABLE_MODELS[table].model_fields:
            existing = {row["id"] for row in tables[table]}
            for item in items:
                if str(item) not in existing:
                    problems.append(
                        Problem(
                            source,
                            f"an id from the {table} table",
                            key=f"remove.{table}",
                            value=item,
                        )
                    )
            _remove_ids(tables, table, {str(i) for i in items})
        else:
            for item in items:
                if not isinstance(item, Mapping):
                    problems.append(
                        Problem(
                            source,
                            "a mapping of column: value to match",
                            key=f"remove.{table}",
                            value=item,
                        )
                    )
                    continue
                before = len(tables[table])
                tables[table] = [r for r in tables[table] if not _matches(r, item)]
                if len(tables[table]) == before:
                    problems.append(
                        Problem(
                            source, "a row that exists", key=f"remove.{table}", value=dict(item)
                        )
                    )


def _known_tables(
    value: Mapping[str, Any],
    tables: dict[str, list[dict[str, str]]],
    op: str,
    source: str,
    problems: list[Problem],
) -> list[tuple[str, Any]]:
    """The (table, what to do) pairs of an override whose table exists; the others are problems."""
    known = []
    for table, spec in value.items():
        if table in tables:
            known.append((table, spec))
        else:
            problems.append(Problem(source, f"a table ({', '.join(tables)})", key=f"{op}.{table}"))
    return known


def _remove_ids(tables: dict[str, list[dict[str, str]]], table: str, ids: set[str]) -> None:
    tables[table] = [row for row in tables[table] if row.get("id") not in ids]
    for child, column in _CASCADE.get(table, ()):
        gone = {row.get("id", "") for row in tables[child] if row.get(column) in ids}
        tables[child] = [row for row in tables[child] if row.get(column) not in ids]
        if child in _CASCADE and gone - {""}:
            _remove_ids(tables, child, gone - {""})
    for child, column in _CLEAR.get(table, ()):
        for row in tables[child]:
            if row.get(column) in ids:
                row[column] = ""


def _update(
    value: Mapping[str, Any],
    settings: dict[str, Any],
    tables: dict[str, list[dict[str, str]]],
    source: str,
    problems: list[Problem],
) -> None:
    for table, changes in _known_tables(value, tables, "update", source, problems):
        # rows by the text of the columns a `where` names: hundreds of updates (a sweep's
        # per-row draws) stay linear; numbers are still compared by _matches
        index: dict[tuple[str, ...], dict[tuple[str, ...], list[dict[str, str]]]] = {}
        for number, change in enumerate(changes if isinstance(changes, list) else [changes]):
            key = f"update.{table}[{number}]"
            if not (
                isinstance(change, Mapping)
                and isinstance(change.get("where"), Mapping)
                and isinstance(change.get("set"), Mapping)
            ):
                problems.append(
                    Problem(source, "a mapping with 'where' and 'set' mappings", key=key)
                )
                continue
            if _unknown_columns(table, change["set"], f"{key}.set", source, problems):
                continue
            hits = _hits(tables[table], change["where"], index)
            if not hits:
                problems.append(
                    Problem(
                        source,
                        "a 'where' that matches at least one row",
                        key=key,
                        value=dict(change["where"]),
                    )
                )
            for row in hits:
                row.update({str(k): _text(v) for k, v in change["set"].items()})
            if any(str(k) in columns for k in change["set"] for columns in index):
                index.clear()  # a column rows are found by has changed


def _hits(
    rows: list[dict[str, str]],
    where: Mapping[str, Any],
    index: dict[tuple[str, ...], dict[tuple[str, ...], list[dict[str, str]]]],
) -> list[dict[str, str]]:
    """The rows matching ``where``, found through ``index`` by its text columns."""
    columns = tuple(
        sorted(
            str(c)
            for c, want in where.items()
            if not (isinstance(want, int | float) and not isinstance(want, bool))
        )
    )
    if not columns:
        return [row for row in rows if _matches(row, where)]
    if columns not in index:
        by_text: dict[tuple[str, ...], list[dict[str, str]]] = {}
        for row in rows:
            by_text.setdefault(tuple(row.get(c, "") for c in columns), []).append(row)
        index[columns] = by_text
    wanted = {str(c): _text(w) for c, w in where.items()}
    candidates = index[columns].get(tuple(wanted[c] for c in columns), [])
    return [row for row in candidates if _matches(row, where)]


def _unknown_columns(
    table: str, row: Mapping[Any, Any], key: str, source: str, problems: list[Problem]
) -> bool:
    """Whether ``row`` names a column ``table`` does not have (each one is a problem).

    A misspelt column (``unit_prise``) would otherwise be dropped without a word.
    """
    known = TABLE_MODELS[table].model_fields
    unknown = [str(c) for c in row if str(c) not in known]
    for column in unknown:
        problems.append(
            Problem(
                source,
                f"a column of the {table} table ({', '.join(known)})",
                key=key,
                value=column,
            )
        )
    return bool(unknown)


def _scale(
    value: Mapping[str, Any],
    settings: dict[str, Any],
    tables: dict[str, list[dict[str, str]]],
    source: str,
    problems: list[Problem],
) -> None:
    for dotted, factor in value.items():
        table, _, column = str(dotted).partition(".")
        if table not in tables or column not in TABLE_MODELS[table].model_fields:
            problems.append(
                Problem(
                    source,
                    "table.column of a numeric column, e.g. demand.quantity",
                    key=f"scale.{dotted}",
                )
            )
            continue
        if not isinstance(factor, int | float) or isinstance(factor, bool) or factor < 0:
            problems.append(
                Problem(source, "a factor of 0 or more", key=f"scale.{dotted}", value=factor)
            )
            continue
        for row in tables[table]:
            if row.get(column, "") != "":
                try:
                    row[column] = _text(float(row[column]) * factor)
                except ValueError:
                    problems.append(Problem(source, "a numeric column", key=f"scale.{dotted}"))
                    break


def _matches(row: Mapping[str, str], where: Mapping[str, Any]) -> bool:
    for column, want in where.items():
        have = row.get(str(column), "")
        if isinstance(want, int | float) and not isinstance(want, bool):
            try:
                if not math.isclose(float(have), float(want), rel_tol=1e-12, abs_tol=1e-12):
                    return False
            except ValueError:
                return False
        elif have != _text(want):
            return False
    return True


def _row_cells(row: Any) -> dict[str, str]:
    return {k: _text(v) for k, v in row.model_dump().items()}


def _text(value: Any) -> str:
    """A value as the text of a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ";".join(_text(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)
