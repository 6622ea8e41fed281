"""Which roads a vehicle may use, how fast, and whether they are paved.

How fast: a *speed preset* per kind of region (:data:`SPEED_PRESETS`; ``rural_europe``, the
default, ``periurban`` and ``rural_unpaved``) gives each ``highway`` class a speed, a
congestion factor and a cap on unpaved roads; the scenario's ``speeds_kmh`` override single
classes. The presets and where their magnitudes come from: ``docs/transport-cost.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_PRESET",
    "DEFAULT_SEASONAL_FACTORS",
    "DEFAULT_SPEEDS_KMH",
    "SPEED_PRESETS",
    "SURFACE_CLASSES",
    "UNPAVED_CAP_KMH",
    "VEHICLES",
    "SpeedPreset",
    "allowed",
    "direction",
    "parse_maxspeed",
    "segment_speeds_kmh",
    "surface_class",
]

#: Typical speed of a loaded rural freight truck per ``highway`` class, km/h. ``maxspeed``
#: lowers them where it is lower; it never raises them (a truck is not a car).
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 45.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 55.0,
    "secondary_link": 35.0,
    "tertiary": 45.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
    "track": 15.0,
}

#: Cap on any unpaved road that is not a track (gravel roads, dirt lanes), km/h.
UNPAVED_CAP_KMH = 30.0


@dataclass(frozen=True)
class SpeedPreset:
    """Speeds of one kind of region: ``speeds_kmh`` per ``highway`` class (free flow), a
    ``congestion`` factor on every class, and ``unpaved_cap_kmh`` on unpaved roads but tracks."""

    speeds_kmh: Mapping[str, float]
    congestion: float = 1.0
    unpaved_cap_kmh: float = UNPAVED_CAP_KMH
    description: str = field(default="", compare=False)

    def class_speeds_kmh(self) -> dict[str, float]:
        """Each class's speed after congestion (no ``maxspeed``, dry, paved), km/h."""
        return {k: v * self.congestion for k, v in self.speeds_kmh.items()}


#: The default preset: a rural European region, today's speeds.
DEFAULT_PRESET = "rural_europe"

#: Speed presets per kind of region (sources and reasoning: ``docs/transport-cost.md``). Every
#: preset names every class of :data:`DEFAULT_SPEEDS_KMH`, so the roads read (and cached) are
#: the same whichever preset prices them.
SPEED_PRESETS: dict[str, SpeedPreset] = {
    "rural_europe": SpeedPreset(
        DEFAULT_SPEEDS_KMH, description="rural Europe: paved roads, free flow (the default)"
    ),
    "periurban": SpeedPreset(
        {
            **DEFAULT_SPEEDS_KMH,
            "primary": 50.0,
            "primary_link": 30.0,
            "secondary": 45.0,
            "secondary_link": 30.0,
            "tertiary": 40.0,
            "tertiary_link": 25.0,
            "unclassified": 30.0,
            "residential": 20.0,
            "living_street": 7.0,
            "service": 15.0,
            "road": 20.0,
            "track": 10.0,
        },
        congestion=0.7,
        unpaved_cap_kmh=20.0,
        description="dense peri-urban: urban limits, narrow streets, congestion 0.7",
    ),
    "rural_unpaved": SpeedPreset(
        {
            **DEFAULT_SPEEDS_KMH,
            "secondary": 50.0,
            "tertiary": 35.0,
            "tertiary_link": 25.0,
            "unclassified": 25.0,
            "residential": 20.0,
            "service": 15.0,
            "road": 20.0,
            "track": 8.0,
        },
        unpaved_cap_kmh=20.0,
        description="rural, mostly unpaved: minor roads, tracks and gravel much slower",
    ),
}

SURFACE_CLASSES = ("paved", "unpaved")

#: Speed factor per surface class in the rainy season, unless the caller gives others.
DEFAULT_SEASONAL_FACTORS: dict[str, float] = {"paved": 1.0, "unpaved": 0.5}

#: Access values that close a road to each vehicle; the most specific access tag decides.
VEHICLES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "truck": (
        ("hgv", "goods", "motor_vehicle", "vehicle", "access"),
        frozenset({"no", "private", "agricultural", "forestry", "discouraged", "customers"}),
    ),
    "tractor": (
        ("agricultural", "motor_vehicle", "vehicle", "access"),
        frozenset({"no", "private"}),
    ),
    "car": (
        ("motorcar", "motor_vehicle", "vehicle", "access"),
        frozenset({"no", "private", "agricultural", "forestry", "customers"}),
    ),
}

