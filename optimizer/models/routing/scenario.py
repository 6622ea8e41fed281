"""Scenario adapter for collection routing: one routing problem per group of vehicle types.

Vehicle types that collect the same produce (``vehicles.products``; empty means any) form a
group; each group gets one :class:`~optimizer.models.routing.solve.RoutingProblem` whose clients
are the members supplying that produce. A collection run picks up
``quantity × weight_kg / parameters.collection_days`` kilograms at each member (the produce of
one collection day), within the member's window (``window_open_h``–``window_close_h``) and
service time (``service_min``). Trucks start at their depot hub and end there, or at their
``end_buyer`` (a processor). Travel times are the road times divided by the vehicle type's
``speed_factor``; each km costs ``cost_per_km × fuel_price_factor`` (the one transport rule,
:func:`optimizer.models.transport.vehicle_km_cost`). A tour lasts at most the vehicle's
``max_route_h`` and, for perishable produce, its ``perishability_h`` (the time from the first
pickup to the buyer is shorter than the whole tour, so this is on the safe side).

A member that cannot be collected (a window no truck can meet, too much for any truck, or
not worth the detour) is skipped at a penalty equal to the farm-gate value of its
collection-day produce, and reported, never dropped silently. Members supplying a produce that
no vehicle type carries get a group of their own with no search, every one of them excluded
saying "no vehicle for the produce". Distances and times arrive as
plain arrays over the scenario's locations (metres and seconds; ``inf`` where there is no road).

Each group's problem holds only its own places (its depots, its members, its end buyers), and
places at the same spot on the roads (the same road node: the same trips to and from every
place) share one location: the road search and the engine get one row per spot of the group,
never the square of every stop (15,000 members around the ladder's villages join the roads at
2,877 nodes). :attr:`RouteGroup.places` maps the problem's locations back to the scenario's
(one place standing for each spot); a client's own place is its member's.

Places without a road between them (the rule): no engine ever sees a made-up huge number.

- A vehicle type collects a member only if there is a road from its depot to the member and
  from the member to its end (the end buyer, or the depot). A member no type of its group can
  collect is left out of the problem, in :attr:`RouteGroup.excluded` with the reason
  ("unreachable by road: no road from the depot hub H" / "to the end buyer B").
- A depot (or end) that no member of the group reaches (or is reached from) is cut off: its
  vehicle types are left out (:attr:`RouteGroup.notes`); when every type of a group is, the
  group is not searched and every member is excluded saying which place is cut off.
- Pairs still without a road inside a problem (say a member to the depot of a type that ends
  at a buyer, or between members when the end buyer has no road back to the depot) get a
  bounded, honest value no feasible route can use: a time one second longer than the longest
  route any of the group's types may drive (so a route over that pair breaks its maximum
  duration, a hard constraint in both engines), and a distance equal to the longest road of
  every row summed plus one metre (more than any route over real roads). Every place kept has
  a real route alone (depot, member, end), so no member is lost to the bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.errors import InputError, Problem
from optimizer.models.routing.problem import Client, Depot, RoutingProblem, VehicleType
from optimizer.models.transport import vehicle_km_cost

if TYPE_CHECKING:
    from optimizer.scenario.scenario import Scenario

__all__ = [
    "Locations",
    "RouteGroup",
    "Trips",
    "each_route_group",
    "route_groups",
    "routing_locations",
    "routing_problems",
]


@dataclass(frozen=True)
class Locations:
    """Every place a route can touch: ``kind`` is ``hub``, ``member`` or ``buyer``."""

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray

    @cached_property
    def _at(self) -> dict[tuple[str, str], int]:
        """Each place's index by kind and id (the first, as a scan finds it)."""
        at: dict[tuple[str, str], int] = {}
        for i, key in enumerate(zip(self.kinds, self.ids, strict=True)):
            at.setdefault(key, i)
        return at

    def index(self, kind: str, id: str) -> int:
        try:
            return self._at[(kind, id)]
        except KeyError:
            raise KeyError(f"no {kind} {id!r} among the routing locations") from None


@dataclass(frozen=True, eq=False)
class RouteGroup:
    """One routing problem: which products, which vehicle types, which members.

    ``member_ids`` are the problem's clients; ``excluded`` the group's other members, with the
    reason no vehicle of the group can collect them by road. ``places`` are the indices into
    the scenario's :class:`Locations` of the problem's locations (the problem's location ``j``
    stands for ``places[j]`` and every place at the same spot on the roads): the problem holds
    the group's places only.
    """

    products: tuple[str, ...]
    vehicle_ids: tuple[str, ...]
    member_ids: tuple[str, ...]
    problem: RoutingProblem
    cost_scale: float  # cost units per currency unit in ``problem``
    excluded: tuple[tuple[str, str, float], ...] = ()  # (member, why, penalty) left out
    notes: tuple[str, ...] = ()  # vehicle types left out, and why
    places: tuple[int, ...] = ()  # the scenario's location of each of the problem's locations


