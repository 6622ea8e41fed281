"""Build a scenario for a region from an OpenStreetMap extract and a profile.

    python scenarios/build.py scenarios/profiles/mecklenburg.yaml --out scenarios/mecklenburg

``--speeds periurban`` (or ``rural_unpaved``; default ``rural_europe``) sets the road speed
preset of the region (``network.speed_preset``, see ``docs/transport-cost.md``).

The profile (YAML) names the road file, the cooperatives and how their members' sizes,
supply and demand are spread, the products with their prices, and the suppliers, buyers,
hubs and vehicles with the OSM places they stand at. Members are spread around the real
villages and hamlets of the extract (``optimizer.geo.places``); every draw is seeded, so the
same profile always gives the same scenario. The result is written as a scenario folder and
loaded once more to check it.

To start a new region: run ``python scenarios/build.py EXTRACT.osm.pbf --list-places`` to see
the place names you can use (no profile needed), copy a profile, point ``osm`` at your
extract, then adjust the names, prices and quantities (with a note on where each figure comes
from in the scenario's README). Every key of a profile is described in docs/build-profile.md;
a key the builder does not know is an error, never ignored. After writing, the places farther
than 250 m from a road (or outside the extract) are named as warnings.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from optimizer import InputError, load_scenario
from optimizer.errors import Problem
from optimizer.geo.places import places
from optimizer.pipeline.travel import check_roads
from optimizer.scenario.schema import SPEED_PRESET_NAMES

SETTLEMENTS = ("town", "village", "hamlet", "suburb", "isolated_dwelling", "farmyard")
EARTH_M_PER_DEG = 111_320.0
PROFILE_SUFFIXES = (".yaml", ".yml")

#: Every key a profile may hold, by where it stands (``[]``: each item of a list, ``*``: each
#: value of a mapping keyed by product id); docs/build-profile.md describes each one.
#: ``products``, ``vehicles``, buyers' ``prices``, ``parameters`` and ``network`` are passed
#: on to the scenario as they are (docs/scenario-format.md checks them).
PROFILE_KEYS: dict[str, tuple[str, ...]] = {
    "": (
        "name", "description", "osm", "road_file", "seed", "parameters", "network",
        "products", "members", "cooperatives", "suppliers", "buyers", "hubs", "vehicles",
    ),
    "members": ("count", "around", "exclude", "radius_m", "tags"),
    "cooperatives[]": (
        "id", "name", "kind", "share", "size_spread", "member_name", "service_min",
        "window_open_h", "window_close_h", "supply", "demand",
    ),
    "cooperatives[].supply.*": ("median", "farm_gate_price"),
    "cooperatives[].demand.*": ("median", "local_price", "share"),
    "suppliers[]": (
        "id", "name", "at", "truck_payload_kg", "cost_per_trip", "cost_per_km", "offers",
    ),
    "suppliers[].offers[]": ("product", "discount", "min_order", "capacity", "brackets"),
    "buyers[]": ("id", "name", "kind", "at", "prices"),
    "hubs[]": (
        "id", "name", "at", "cooperative", "fixed_cost", "capacity", "handling_cost", "existing",
    ),
    "at": ("place", "lat", "lon", "offset_m"),
}  # fmt: skip
#: The keys without a default: a profile must give them.
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "": ("name", "osm", "products", "members", "cooperatives", "suppliers", "buyers", "hubs",
         "vehicles"),
    "members": ("count",),
    "cooperatives[]": ("id", "name", "share"),
    "cooperatives[].supply.*": ("median", "farm_gate_price"),
    "cooperatives[].demand.*": ("median", "local_price"),
    "suppliers[]": ("id", "name", "at", "truck_payload_kg", "cost_per_trip", "cost_per_km",
                    "offers"),
    "suppliers[].offers[]": ("product", "discount", "capacity", "brackets"),
    "buyers[]": ("id", "name", "kind", "at", "prices"),
    "hubs[]": ("id", "name", "at", "fixed_cost", "capacity"),
    "at": (),
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "profile", type=Path, help="the profile (.yaml); with --list-places, or an OSM extract"
    )
    parser.add_argument("--out", type=Path, help="scenario folder to write")
    parser.add_argument("--list-places", action="store_true", help="print the named places")
    parser.add_argument(
        "--speeds",
        choices=SPEED_PRESET_NAMES,
        help="road speed preset of the region (network.speed_preset; default: the profile's, "
        "else rural_europe); see docs/transport-cost.md",
    )
    args = parser.parse_args(argv)
    try:
        if args.list_places and not args.profile.name.endswith(PROFILE_SUFFIXES):
            _print_places(places(args.profile))  # an extract: no profile needed
            return 0
        profile = read_profile(args.profile)
        if args.speeds and isinstance(profile.get("network", {}), dict):
            profile["network"] = {**profile.get("network", {}), "speed_preset": args.speeds}
        osm = (args.profile.parent / profile["osm"]).resolve()
        found = places(osm)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list_places:
        _print_places(found)
        return 0
    if args.out is None:
        parser.error("--out is required unless --list-places is given")
    build(profile, found, osm, args.out)
    try:
        scenario = load_scenario(args.out)
        warnings = check_roads(scenario, source=str(args.out / "scenario.yaml"))
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{scenario.name}: {len(scenario.members)} members written to {args.out}")
    return 0


def _print_places(found: pd.DataFrame) -> None:
    """Every place with its kind and position; a made-up name ("... near X") is marked."""
    shown = found[["kind", "name", "lat", "lon"]].copy()
    shown["named in OSM"] = found["named"].map({True: "yes", False: "no"})
    print(shown.to_string())


def read_profile(path: Path) -> dict[str, Any]:
    """The profile at ``path``, with every key checked against :data:`PROFILE_KEYS`."""
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InputError(Problem(str(path), f"a readable YAML profile ({error})")) from None
    if not isinstance(profile, dict):
        raise InputError(Problem(str(path), "a mapping of profile keys (docs/build-profile.md)"))
    problems: list[Problem] = []
    _check_keys(profile, "", "", str(path), problems)
    if problems:
        raise InputError(problems)
    return profile


def _check_keys(value: Any, section: str, where: str, file: str, problems: list[Problem]) -> None:
    """Unknown and missing keys of ``value`` (a mapping at ``section``), then its parts."""
    if not isinstance(value, dict):
        problems.append(Problem(file, "a mapping", key=where or None, value=type(value).__name__))
        return
    known = PROFILE_KEYS[section]
    for key in value:
        if key not in known:
            problems.append(
                Problem(
                    file,
                    f"a key among {', '.join(known)} (docs/build-profile.md)",
                    key=f"{where}.{key}" if where else str(key),
                )
            )
    for key in REQUIRED_KEYS[section]:
        if key not in value:
            problems.append(
                Problem(
                    file, "this key (it has no default)", key=f"{where}.{key}" if where else key
                )
            )
    for key, item in value.items():
        here = f"{where}.{key}" if where else str(key)
        if key == "at":
            _check_keys(item, "at", here, file, problems)
            continue
        sub = f"{section}.{key}" if section else str(key)
        if sub in PROFILE_KEYS:
            _check_keys(item, sub, here, file, problems)
        elif f"{sub}[]" in PROFILE_KEYS:
            if not isinstance(item, list):
                problems.append(Problem(file, "a list", key=here, value=type(item).__name__))
                continue
            for n, element in enumerate(item):
                _check_keys(element, f"{sub}[]", f"{here}[{n}]", file, problems)
        elif f"{sub}.*" in PROFILE_KEYS and isinstance(item, dict):
            for product, terms in item.items():
                _check_keys(terms, f"{sub}.*", f"{here}.{product}", file, problems)


_OSM_ENDINGS = (".osm.bz2", ".osm.gz", ".osm.pbf", ".osm", ".pbf")


def road_file_name(wanted: str | None, osm: Path) -> str:
    """The scenario's road file name: the profile's ``road_file`` (else ``roads``) with the
    extract's own ending, so that a ``.osm.gz`` extract is never copied under a ``.bz2`` name
    (which would then not load)."""
    ending = next((e for e in _OSM_ENDINGS if osm.name.endswith(e)), "".join(osm.suffixes[-2:]))
    stem = str(wanted or "roads")
    for known in _OSM_ENDINGS:
        if stem.endswith(known):
            stem = stem[: -len(known)]
            break
    return stem + ending


def build(profile: dict[str, Any], found: pd.DataFrame, osm: Path, out: Path) -> None:
    rng = np.random.default_rng(int(profile.get("seed", 1)))
    out.mkdir(parents=True, exist_ok=True)
    road_file = out / road_file_name(profile.get("road_file"), osm)
    if osm.resolve() != road_file.resolve():
        shutil.copyfile(osm, road_file)
    lookup = _place_lookup(found)
    tables: dict[str, list[dict[str, Any]]] = {}
    tables["products"] = [dict(p) for p in profile["products"]]
    tables["cooperatives"] = [
        {"id": c["id"], "name": c["name"], "kind": c.get("kind", "")}
        for c in profile["cooperatives"]
    ]
    members, demand, supply = _members(profile, found, rng)
    tables["members"], tables["demand"], tables["supply"] = members, demand, supply
    tables["suppliers"], tables["offers"], tables["brackets"] = [], [], []
    for s in profile["suppliers"]:
        lat, lon = _locate(s["at"], lookup)
        tables["suppliers"].append(
            {
                "id": s["id"],
                "name": s["name"],
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                **{k: s[k] for k in ("truck_payload_kg", "cost_per_trip", "cost_per_km")},
            }
        )
        for offer in s["offers"]:
            tables["offers"].append(
                {
                    "supplier": s["id"],
                    "product": offer["product"],
                    "discount": offer["discount"],
                    "min_order": offer.get("min_order", 0),
                    "capacity": offer["capacity"],
                }
            )
            for threshold, price in offer["brackets"]:
                tables["brackets"].append(
                    {
                        "supplier": s["id"],
                        "product": offer["product"],
                        "threshold": threshold,
                        "unit_price": price,
                    }
                )
    tables["buyers"], tables["buyer_prices"] = [], []
    for b in profile["buyers"]:
        lat, lon = _locate(b["at"], lookup)
        tables["buyers"].append(
            {
                "id": b["id"],
                "name": b["name"],
                "kind": b["kind"],
                "lat": round(lat, 6),
                "lon": round(lon, 6),
            }
        )
        for product, terms in b["prices"].items():
            tables["buyer_prices"].append({"buyer": b["id"], "product": product, **terms})
    tables["hubs"] = []
    for h in profile["hubs"]:
        lat, lon = _locate(h["at"], lookup)
        tables["hubs"].append(
            {
                "id": h["id"],
                "name": h["name"],
                "lat": round(lat, 6),
                "lon": round(lon, 6),
                "cooperative": h.get("cooperative", ""),
                "fixed_cost": h["fixed_cost"],
                "capacity": h["capacity"],
                "handling_cost": h.get("handling_cost", 0),
                "existing": bool(h.get("existing", False)),
            }
        )
    tables["vehicles"] = [dict(v) for v in profile["vehicles"]]
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(out / f"{name}.csv", index=False)
    settings = {
        "name": profile["name"],
        "description": profile.get("description", ""),
        "parameters": profile.get("parameters", {}),
        "network": {**profile.get("network", {}), "file": road_file.name},
    }
    (out / "scenario.yaml").write_text(
        yaml.safe_dump(settings, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def _members(
    profile: dict[str, Any], found: pd.DataFrame, rng: np.random.Generator
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    spec = profile["members"]
    kinds = spec.get("around", ["village", "hamlet"])
    exclude = set(spec.get("exclude", []))
    anchors = found[found["kind"].isin(kinds) & found["named"]]
    anchors = anchors[~anchors["name"].isin(exclude)].drop_duplicates("name")
    anchors = anchors.sort_values(["lat", "lon"]).reset_index(drop=True)
    if anchors.empty:
        raise SystemExit(f"no named places of kinds {kinds} in the extract")
    radius = float(spec.get("radius_m", 900))
    coops = profile["cooperatives"]
    shares = np.array([c["share"] for c in coops], dtype=float)
    counts = np.floor(shares / shares.sum() * spec["count"]).astype(int)
    counts[: spec["count"] - counts.sum()] += 1
    members, demand, supply = [], [], []
    number = 0
    for coop, count in zip(coops, counts, strict=True):
        sizes = rng.lognormal(0.0, float(coop.get("size_spread", 0.5)), size=count)
        median_size = float(np.median(sizes))
        for k in range(count):
            number += 1
            anchor = anchors.iloc[int(rng.integers(len(anchors)))]
            angle, dist = rng.uniform(0, 2 * math.pi), radius * math.sqrt(rng.uniform(0.05, 1))
            lat = anchor["lat"] + dist * math.cos(angle) / EARTH_M_PER_DEG
            lon = anchor["lon"] + dist * math.sin(angle) / (
                EARTH_M_PER_DEG * math.cos(math.radians(anchor["lat"]))
            )
            tags = []
            if sizes[k] < median_size * 0.8:
                tags.append("smallholder")
            for tag, share in spec.get("tags", {}).items():
                if rng.uniform() < share:
                    tags.append(tag)
            member_id = f"M{number:03d}"
            members.append(
                {
                    "id": member_id,
                    "name": f"{coop.get('member_name', 'Farm')} {anchor['name']} {k + 1}",
                    "cooperative": coop["id"],
                    "lat": round(lat, 6),
                    "lon": round(lon, 6),
                    "tags": ";".join(tags),
                    "service_min": coop.get("service_min", 10),
                    "window_open_h": coop.get("window_open_h", 0),
                    "window_close_h": coop.get("window_close_h", 24),
                }
            )
            for product, terms in coop.get("supply", {}).items():
                quantity = _round_quantity(terms["median"] * sizes[k])
                price = terms["farm_gate_price"] * rng.uniform(0.97, 1.03)
                supply.append(
                    {
                        "member": member_id,
                        "product": product,
                        "quantity": quantity,
                        "farm_gate_price": round(price, 4),
                    }
                )
            for product, terms in coop.get("demand", {}).items():
                if rng.uniform() > terms.get("share", 1.0):
                    continue
                quantity = _round_quantity(terms["median"] * sizes[k])
                price = terms["local_price"] * rng.uniform(0.96, 1.06)
                demand.append(
                    {
                        "member": member_id,
                        "product": product,
                        "quantity": quantity,
                        "local_price": round(price, 4),
                    }
                )
    return members, demand, supply


def _round_quantity(value: float) -> float:
    """Two significant digits: plans read better with round figures."""
    return max(1.0, float(f"{value:.2g}"))


def _place_lookup(found: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Place name -> (lat, lon): names from OSM first, then made-up ones ("works near X")."""
    lookup: dict[str, tuple[float, float]] = {}
    for _, row in pd.concat([found[found["named"]], found[~found["named"]]]).iterrows():
        name = str(row["name"]).strip()
        if name and name not in lookup:
            lookup[name] = (float(row["lat"]), float(row["lon"]))
    return lookup


def _locate(at: dict[str, Any], lookup: dict[str, tuple[float, float]]) -> tuple[float, float]:
    if "place" in at:
        if at["place"] not in lookup:
            raise SystemExit(f"no place named {at['place']!r} in the extract (see --list-places)")
        lat, lon = lookup[at["place"]]
    else:
        lat, lon = float(at["lat"]), float(at["lon"])
    north, east = at.get("offset_m", [0, 0])
    lat += north / EARTH_M_PER_DEG
    lon += east / (EARTH_M_PER_DEG * math.cos(math.radians(lat)))
    return lat, lon


if __name__ == "__main__":
    raise SystemExit(main())