_PAVED = frozenset(
    {
        "paved", "asphalt", "concrete", "concrete:plates", "concrete:lanes", "paving_stones",
        "sett", "cobblestone", "unhewn_cobblestone", "metal", "wood", "chipseal", "bricks",
        "brick", "cobblestone:flattened", "paving_stones:30",
    }
)  # fmt: skip
_UNPAVED = frozenset(
    {
        "unpaved", "gravel", "fine_gravel", "compacted", "dirt", "earth", "ground", "grass",
        "grass_paver", "mud", "sand", "pebblestone", "rock", "woodchips", "clay", "soil",
        "snow", "ice", "salt", "stone",
    }
)  # fmt: skip
_ZONES_KMH = {"urban": 50.0, "rural": 100.0, "living_street": 7.0, "walk": 7.0, "zone30": 30.0}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def allowed(tags: Mapping[str, str], vehicle: str) -> bool:
    """Whether a ``highway=*`` way with these tags is open to the vehicle."""
    if tags.get("highway") not in DEFAULT_SPEEDS_KMH or tags.get("area") == "yes":
        return False
    keys, denied = VEHICLES[vehicle]
    for key in keys:
        value = tags.get(key)
        if value is not None:
            return value.split(";")[0].strip() not in denied
    return True


def direction(tags: Mapping[str, str]) -> int:
    """1 forward only, -1 backward only, 0 both ways."""
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in {"yes", "true", "1"}:
        return 1
    if oneway in {"-1", "reverse"}:
        return -1
    if oneway in {"no", "false", "0", "reversible", "alternating"}:
        return 0
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway":
        return 1
    return 0


def surface_class(tags: Mapping[str, str]) -> str:
    """``paved`` or ``unpaved`` from ``surface``, then ``tracktype``, then the highway class."""
    surface = tags.get("surface", "").split(";")[0].strip().lower()
    if surface in _PAVED:
        return "paved"
    if surface in _UNPAVED or surface.startswith("unpaved"):
        return "unpaved"
    tracktype = tags.get("tracktype", "").strip().lower()
    if tracktype == "grade1":
        return "paved"
    if tracktype.startswith("grade"):
        return "unpaved"
    return "unpaved" if tags.get("highway") == "track" else "paved"


def parse_maxspeed(value: str | None) -> float:
    """A ``maxspeed`` value in km/h; NaN when absent, unlimited or not understood."""
    if not value:
        return math.nan
    text = value.split(";")[0].strip().lower()
    match = _NUMBER.match(text)
    if match:
        speed = float(match.group(1))
        return speed * 1.609344 if match.group(2) == "mph" else speed
    zone = text.split(":")[-1]
    return _ZONES_KMH.get(zone, math.nan)


def segment_speeds_kmh(
    highway: npt.NDArray[np.str_],
    maxspeed_kmh: npt.NDArray[np.float64],
    surface: npt.NDArray[np.str_],
    *,
    speeds: Mapping[str, float] | None = None,
    seasonal: Mapping[str, float] | None = None,
    season: str = "dry",
    speed_factor: float = 1.0,
    preset: str = DEFAULT_PRESET,
) -> npt.NDArray[np.float64]:
    """Speed of each way (or segment) in km/h after class, maxspeed, surface and season.

    The ``preset``'s free-flow class speeds are the base and ``speeds`` replaces single
    classes; ``maxspeed`` lowers a way's speed (never raises it); then the preset's congestion
    factor slows every way (traffic keeps trucks below the limit too) and its unpaved cap,
    the season and ``speed_factor`` apply.
    """
    chosen = SPEED_PRESETS[preset]
    table = {**chosen.speeds_kmh, **(speeds or {})}
    fallback = chosen.speeds_kmh["road"]
    classes, inverse = np.unique(highway, return_inverse=True)
    base = np.array([table.get(str(c), fallback) for c in classes])[inverse]
    speed = np.fmin(base, maxspeed_kmh)  # fmin ignores NaN: no maxspeed keeps the class speed
    speed = speed * chosen.congestion
    unpaved = surface == "unpaved"
    not_track = highway != "track"
    speed = np.where(unpaved & not_track, np.minimum(speed, chosen.unpaved_cap_kmh), speed)
    if season == "rainy":
        factors = {**DEFAULT_SEASONAL_FACTORS, **(seasonal or {})}
        for name, factor in factors.items():
            speed = np.where(surface == name, speed * factor, speed)
    return np.asarray(speed * speed_factor, dtype=np.float64)