def routing_locations(scenario: Scenario) -> Locations:
    """The depots of the vehicles, every member, and the buyers where routes end."""
    if not scenario.vehicles:
        raise InputError(
            Problem(scenario.name, "vehicle types for collection routing", column="vehicles")
        )
    depots = sorted({v.depot for v in scenario.vehicles})
    ends = sorted({v.end_buyer for v in scenario.vehicles if v.end_buyer})
    rows: list[tuple[str, Any]] = [("hub", scenario.hub(h)) for h in depots]
    rows += [("member", m) for m in scenario.members]
    rows += [("buyer", scenario.buyer(b)) for b in ends]
    return Locations(
        ids=tuple(r.id for _, r in rows),
        kinds=tuple(k for k, _ in rows),
        lat=np.array([r.lat for _, r in rows]),
        lon=np.array([r.lon for _, r in rows]),
    )


#: Road distances (m) and times (s) among the given places (indices into :class:`Locations`),
#: square, ``inf`` where there is no road: how :func:`route_groups` asks for a group's roads.
Trips = Callable[[list[int]], tuple[np.ndarray, np.ndarray]]


def routing_problems(
    scenario: Scenario, locations: Locations, distance_m: np.ndarray, time_s: np.ndarray
) -> list[RouteGroup]:
    """:func:`route_groups` from matrices over every location (each place a spot of its own)."""
    distance = np.asarray(distance_m, float)
    times = np.asarray(time_s, float)
    return route_groups(
        scenario, locations, lambda at: (distance[np.ix_(at, at)], times[np.ix_(at, at)])
    )


def route_groups(
    scenario: Scenario, locations: Locations, trips: Trips, spots: np.ndarray | None = None
) -> list[RouteGroup]:
    """One routing problem per group of vehicle types collecting the same produce.

    ``trips`` gives the roads among a group's places, asked once per group. ``spots`` numbers
    each location's spot on the roads: places at the same spot have the same trips (the same
    road node), so they share one location of the problem and the matrices hold one row per
    spot (by default each place is a spot of its own). Places without a road between them
    never reach an engine as huge numbers: see the module docstring for the rule.
    """
    return list(each_route_group(scenario, locations, trips, spots))


def each_route_group(
    scenario: Scenario, locations: Locations, trips: Trips, spots: np.ndarray | None = None
) -> Iterator[RouteGroup]:
    """:func:`route_groups` one group at a time, each built when asked for (so that a group
    can be searched while the next one's roads are)."""
    spot = np.arange(len(locations.ids)) if spots is None else np.asarray(spots)
    produce = {p.id: p for p in scenario.products if p.kind == "produce"}
    groups: dict[tuple[str, ...], list[str]] = {}
    for vehicle in scenario.vehicles:
        key = tuple(sorted(vehicle.products)) if vehicle.products else tuple(sorted(produce))
        groups.setdefault(key, []).append(vehicle.id)
    vehicles = {v.id: v for v in scenario.vehicles}
    for products, vehicle_ids in groups.items():
        pickup, value = _collection_day(scenario, products, produce)
        members = [m for m in scenario.members if pickup.get(m.id, 0.0) > 0]
        if members:
            types = [vehicles[v] for v in vehicle_ids]
            ways = _Ways(locations, spot, _group_places(locations, types, members), trips)
            yield _group(scenario, ways, products, types, members, (pickup, value), produce)
    carried = {p for products in groups for p in products}
    for product in sorted(set(produce) - carried):
        yield from _uncarried(scenario, locations, spot, product, produce, trips)


def _group_places(locations: Locations, types: list[Any], members: list[Any]) -> list[int]:
    """The locations a group may touch: its depots, its end buyers and its members."""
    return [
        *(locations.index("hub", v.depot) for v in types),
        *(locations.index("buyer", v.end_buyer) for v in types if v.end_buyer),
        *(locations.index("member", m.id) for m in members),
    ]


class _Ways:
    """A group's roads over one place per spot: ``road``, ``distance`` and ``time`` among the
    spots (``at(kind, id)`` is a place's row), and ``places[j]`` the location standing for
    spot ``j``."""

    def __init__(
        self, locations: Locations, spot: np.ndarray, places: list[int], trips: Trips
    ) -> None:
        self.locations = locations
        self.row: dict[int, int] = {}
        self.places: list[int] = []
        self.spot = spot
        for place in places:
            if int(spot[place]) not in self.row:
                self.row[int(spot[place])] = len(self.places)
                self.places.append(place)
        distance, time_s = trips(self.places)
        self.distance = np.asarray(distance, float)
        self.time = np.asarray(time_s, float)
        self.road = np.isfinite(self.distance) & np.isfinite(self.time)

    def at(self, kind: str, id: str) -> int:
        return self.row[int(self.spot[self.locations.index(kind, id)])]


