"""The scenario's building blocks: one frozen pydantic model per table row and per settings block.

Field names are the column names of the CSV files and workbook sheets
(see ``docs/scenario-format.md``); a field without a default is a required column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "CREDIT_TABLES",
    "MAX_AMOUNT",
    "MAX_KG",
    "MAX_MONEY",
    "MAX_PRICE",
    "SPEED_PRESET_NAMES",
    "TABLE_MODELS",
    "Bracket",
    "Buyer",
    "BuyerPrice",
    "Closure",
    "Cooperative",
    "CreditLine",
    "DeliveryMonth",
    "Demand",
    "Hub",
    "InputMonth",
    "Member",
    "MemberCash",
    "NetworkSettings",
    "Offer",
    "Parameters",
    "PaymentTerm",
    "Product",
    "Supplier",
    "Supply",
    "Vehicle",
    "Withholding",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _no_controls(value: object) -> object:
    """Control characters (a workbook's line break, a terminal's escape) read as spaces: a
    name is one line of text, printed on terminals and written to workbooks, which refuse
    them."""
    return _CONTROL.sub(" ", value) if isinstance(value, str) else value


Id = Annotated[
    str,
    BeforeValidator(_no_controls),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
]
Text = Annotated[
    str, BeforeValidator(_no_controls), StringConstraints(strip_whitespace=True, max_length=500)
]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
# Upper bounds far above any cooperative's figures, so that no sum or product in a model
# overflows (1e308 x 2 is inf) or turns a solver's numbers to noise. Quantities, capacities
# and thresholds: at most 1e12 units; prices and costs: at most 1e9 per unit, trip or km;
# weights and payloads: at most 1e6 kg (a unit of 1,000 t, a payload of 1,000 t); sums of
# money a credit plan holds (a credit line's limit, a member's cash): at most 1e9 (a line of
# 1e11 came back from the solver above its limit, within its tolerance).
MAX_AMOUNT = 1e12
MAX_MONEY = 1e9
MAX_PRICE = 1e9
MAX_KG = 1e6
Amount = Annotated[float, Field(gt=0, le=MAX_AMOUNT, allow_inf_nan=False)]
AmountOrZero = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Price = Annotated[float, Field(gt=0, le=MAX_PRICE, allow_inf_nan=False)]
Money = Annotated[float, Field(gt=0, le=MAX_MONEY, allow_inf_nan=False)]
PriceOrZero = Annotated[float, Field(ge=0, le=MAX_PRICE, allow_inf_nan=False)]
Kilograms = Annotated[float, Field(gt=0, le=MAX_KG, allow_inf_nan=False)]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Product(_Row):
    """Something bought (``input``) or sold (``produce``), in its own unit."""

    id: Id
    name: Text
    unit: Id
    weight_kg: Kilograms
    kind: Literal["input", "produce"]
    perishability_h: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)] | None = None


class Cooperative(_Row):
    id: Id
    name: Text
    kind: Text = ""


class Member(_Row):
    """A farm or workshop: where it is, whose cooperative, and when it can be visited."""

    id: Id
    name: Text
    cooperative: Id
    lat: Latitude
    lon: Longitude
    tags: tuple[Id, ...] = ()
    service_min: Annotated[float, Field(ge=0, le=1440, allow_inf_nan=False)] = 10.0
    window_open_h: Annotated[float, Field(ge=0, le=48)] = 0.0
    window_close_h: Annotated[float, Field(gt=0, le=48)] = 24.0

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(";") if t.strip())
        return value

    @model_validator(mode="after")
    def _window_order(self) -> Member:
        if self.window_close_h <= self.window_open_h:
            raise ValueError("window_close_h must come after window_open_h")
        return self


class Demand(_Row):
    """How much of an input a member needs per period, and its price at the local dealer."""

    member: Id
    product: Id
    quantity: Amount
    local_price: Price


class Supply(_Row):
    """How much produce a member sells per period, and what a middleman pays at the farm gate."""

    member: Id
    product: Id
    quantity: Amount
    farm_gate_price: PriceOrZero


class Supplier(_Row):
    id: Id
    name: Text
    lat: Latitude
    lon: Longitude
    truck_payload_kg: Kilograms
    cost_per_trip: PriceOrZero
    cost_per_km: PriceOrZero


class Offer(_Row):
    """A supplier's terms for one product; its prices are the rows of ``brackets``."""

    supplier: Id
    product: Id
    discount: Literal["all_units", "incremental"]
    min_order: AmountOrZero = 0.0
    capacity: Amount


