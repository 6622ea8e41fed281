"""Validation of raw tables: columns, cells, and the links between tables.

Each check returns :class:`~optimizer.errors.Problem` objects rather than raising, so that
every problem in a scenario is reported at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from optimizer.errors import Problem
from optimizer.io.read import RawTable
from optimizer.scenario.credit_checks import season_problems

__all__ = ["ID_TABLES", "check_links", "expected_text", "row_problems"]

_RANGES = {
    "lat": "a latitude between -90 and 90",
    "lon": "a longitude between -180 and 180",
}
#: the tables whose rows have an ``id`` (unique within the table)
ID_TABLES = (
    "products",
    "cooperatives",
    "members",
    "suppliers",
    "buyers",
    "hubs",
    "vehicles",
    "credit_lines",
)
_KEYS = {
    "demand": ("member", "product"),
    "supply": ("member", "product"),
    "offers": ("supplier", "product"),
    "brackets": ("supplier", "product", "threshold"),
    "buyer_prices": ("buyer", "product"),
    "payment_terms": ("supplier",),
    "input_months": ("product", "month"),
    "delivery_months": ("product", "month"),
    "withholding": ("product",),
    "member_cash": ("member", "month"),
}
# (table, column) -> (referenced table, required product kind or None)
_REFERENCES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("members", "cooperative"): ("cooperatives", None),
    ("demand", "member"): ("members", None),
    ("demand", "product"): ("products", "input"),
    ("supply", "member"): ("members", None),
    ("supply", "product"): ("products", "produce"),
    ("offers", "supplier"): ("suppliers", None),
    ("offers", "product"): ("products", "input"),
    ("brackets", "supplier"): ("suppliers", None),
    ("brackets", "product"): ("products", "input"),
    ("buyer_prices", "buyer"): ("buyers", None),
    ("buyer_prices", "product"): ("products", "produce"),
    ("hubs", "cooperative"): ("cooperatives", None),
    ("vehicles", "depot"): ("hubs", None),
    ("vehicles", "end_buyer"): ("buyers", None),
    ("payment_terms", "supplier"): ("suppliers", None),
    ("input_months", "product"): ("products", "input"),
    ("delivery_months", "product"): ("products", "produce"),
    ("withholding", "product"): ("products", "produce"),
    ("member_cash", "member"): ("members", None),
}


def expected_text(error: Mapping[str, Any]) -> str:
    """What a pydantic error says was expected, in a coordinator's words."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    field = str(error["loc"][0]) if error.get("loc") else ""
    if field in _RANGES and kind in (
        "greater_than_equal",
        "less_than_equal",
        "float_parsing",
        "float_type",
    ):
        return _RANGES[field]
    texts = {
        "missing": "a value (this column is required)",
        "float_parsing": "a number",
        "float_type": "a number",
        "finite_number": "a finite number",
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "bool_parsing": "true or false",
        "bool_type": "true or false",
        "string_type": "a text",
        "string_too_short": "a non-empty text",
        "string_too_long": f"a text of at most {ctx.get('max_length')} characters",
        "tuple_type": "a list",
        "string_pattern_mismatch": "a month as YYYY-MM (e.g. 2026-03)",
        "dict_type": "a mapping",
        "extra_forbidden": "no such key (it is not known)",
    }
    if kind in texts:
        return texts[kind]
    if kind == "greater_than":
        return f"a number greater than {_num(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        bound = ctx.get("ge")
        return "a number of 0 or more" if bound == 0 else f"a number of at least {_num(bound)}"
    if kind == "less_than":
        return f"a number below {_num(ctx.get('lt'))}"
    if kind == "less_than_equal":
        return f"a number of at most {_num(ctx.get('le'))}"
    if kind == "literal_error":
        return f"one of {ctx.get('expected')}"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(error.get("msg", "a valid value"))


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def row_problems(raw: RawTable, model: type[BaseModel]) -> tuple[list[Any], list[Problem]]:
    """Parse every row of ``raw`` into ``model``; return the rows that parsed and the problems."""
    fields = model.model_fields
    required = [name for name, f in fields.items() if f.is_required()]
    problems: list[Problem] = []
    unknown = [c for c in raw.columns if c not in fields]
    for column in unknown:
        shown = column or "(empty header)"
        problems.append(
            Problem(
                raw.file,
                f"one of the columns {', '.join(fields)}",
                row=1,
                column=shown,
                sheet=raw.sheet,
            )
        )
    duplicated = {c for c in raw.columns if raw.columns.count(c) > 1 and c}
    for column in sorted(duplicated):
        problems.append(
            Problem(raw.file, "each column once", row=1, column=column, sheet=raw.sheet)
        )
    missing = [c for c in required if c not in raw.columns]
    for column in missing:
        problems.append(
            Problem(
                raw.file,
                "this required column in the header",
                row=1,
                column=column,
                sheet=raw.sheet,
            )
        )
    if problems:
        return [], problems
    if not raw.rows:
        problems.append(raw.problem("at least one row below the header (the table is empty)"))
        return [], problems
    parsed = []
    numbers = {k for k, f in fields.items() if _is_number(f.annotation)}
    for index, row in enumerate(raw.rows):
        cells = {k: v for k, v in row.items() if v != "" and k in fields}
        spaced = [k for k in numbers if "_" in cells.get(k, "")]  # Python reads 150_000
        for k in spaced:
            problems.append(
                raw.problem("a number without '_' (150000)", index=index, column=k, value=cells[k])
            )
        if spaced:
            continue
        try:
            parsed.append(model.model_validate(cells))
        except ValidationError as exc:
            for error in exc.errors():
                where = str(error["loc"][0]) if error["loc"] else _named(error["msg"], fields)
                cell = row.get(where) if where else None
                problems.append(
                    raw.problem(expected_text(error), index=index, column=where, value=cell or None)
                )
    return parsed, problems