def _group(
    scenario: Scenario,
    ways: _Ways,
    products: tuple[str, ...],
    types: list[Any],
    members: list[Any],
    collected: tuple[dict[str, float], dict[str, float]],
    produce: dict[str, Any],
) -> RouteGroup:
    """One group's problem over the spots of its depots, ends and the members it can reach."""
    pickup, value = collected
    locations = ways.locations
    reach = _Reach(ways, types, [m.id for m in members])
    kept = [m for m in members if reach.served_by(m.id)]
    kept_ids = {m.id for m in kept}
    used = [v for v in types if reach.serves_any(v)] or types
    fresh_h = min((produce[p].perishability_h or math.inf for p in products), default=math.inf)
    depot_ids = sorted({v.depot for v in used})
    rows = sorted(
        {ways.at("hub", h) for h in depot_ids}
        | {ways.at("buyer", v.end_buyer) for v in used if v.end_buyer}
        | {ways.at("member", m.id) for m in kept}
    )
    local = {row: j for j, row in enumerate(rows)}

    def where(kind: str, id: str) -> int:
        return local[ways.at(kind, id)]

    vehicle_types = _vehicle_types(scenario, used, depot_ids, fresh_h, where)
    longest = max(v.max_duration or 0 for v in vehicle_types)
    # one time matrix per group: the slowest type's speed factor, so every type keeps time
    slowest = min(v.speed_factor for v in used)
    among = np.ix_(rows, rows)
    sub_road = ways.road[among]
    sub_distance = ways.distance[among]
    places = [ways.places[r] for r in rows]
    problem = RoutingProblem(
        depots=tuple(Depot(where("hub", h), name=h) for h in depot_ids),
        clients=_clients(kept, pickup, value, where),
        vehicle_types=vehicle_types,
        distance=_bounded(sub_distance, sub_road, _distance_bound(sub_distance, sub_road)),
        time=_bounded(ways.time[among] / slowest, sub_road, longest + 1),
        coordinates=np.c_[locations.lon, locations.lat][places],
        name=f"{scenario.name}: {', '.join(products)}",
    )
    excluded = tuple(
        (m.id, reach.reason(m.id), max(value[m.id], 1.0)) for m in members if m.id not in kept_ids
    )
    return RouteGroup(
        products,
        tuple(v.id for v in used),
        tuple(m.id for m in kept),
        problem,
        1.0,
        excluded=excluded,
        notes=reach.notes(),
        places=tuple(places),
    )


def _clients(
    kept: list[Any],
    pickup: dict[str, float],
    value: dict[str, float],
    where: Callable[[str, str], int],
) -> tuple[Client, ...]:
    """The members a group collects from, at their spots among the group's (``where``)."""
    return tuple(
        Client(
            location=where("member", m.id),
            pickup=round(pickup[m.id]),
            service_time=round(m.service_min * 60),
            tw_early=round(m.window_open_h * 3600),
            tw_late=round(m.window_close_h * 3600),
            skip_penalty=max(value[m.id], 1.0),
            name=m.id,
        )
        for m in kept
    )


def _uncarried(
    scenario: Scenario,
    locations: Locations,
    spot: np.ndarray,
    product: str,
    produce: dict[str, Any],
    trips: Trips,
) -> list[RouteGroup]:
    """A group with no search for a produce no vehicle type carries: its suppliers are all
    excluded, saying so (before, they were left out of every table without a word)."""
    pickup, value = _collection_day(scenario, (product,), produce)
    members = [m.id for m in scenario.members if pickup.get(m.id, 0.0) > 0]
    if not members:
        return []
    some = scenario.vehicles[0]  # a problem with no clients still needs a truck and a depot
    ways = _Ways(locations, spot, _group_places(locations, [some], []), trips)
    types = _vehicle_types(scenario, [some], [some.depot], math.inf, ways.at)
    bounded = _bounded(ways.distance, ways.road, _distance_bound(ways.distance, ways.road))
    problem = RoutingProblem(
        depots=(Depot(ways.at("hub", some.depot), name=some.depot),),
        clients=(),
        vehicle_types=types,
        distance=bounded,
        time=np.zeros_like(bounded),  # no client: no trip is ever timed
        coordinates=np.c_[locations.lon, locations.lat][ways.places],
        name=f"{scenario.name}: {product} (no vehicle)",
    )
    why = f"no vehicle for the produce: no vehicle type carries {product} (vehicles.products)"
    excluded = tuple((m, why, max(value[m], 1.0)) for m in members)
    return [
        RouteGroup((product,), (), (), problem, 1.0, excluded=excluded, places=tuple(ways.places))
    ]