class Bracket(_Row):
    """From ``threshold`` units on, the unit price is ``unit_price``."""

    supplier: Id
    product: Id
    threshold: AmountOrZero
    unit_price: Price


class Buyer(_Row):
    id: Id
    name: Text
    kind: Id
    lat: Latitude
    lon: Longitude


class BuyerPrice(_Row):
    buyer: Id
    product: Id
    price: Price
    min_contract: AmountOrZero = 0.0
    max_intake: Amount
    handling_fee: PriceOrZero = 0.0


class Hub(_Row):
    """A collection or drop point, open already (``existing``) or a candidate."""

    id: Id
    name: Text
    lat: Latitude
    lon: Longitude
    cooperative: Id | None = None
    fixed_cost: PriceOrZero
    capacity: Amount
    handling_cost: PriceOrZero = 0.0
    existing: bool = False


class Vehicle(_Row):
    id: Id
    name: Text
    depot: Id
    count: Annotated[int, Field(ge=1, le=10_000)]
    payload_kg: Kilograms
    cost_per_km: PriceOrZero
    fixed_cost: PriceOrZero = 0.0
    max_route_h: Annotated[float, Field(gt=0, le=48)]
    speed_factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0
    end_buyer: Id | None = None
    products: tuple[Id, ...] = ()

    @field_validator("products", mode="before")
    @classmethod
    def _split_products(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(";") if p.strip())
        return value


class Closure(_Row):
    """A road closure: OSM way ids, a road name or ref pattern, or a polygon of (lat, lon)."""

    way_ids: tuple[int, ...] = ()
    name: Text | None = None
    polygon: tuple[tuple[Latitude, Longitude], ...] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Closure:
        given = sum([bool(self.way_ids), bool(self.name), self.polygon is not None])
        if given != 1:
            raise ValueError("a closure needs exactly one of way_ids, name or polygon")
        if self.polygon is not None and len(self.polygon) < 3:
            raise ValueError("a closure polygon needs at least 3 corners")
        return self


#: The road speed presets per kind of region (``optimizer.geo`` holds their speeds;
#: ``docs/transport-cost.md`` their table and sources).
SPEED_PRESET_NAMES = ("rural_europe", "periurban", "rural_unpaved")
SpeedPreset = Literal["rural_europe", "periurban", "rural_unpaved"]


class NetworkSettings(_Row):
    """Where the roads come from and how fast trucks move on them."""

    file: Path | None = None
    speed_preset: SpeedPreset = "rural_europe"
    speeds_kmh: dict[str, Annotated[float, Field(gt=0, le=300, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )
    season: Literal["dry", "rainy"] = "dry"
    seasonal_factors: dict[str, Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=lambda: {"unpaved": 0.5}
    )
    speed_factor: Annotated[float, Field(gt=0, le=2)] = 1.0
    closures: tuple[Closure, ...] = ()


class Parameters(_Row):
    currency: Annotated[str, StringConstraints(min_length=1, max_length=8)] = "EUR"
    planning_period: Id = "month"
    collection_days: Annotated[float, Field(gt=0, le=366)] = 30.0
    fuel_price_factor: Annotated[float, Field(gt=0, le=10)] = 1.0
    drop_point: Literal["hub", "farm_gate"] = "hub"
    detour_factor: Annotated[float, Field(ge=1, le=5)] = 1.3
    farm_trip_load_factor: Annotated[float, Field(gt=0, le=1)] = 0.5
    time_limit_s: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    mip_gap: Annotated[float, Field(ge=0, lt=1)] = 0.001


# ------------------------------------------------------------------ credit (docs/credit.md)
Rate = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Factor = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
MONTH_PATTERN = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])$"  # 1900-01 to 2199-12
Month = Annotated[str, StringConstraints(strip_whitespace=True, pattern=MONTH_PATTERN)]