def _is_number(annotation: Any) -> bool:
    """An int or float field, maybe optional or annotated with bounds."""
    if annotation in (int, float):
        return True
    return any(_is_number(arg) for arg in get_args(annotation))


def _named(message: str, fields: Collection[str]) -> str | None:
    """The column a row-wide rule's message names first (``discount_days must not exceed
    days_to_pay``: ``discount_days``), so that its problem is located to the cell."""
    words = re.findall(r"[a-z_]+", message)
    return next((w for w in words if w in fields), None)


def check_links(
    tables: Mapping[str, RawTable],
    rows: Mapping[str, tuple[Any, ...]],
    broken: Collection[str] = (),
) -> list[Problem]:
    """Duplicates, references between tables, product kinds, and price-bracket order.

    References into a ``broken`` table (one that could not be read at all) are not checked:
    every row would point at nothing, and the table's own problem says why.
    """
    problems: list[Problem] = []
    ids = _unique_ids(tables, problems)
    kinds = {p.id: p.kind for p in rows.get("products", ())}
    _reference_problems(tables, ids, kinds, broken, problems)
    _vehicle_product_problems(tables, kinds, broken, problems)
    _repeated_key_problems(tables, problems)
    problems.extend(_offer_problems(tables, rows))
    problems.extend(_contract_problems(tables, rows))
    problems.extend(season_problems(tables, rows))
    return problems


def _contract_problems(
    tables: Mapping[str, RawTable], rows: Mapping[str, tuple[Any, ...]]
) -> list[Problem]:
    """A buyer's minimum contract must fit in what it takes in at most."""
    raw = tables.get("buyer_prices")
    if raw is None:
        return []
    return [
        raw.problem(
            f"a minimum contract no larger than the maximum intake ({price.max_intake:g})",
            index=_index_of(raw, price, ("buyer", "product")),
            column="min_contract",
            value=f"{price.min_contract:g}",
        )
        for price in rows.get("buyer_prices", ())
        if price.min_contract > price.max_intake
    ]


