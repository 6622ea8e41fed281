"""A scenario: everything one what-if needs, loaded and validated once.

:func:`optimizer.scenario.load.load_scenario` is the one entry point; this module holds the
:class:`Scenario` and the readers of its two forms on disk: a folder holding ``scenario.yaml``
and one CSV file per table (:func:`load_folder`), and an ``.xlsx`` workbook with a sheet per
table and a ``settings`` sheet (:func:`load_workbook`). Both give the same immutable
:class:`Scenario`; every problem found is reported together in one
:class:`~optimizer.errors.InputError`.
The format is described in ``docs/scenario-format.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optimizer.errors import MAX_PROBLEMS, InputError, Problem
from optimizer.io.read import (
    RawTable,
    load_yaml_text,
    read_csv_table,
    read_workbook,
    read_yaml_mapping,
)
from optimizer.io.write import write_xlsx
from optimizer.scenario.schema import (
    TABLE_MODELS,
    Bracket,
    Buyer,
    BuyerPrice,
    Cooperative,
    CreditLine,
    DeliveryMonth,
    Demand,
    Hub,
    InputMonth,
    Member,
    MemberCash,
    NetworkSettings,
    Offer,
    Parameters,
    PaymentTerm,
    Product,
    Supplier,
    Supply,
    Vehicle,
    Withholding,
)
from optimizer.scenario.validation import ID_TABLES, check_links, row_problems

__all__ = [
    "REQUIRED_TABLES",
    "SETTINGS_FILE",
    "SETTINGS_SHEET",
    "Scenario",
    "build_scenario",
    "load_folder",
    "load_workbook",
]

SETTINGS_FILE = "scenario.yaml"
SETTINGS_SHEET = "settings"
REQUIRED_TABLES = ("products", "cooperatives", "members")
_SETTINGS_KEYS = {"name", "description", "parameters", "network", "tables"}


class Scenario(BaseModel):
    """A whole scenario: settings and one tuple of rows per table.

    Rows are frozen pydantic models (:mod:`optimizer.scenario.schema`); ``table(name)`` gives any
    table as a DataFrame with the columns of its CSV file.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    parameters: Parameters = Field(default_factory=Parameters)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    products: tuple[Product, ...]
    cooperatives: tuple[Cooperative, ...]
    members: tuple[Member, ...]
    demand: tuple[Demand, ...] = ()
    supply: tuple[Supply, ...] = ()
    suppliers: tuple[Supplier, ...] = ()
    offers: tuple[Offer, ...] = ()
    brackets: tuple[Bracket, ...] = ()
    buyers: tuple[Buyer, ...] = ()
    buyer_prices: tuple[BuyerPrice, ...] = ()
    hubs: tuple[Hub, ...] = ()
    vehicles: tuple[Vehicle, ...] = ()
    credit_lines: tuple[CreditLine, ...] = ()
    payment_terms: tuple[PaymentTerm, ...] = ()
    input_months: tuple[InputMonth, ...] = ()
    delivery_months: tuple[DeliveryMonth, ...] = ()
    withholding: tuple[Withholding, ...] = ()
    member_cash: tuple[MemberCash, ...] = ()

    # ----------------------------------------------------------------- lookups
    def table(self, name: str) -> pd.DataFrame:
        """One table as a DataFrame, columns in file order (tags joined by ``;``)."""
        if name not in TABLE_MODELS:
            raise KeyError(f"no table {name!r}; the tables are {', '.join(TABLE_MODELS)}")
        columns = list(TABLE_MODELS[name].model_fields)
        rows = [row.model_dump() for row in getattr(self, name)]
        frame = pd.DataFrame(rows, columns=columns)
        if name == "members":
            frame["tags"] = [";".join(tags) for tags in frame["tags"]]
        if name == "vehicles":
            frame["products"] = [";".join(products) for products in frame["products"]]
        return frame

    @cached_property
    def _by_id(self) -> dict[str, dict[str, Any]]:
        index: dict[str, dict[str, Any]] = {}
        for name in ID_TABLES:
            index[name] = {row.id: row for row in getattr(self, name)}
        return index

    def product(self, id: str) -> Product:
        return self._lookup("products", id)

    def member(self, id: str) -> Member:
        return self._lookup("members", id)

    def supplier(self, id: str) -> Supplier:
        return self._lookup("suppliers", id)

    def buyer(self, id: str) -> Buyer:
        return self._lookup("buyers", id)

    def hub(self, id: str) -> Hub:
        return self._lookup("hubs", id)

    def cooperative(self, id: str) -> Cooperative:
        return self._lookup("cooperatives", id)

    def _lookup(self, table: str, id: str) -> Any:
        try:
            return self._by_id[table][id]
        except KeyError:
            raise KeyError(f"no {table[:-1]} with id {id!r}") from None

    def inputs(self) -> tuple[Product, ...]:
        return tuple(p for p in self.products if p.kind == "input")

    def produce(self) -> tuple[Product, ...]:
        return tuple(p for p in self.products if p.kind == "produce")

    # ----------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """Counts and totals for a first look (what ``optimizer validate`` prints)."""
        per_coop = {c.id: 0 for c in self.cooperatives}
        for m in self.members:
            per_coop[m.cooperative] += 1
        demand: dict[str, float] = {}
        for d in self.demand:
            demand[d.product] = demand.get(d.product, 0.0) + d.quantity
        supply: dict[str, float] = {}
        for s in self.supply:
            supply[s.product] = supply.get(s.product, 0.0) + s.quantity
        return {
            "name": self.name,
            "members": len(self.members),
            "members_per_cooperative": per_coop,
            "products": len(self.products),
            "suppliers": len(self.suppliers),
            "buyers": len(self.buyers),
            "hubs": len(self.hubs),
            "existing_hubs": sum(h.existing for h in self.hubs),
            "vehicles": sum(v.count for v in self.vehicles),
            "demand": demand,
            "supply": supply,
            "network_file": None if self.network.file is None else str(self.network.file),
        }

    # ----------------------------------------------------------------- writing
    def settings(self, *, relative_to: Path | None = None) -> dict[str, Any]:
        """The ``scenario.yaml`` content; the road file relative to ``relative_to`` if given."""
        network = self.network.model_dump(mode="json", exclude_defaults=False)
        network["closures"] = [
            c.model_dump(mode="json", exclude_defaults=True) for c in self.network.closures
        ]
        if self.network.file is not None and relative_to is not None:
            network["file"] = Path(os.path.relpath(self.network.file, relative_to)).as_posix()
        return {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters.model_dump(mode="json"),
            "network": network,
        }

    def to_folder(self, folder: str | Path) -> Path:
        """Write the scenario as ``scenario.yaml`` plus one CSV per non-empty table."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        settings = self.settings(relative_to=folder.resolve())
        text = yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
        (folder / SETTINGS_FILE).write_text(text, encoding="utf-8")
        for name in TABLE_MODELS:
            frame = self.table(name)
            target = folder / f"{name}.csv"
            if frame.empty and name not in REQUIRED_TABLES:
                target.unlink(missing_ok=True)
                continue
            frame.to_csv(target, index=False)
        return folder

    def to_xlsx(self, path: str | Path) -> Path:
        """Write the scenario as one workbook: a ``settings`` sheet and a sheet per table."""
        path = Path(path)
        flat = _flatten(self.settings(relative_to=path.resolve().parent))
        settings = pd.DataFrame({"key": list(flat), "value": [_cell(v) for v in flat.values()]})
        sheets = {SETTINGS_SHEET: settings}
        for name in TABLE_MODELS:
            frame = self.table(name)
            if not (frame.empty and name not in REQUIRED_TABLES):
                sheets[name] = frame
        return write_xlsx(sheets, path)


# --------------------------------------------------------------------- loading
def load_folder(folder: Path) -> Scenario:
    """A scenario folder: ``scenario.yaml`` and one CSV file per table."""
    settings_path = folder / SETTINGS_FILE
    shown_settings = str(settings_path)
    settings = read_yaml_mapping(settings_path, shown_settings)
    files = settings.get("tables") or {}
    problems: list[Problem] = []
    if not isinstance(files, Mapping):
        problems.append(
            Problem(shown_settings, "a mapping of table name to CSV file", key="tables")
        )
        files = {}
    tables: dict[str, RawTable] = {}
    broken: list[str] = []
    for name in TABLE_MODELS:
        given = files.get(name)
        file = folder / (str(given) if given else f"{name}.csv")
        if not file.exists():
            if given or name in REQUIRED_TABLES:
                problems.append(Problem(str(file), f"the file of table '{name}' (not found)"))
                broken.append(name)
            continue
        try:
            tables[name] = read_csv_table(file, name, str(file))
        except InputError as exc:
            problems.extend(exc.problems)
            broken.append(name)
    for name in files:
        if name not in TABLE_MODELS:
            problems.append(
                Problem(
                    shown_settings,
                    f"one of the tables {', '.join(TABLE_MODELS)}",
                    key=f"tables.{name}",
                )
            )
    return build_scenario(
        settings,
        tables,
        base_dir=folder,
        settings_file=shown_settings,
        problems=problems,
        broken=broken,
    )


def load_workbook(path: Path) -> Scenario:
    """An ``.xlsx`` workbook: a ``settings`` sheet and one sheet per table."""
    shown = str(path)
    sheets = read_workbook(path, shown)
    problems: list[Problem] = []
    settings: dict[str, Any] = {}
    raw = sheets.pop(SETTINGS_SHEET, None)
    if raw is None:
        problems.append(
            Problem(
                shown,
                f"a sheet named '{SETTINGS_SHEET}' with columns key, value",
                sheet=SETTINGS_SHEET,
            )
        )
    else:
        settings = _unflatten_settings(raw, problems)
    for name in sheets:
        if name not in TABLE_MODELS:
            problems.append(
                Problem(
                    shown,
                    f"sheets named {SETTINGS_SHEET}, {', '.join(TABLE_MODELS)}",
                    sheet=name,
                    value=name,
                )
            )
    broken = [name for name in REQUIRED_TABLES if name not in sheets]
    for name in broken:
        problems.append(Problem(shown, f"a sheet named '{name}' (not found)", sheet=name))
    return build_scenario(
        settings,
        sheets,
        base_dir=path.resolve().parent,
        settings_file=f"{shown}, sheet '{SETTINGS_SHEET}'",
        problems=problems,
        broken=broken,
    )


def build_scenario(
    settings: Mapping[str, Any],
    tables: Mapping[str, RawTable],
    *,
    base_dir: Path,
    settings_file: str,
    problems: Iterable[Problem] = (),
    broken: Iterable[str] = (),
) -> Scenario:
    """Validate settings and raw tables together into a :class:`Scenario`.

    Every problem (in ``problems`` already, in the settings, in any row, or between tables)
    is collected and raised as one :class:`InputError`; nothing half-built is returned.
    """
    found = list(problems)
    name, description, parameters, network = _settings(settings, base_dir, settings_file, found)
    rows: dict[str, tuple[Any, ...]] = {}
    unreadable = set(broken)
    for table_name, model in TABLE_MODELS.items():
        raw = tables.get(table_name)
        if raw is None:
            rows[table_name] = ()
            continue
        parsed, table_problems = row_problems(raw, model)
        found.extend(table_problems)
        if table_problems and not parsed:
            unreadable.add(table_name)
        rows[table_name] = tuple(parsed)
    found.extend(check_links(tables, rows, unreadable))
    if found:
        raise InputError(_unique(found)[: MAX_PROBLEMS * 4])
    return Scenario(
        name=name, description=description, parameters=parameters, network=network, **rows
    )


def _settings(
    settings: Mapping[str, Any], base_dir: Path, shown: str, problems: list[Problem]
) -> tuple[str, str, Parameters, NetworkSettings]:
    for key in settings:
        if key not in _SETTINGS_KEYS:
            problems.append(
                Problem(shown, f"one of the keys {', '.join(sorted(_SETTINGS_KEYS))}", key=str(key))
            )
    name = settings.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem(shown, "a scenario name (text)", key="name", value=name))
        name = "?"
    description = settings.get("description") or ""
    if not isinstance(description, str):
        problems.append(Problem(shown, "a text", key="description", value=description))
        description = ""
    parameters = _block(Parameters, settings.get("parameters"), "parameters", shown, problems)
    raw_network = settings.get("network")
    if isinstance(raw_network, Mapping) and raw_network.get("file"):
        file = Path(str(raw_network["file"]))
        resolved = file if file.is_absolute() else (base_dir / file)
        if not resolved.is_file():
            problems.append(
                Problem(
                    shown,
                    "a road network file that exists",
                    key="network.file",
                    value=str(raw_network["file"]),
                )
            )
        raw_network = {**raw_network, "file": resolved.resolve()}
    network = _block(NetworkSettings, raw_network, "network", shown, problems)
    return name.strip(), description.strip(), parameters, network


def _block(model: type[Any], data: Any, key: str, shown: str, problems: list[Problem]) -> Any:
    if data is None:
        return model()
    if not isinstance(data, Mapping):
        problems.append(Problem(shown, "a mapping of settings", key=key, value=type(data).__name__))
        return model()
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        from optimizer.scenario.validation import expected_text

        for error in exc.errors():
            loc = ".".join(str(part) for part in (key, *error["loc"]))
            value = error.get("input") if error["type"] != "missing" else None
            if isinstance(value, Mapping):
                value = None
            problems.append(Problem(shown, expected_text(error), key=loc, value=value))
        return model()


def _unflatten_settings(raw: RawTable, problems: list[Problem]) -> dict[str, Any]:
    if "key" not in raw.columns or "value" not in raw.columns:
        problems.append(raw.problem("the columns key and value", value=", ".join(raw.columns)))
        return {}
    settings: dict[str, Any] = {}
    for index, row in enumerate(raw.rows):
        key = row.get("key", "").strip()
        if not key:
            continue
        text = row.get("value", "")
        try:
            value = load_yaml_text(text, raw.file) if text else None
        except InputError as exc:
            problems.append(
                raw.problem(exc.problems[0].expected, index=index, column="value", value=text)
            )
            continue
        target = settings
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(
                    raw.problem(
                        "a key that is not also a value", index=index, column="key", value=key
                    )
                )
                break
        else:
            target[parts[-1]] = value
    return settings


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and key not in ("speeds_kmh", "seasonal_factors"):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _cell(value: Any) -> str:
    """A settings value as the YAML text of one cell."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.strip().removesuffix("...").strip()


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out