def _collection_day(
    scenario: Scenario, products: tuple[str, ...], produce: dict[str, Any]
) -> tuple[dict[str, float], dict[str, float]]:
    """Kilograms and farm-gate value of one collection day's produce, per member."""
    days = scenario.parameters.collection_days
    pickup: dict[str, float] = {}
    value: dict[str, float] = {}
    for row in scenario.supply:
        if row.product in products:
            kg = row.quantity * produce[row.product].weight_kg / days
            pickup[row.member] = pickup.get(row.member, 0.0) + kg
            value[row.member] = value.get(row.member, 0.0) + row.quantity / days * (
                row.farm_gate_price
            )
    return pickup, value


def _vehicle_types(
    scenario: Scenario,
    types: list[Any],
    depot_ids: list[str],
    fresh_h: float,
    where: Callable[[str, str], int],
) -> tuple[VehicleType, ...]:
    """The vehicle types; their end locations are the problem's (``where(kind, id)``)."""
    fuel = scenario.parameters.fuel_price_factor
    return tuple(
        VehicleType(
            count=v.count,
            payload=int(v.payload_kg),
            start_depot=depot_ids.index(v.depot),
            end_location=None if not v.end_buyer else where("buyer", v.end_buyer),
            cost_per_distance=vehicle_km_cost(v, fuel) / 1000,
            fixed_cost=v.fixed_cost,
            max_duration=int(min(v.max_route_h, fresh_h) * 3600),
            name=v.id,
        )
        for v in types
    )


class _Reach:
    """Which members of a group each vehicle type can reach by road, and why not in words."""

    def __init__(self, ways: _Ways, types: list[Any], members: list[str]) -> None:
        self.types = types
        self.road = road = ways.road
        self.where = {m: ways.at("member", m) for m in members}
        self.start = {v.id: ways.at("hub", v.depot) for v in types}
        self.end = {
            v.id: ways.at("buyer", v.end_buyer) if v.end_buyer else self.start[v.id] for v in types
        }
        spots = list(self.where.values())
        # a place is cut off when no member of the group reaches it (or it reaches none)
        self.depot_cut = {v.depot for v in types if not road[self.start[v.id], spots].any()}
        self.end_cut = {self._end_name(v) for v in types if not road[spots, self.end[v.id]].any()}

    @staticmethod
    def _end_name(v: Any) -> str:
        return f"end buyer {v.end_buyer}" if v.end_buyer else f"depot hub {v.depot}"

    def _serves(self, v: Any, member: str) -> bool:
        at = self.where[member]
        return bool(self.road[self.start[v.id], at] and self.road[at, self.end[v.id]])

    def served_by(self, member: str) -> bool:
        return any(self._serves(v, member) for v in self.types)

    def serves_any(self, v: Any) -> bool:
        return any(self._serves(v, m) for m in self.where)

    def reason(self, member: str) -> str:
        """Why no vehicle of the group can collect ``member``, in words."""
        live = [
            v
            for v in self.types
            if v.depot not in self.depot_cut and self._end_name(v) not in self.end_cut
        ]
        if not live:
            v = self.types[0]
            place = f"depot hub {v.depot}" if v.depot in self.depot_cut else self._end_name(v)
            return f"not searched: the {place} is cut off by road from every member"
        v = live[0]
        if not self.road[self.start[v.id], self.where[member]]:
            return f"unreachable by road: no road from the depot hub {v.depot}"
        return f"unreachable by road: no road to the {self._end_name(v)}"

    def notes(self) -> tuple[str, ...]:
        """Vehicle types left out because their depot or end is cut off."""
        out = [
            f"vehicle {v.id} not used: its depot hub {v.depot} is cut off by road"
            for v in self.types
            if v.depot in self.depot_cut
        ]
        out += [
            f"vehicle {v.id} not used: its {self._end_name(v)} is cut off by road"
            for v in self.types
            if v.depot not in self.depot_cut and self._end_name(v) in self.end_cut
        ]
        return tuple(out)


def _distance_bound(distance: np.ndarray, road: np.ndarray) -> int:
    """More than any route over real roads can drive: the longest road of each row, summed."""
    finite = np.where(road, distance, 0.0)
    return int(np.round(finite.max(axis=1, initial=0.0)).sum()) + 1


def _bounded(values: np.ndarray, road: np.ndarray, bound: int) -> np.ndarray:
    """Integers, with ``bound`` where there is no road; zero from a place to itself (a place
    left unreached, far from any road, has no road even to itself in the travel matrix)."""
    out = np.where(road, np.round(np.where(road, values, 0.0)), bound).astype(np.int64)
    np.fill_diagonal(out, 0)
    return out