def _unique_ids(tables: Mapping[str, RawTable], problems: list[Problem]) -> dict[str, set[str]]:
    """The ids of each table that has them; a repeated id is a problem."""
    ids: dict[str, set[str]] = {}
    for name in ID_TABLES:
        raw = tables.get(name)
        seen: dict[str, int] = {}
        for index, row in enumerate(raw.rows if raw else ()):
            value = row.get("id", "").strip()
            if not value:
                continue
            if value in seen:
                problems.append(
                    raw.problem(  # type: ignore[union-attr]
                        f"a unique id (already used in row {raw.row_number(seen[value])})",  # type: ignore[union-attr]
                        index=index,
                        column="id",
                        value=value,
                    )
                )
            else:
                seen[value] = index
        ids[name] = set(seen)
    return ids


def _reference_problems(
    tables: Mapping[str, RawTable],
    ids: Mapping[str, set[str]],
    kinds: Mapping[str, str],
    broken: Collection[str],
    problems: list[Problem],
) -> None:
    """Every reference names a row of its table (and a product of the right kind)."""
    for (name, column), (target, kind) in _REFERENCES.items():
        raw = tables.get(name)
        if raw is None or column not in raw.columns or target in broken:
            continue
        for index, row in enumerate(raw.rows):
            value = row.get(column, "").strip()
            if not value:
                continue
            if value not in ids.get(target, set()):
                problems.append(
                    raw.problem(
                        f"an id from the {target} table", index=index, column=column, value=value
                    )
                )
            elif kind is not None and kinds.get(value) not in (None, kind):
                problems.append(
                    raw.problem(
                        f"a product of kind '{kind}' ({value!r} is '{kinds[value]}')",
                        index=index,
                        column=column,
                        value=value,
                    )
                )


def _vehicle_product_problems(
    tables: Mapping[str, RawTable],
    kinds: Mapping[str, str],
    broken: Collection[str],
    problems: list[Problem],
) -> None:
    """A vehicle carries produce, named by product ids separated by ';'."""
    vehicles = tables.get("vehicles")
    if vehicles is None or "products" not in vehicles.columns or "products" in broken:
        return
    for index, row in enumerate(vehicles.rows):
        for product in (p.strip() for p in row.get("products", "").split(";")):
            if product and kinds.get(product) != "produce":
                problems.append(
                    vehicles.problem(
                        "ids of produce products from the products table, separated by ';'",
                        index=index,
                        column="products",
                        value=product,
                    )
                )


def _repeated_key_problems(tables: Mapping[str, RawTable], problems: list[Problem]) -> None:
    """Tables keyed by several columns hold one row per key."""
    for name, key in _KEYS.items():
        raw = tables.get(name)
        if raw is None or any(k not in raw.columns for k in key):
            continue
        seen_keys: dict[tuple[str, ...], int] = {}
        for index, row in enumerate(raw.rows):
            values = tuple(row.get(k, "").strip() for k in key)
            if values in seen_keys:
                problems.append(
                    raw.problem(
                        f"one row per {' and '.join(key)} (repeats row "
                        f"{raw.row_number(seen_keys[values])})",
                        index=index,
                        column=key[-1],
                        value=values[-1],
                    )
                )
            else:
                seen_keys[values] = index


def _offer_problems(
    tables: Mapping[str, RawTable], rows: Mapping[str, tuple[Any, ...]]
) -> list[Problem]:
    """Offers against their capacity and their price brackets, brackets against their offer."""
    problems: list[Problem] = []
    offers_raw = tables.get("offers")
    brackets_raw = tables.get("brackets")
    offers = rows.get("offers", ())
    if offers_raw is not None:
        for offer in offers:
            if offer.min_order > offer.capacity:
                problems.append(
                    offers_raw.problem(
                        f"a minimum order no larger than the capacity ({offer.capacity:g})",
                        index=_index_of(offers_raw, offer, ("supplier", "product")),
                        column="min_order",
                        value=f"{offer.min_order:g}",
                    )
                )
    by_offer: dict[tuple[str, str], list[Any]] = defaultdict(list)
    if brackets_raw is not None:
        for bracket in rows.get("brackets", ()):
            by_offer[(bracket.supplier, bracket.product)].append(bracket)
        problems.extend(_bracket_problems(tables, brackets_raw, offers, by_offer))
    if offers_raw is not None:
        for offer in offers:
            if (offer.supplier, offer.product) not in by_offer:
                problems.append(
                    offers_raw.problem(
                        "price brackets for this offer in the brackets table",
                        index=_index_of(offers_raw, offer, ("supplier", "product")),
                        column="product",
                        value=offer.product,
                    )
                )
    return problems