def _month_text(value: object) -> object:
    """A month as ``YYYY-MM``; a workbook's date cell (``2026-03-01T00:00:00``) gives its month."""
    if isinstance(value, str) and re.match(r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$", value):
        return value.strip()[:7]
    return value


class CreditLine(_Row):
    """A credit line of the cooperative: its lender, limit, annual rate and fees.

    ``fee`` is paid once, in the season's first month, if the line is used at all;
    ``commitment_rate`` is an annual rate on the unused limit of a line in use;
    ``term_months`` counts from the season's first month (empty: the whole season).
    """

    id: Id
    lender: Text
    limit: Money
    annual_rate: Rate
    fee: PriceOrZero = 0.0
    commitment_rate: Rate = 0.0
    term_months: Annotated[int, Field(ge=1, le=120)] | None = None


class PaymentTerm(_Row):
    """How a supplier may be paid: a cash discount, a net term, and supplier credit after it.

    Paid in the month of delivery, the order costs ``1 - cash_discount`` of its value; the full
    value falls due ``days_to_pay`` days later (in whole months of 30 days); after that the
    supplier gives ``credit_months`` months of credit at ``credit_rate`` a year.
    """

    supplier: Id
    cash_discount: Annotated[float, Field(ge=0, le=0.5, allow_inf_nan=False)] = 0.0
    discount_days: Annotated[int, Field(ge=0, le=365)] = 0
    days_to_pay: Annotated[int, Field(ge=0, le=365)] = 30
    credit_months: Annotated[int, Field(ge=0, le=24)] = 0
    credit_rate: Rate = 0.0

    @model_validator(mode="after")
    def _days_order(self) -> PaymentTerm:
        if self.discount_days > self.days_to_pay:
            raise ValueError("discount_days must not exceed days_to_pay")
        return self


class InputMonth(_Row):
    """In ``month`` the members need ``factor`` planning periods' worth of an input's demand."""

    product: Id
    month: Month
    factor: Factor

    _month = field_validator("month", mode="before")(_month_text)


class DeliveryMonth(_Row):
    """In ``month`` the members deliver ``factor`` planning periods' worth of a produce."""

    product: Id
    month: Month
    factor: Factor

    _month = field_validator("month", mode="before")(_month_text)


class Withholding(_Row):
    """At most ``max_share`` of the value of a delivery of this produce may be withheld."""

    product: Id
    max_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]


class MemberCash(_Row):
    """Cash a member pays the cooperative up front, in ``month``, towards its inputs."""

    member: Id
    month: Month
    amount: Money

    _month = field_validator("month", mode="before")(_month_text)


TABLE_MODELS: dict[str, type[_Row]] = {
    "products": Product,
    "cooperatives": Cooperative,
    "members": Member,
    "demand": Demand,
    "supply": Supply,
    "suppliers": Supplier,
    "offers": Offer,
    "brackets": Bracket,
    "buyers": Buyer,
    "buyer_prices": BuyerPrice,
    "hubs": Hub,
    "vehicles": Vehicle,
    "credit_lines": CreditLine,
    "payment_terms": PaymentTerm,
    "input_months": InputMonth,
    "delivery_months": DeliveryMonth,
    "withholding": Withholding,
    "member_cash": MemberCash,
}
#: the optional tables of the credit model (``optimizer.models.credit``)
CREDIT_TABLES = (
    "credit_lines",
    "payment_terms",
    "input_months",
    "delivery_months",
    "withholding",
    "member_cash",
)