def _bracket_problems(
    tables: Mapping[str, RawTable],
    brackets_raw: RawTable,
    offers: tuple[Any, ...],
    by_offer: Mapping[tuple[str, str], list[Any]],
) -> list[Problem]:
    """Each offer's brackets: an offer to belong to, rising thresholds, falling prices, and a
    first bracket that prices the minimum order."""
    problems: list[Problem] = []
    offers_raw = tables.get("offers")
    offer_keys = {(o.supplier, o.product): o for o in offers}
    # offers as written, so that a bad cell in an offer is not also a missing offer
    written = {
        (r.get("supplier", "").strip(), r.get("product", "").strip())
        for r in (offers_raw.rows if offers_raw else ())
    }
    suppliers = {
        r.get("id", "").strip() for r in (tables["suppliers"].rows if "suppliers" in tables else ())
    }
    for key, items in by_offer.items():
        if key not in offer_keys:
            if key in written or key[0] not in suppliers:
                continue
            problems.append(
                brackets_raw.problem(
                    f"an offer of supplier {key[0]!r} for product {key[1]!r} in the offers table",
                    index=_index_of(brackets_raw, items[0], ("supplier", "product")),
                    column="product",
                    value=key[1],
                )
            )
            continue
        problems.extend(_bracket_order_problems(brackets_raw, items))
        first = min(b.threshold for b in items)
        offer = offer_keys[key]
        if first > offer.min_order:
            problems.append(
                brackets_raw.problem(
                    f"a first bracket starting at 0 or at the minimum order ({offer.min_order:g}), "
                    "so that every order has a price",
                    index=_index_of(brackets_raw, items[0], ("supplier", "product", "threshold")),
                    column="threshold",
                    value=first,
                )
            )
    return problems


def _bracket_order_problems(brackets_raw: RawTable, items: list[Any]) -> list[Problem]:
    """One offer's brackets in file order: thresholds must rise, prices must not."""
    problems: list[Problem] = []
    previous = None
    for bracket in items:
        at = _index_of(brackets_raw, bracket, ("supplier", "product", "threshold"))
        if previous is not None:
            if bracket.threshold <= previous.threshold:
                problems.append(
                    brackets_raw.problem(
                        f"a threshold above the previous bracket's {previous.threshold:g} "
                        "(brackets listed in increasing threshold)",
                        index=at,
                        column="threshold",
                        value=bracket.threshold,
                    )
                )
            elif bracket.unit_price > previous.unit_price:
                problems.append(
                    brackets_raw.problem(
                        f"a unit price no higher than the previous bracket's "
                        f"{previous.unit_price:g} (a larger order may not cost more per unit)",
                        index=at,
                        column="unit_price",
                        value=bracket.unit_price,
                    )
                )
        previous = bracket
    return problems


def _index_of(raw: RawTable, row: Any, key: tuple[str, ...]) -> int | None:
    """The raw row index of a parsed row, found by its key columns."""
    want = [getattr(row, k) for k in key]
    for index, cells in enumerate(raw.rows):
        match = True
        for k, w in zip(key, want, strict=True):
            cell = cells.get(k, "").strip()
            if isinstance(w, float):
                try:
                    match = float(cell) == w
                except ValueError:
                    match = False
            else:
                match = cell == w
            if not match:
                break
        if match:
            return index
    return None
