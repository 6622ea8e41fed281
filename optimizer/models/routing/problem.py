r"""Collection routing: trucks leave hubs, pick up at members, and end at a hub or a processor.

One problem description, :class:`RoutingProblem`, and two engines behind
:func:`solve_routes`: PyVRP (iterated local search) and OR-Tools routing (guided local
search). :func:`check_routes` verifies a result from the routes alone. PyVRP is the default:
on CVRPLIB A/B/E/P at 10 s it averages 0.10 % above the best known costs against 2.03 % for
OR-Tools, and it holds every feature too (``benchmarks/RESULTS-routing.md``).

Formulation
-----------
Sets
    :math:`L` locations (indices into ``distance`` and ``time``); :math:`D \subseteq L` depots;
    :math:`C` clients, client :math:`i` at location :math:`\ell_i`; :math:`K` vehicle types,
    type :math:`k` with ``count`` :math:`m_k` vehicles starting at depot :math:`s_k` and ending
    at location :math:`e_k` (:math:`s_k` when not given).
Data
    :math:`d_{ab}` = ``distance[a, b]``, :math:`t_{ab}` = ``time[a, b]`` (integers);
    :math:`q_i` = ``pickup``, :math:`\sigma_i` = ``service_time``, :math:`[a_i, b_i]` the time
    window, :math:`p_i` = ``skip_penalty`` (``None``: the client must be visited);
    :math:`Q_k` = ``payload``, :math:`c_k` = ``cost_per_distance``, :math:`f_k` = ``fixed_cost``,
    :math:`H_k` = ``max_duration``.
Decisions
    A set :math:`R` of routes; route :math:`r` has a vehicle type :math:`k_r`, a start time
    :math:`T_r` and a client sequence :math:`(i_1, \dots, i_n)`; :math:`S \subseteq C` the skipped
    clients.
Objective
    :math:`\min \sum_{r \in R} \big(f_{k_r} + c_{k_r} \sum_{(a,b) \in r} d_{ab}\big)
    + \sum_{i \in S} p_i`
Constraints
    - every client is on exactly one route, or skipped when :math:`p_i` is given;
    - at most :math:`m_k` routes of type :math:`k`;
    - load: :math:`\sum_{i \in r} q_i \le Q_{k_r}` (pickups only, so the load only grows);
    - schedule: arrival :math:`A_{i_j} = \max(A_{i_{j-1}}, a_{i_{j-1}}) + \sigma_{i_{j-1}}
      + t_{\ell_{i_{j-1}} \ell_{i_j}}` from :math:`T_r \ge` ``shift_start`` at :math:`s_{k_r}`;
      service starts at :math:`\max(A_i, a_i) \le b_i`; the truck is back at :math:`e_{k_r}`
      by ``shift_end``;
    - duration: arrival at :math:`e_{k_r}` minus :math:`T_r` is at most :math:`H_{k_r}`.

The engines work in integers: distances and times are integers already; cost rates, fixed costs
and penalties are scaled by a power of ten (:func:`cost_scale`) so that they become integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from optimizer.errors import InputError, Problem

__all__ = [
    "ENGINES",
    "Client",
    "Depot",
    "Engine",
    "RoutePlan",
    "RoutingProblem",
    "VehicleType",
    "cost_scale",
]

Engine = Literal["pyvrp", "ortools"]
ENGINES: tuple[str, ...] = ("pyvrp", "ortools")
_SOURCE = "routing problem"


def _bad(column: str, expected: str, value: object = None) -> InputError:
    return InputError(Problem(file=_SOURCE, column=column, value=value, expected=expected))


@dataclass(frozen=True)
class Depot:
    """A hub where vehicles start: its location index and a name."""

    location: int
    name: str = ""


@dataclass(frozen=True)
class Client:
    """A member to collect from.

    ``tw_late=None`` means no closing time; ``skip_penalty=None`` means the client must be
    visited, a number means it may be skipped at that cost (reported in the result).
    """

    location: int
    pickup: int = 0
    service_time: int = 0
    tw_early: int = 0
    tw_late: int | None = None
    skip_penalty: float | None = None
    name: str = ""


@dataclass(frozen=True)
class VehicleType:
    """``count`` identical trucks starting at depot ``start_depot`` (an index into the depots).

    They end at location ``end_location`` (a processor, another hub), or back at their depot
    when it is ``None``. ``max_duration=None`` means no limit on the route duration. Trucks
    leave no earlier than ``shift_start`` and are back no later than ``shift_end`` (``None``:
    no limit).
    """

    count: int
    payload: int
    start_depot: int = 0
    end_location: int | None = None
    cost_per_distance: float = 1.0
    fixed_cost: float = 0.0
    max_duration: int | None = None
    shift_start: int = 0
    shift_end: int | None = None
    name: str = ""


def _int_matrix(value: object, name: str) -> npt.NDArray[np.int64]:
    array = np.asarray(value)
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise _bad(name, "a square matrix", f"shape {array.shape}")
    integral = np.issubdtype(array.dtype, np.integer) or (
        np.issubdtype(array.dtype, np.floating)
        and bool(np.all(np.isfinite(array) & (array == np.round(array))))
    )
    if not integral:
        raise _bad(name, "a matrix of integers (scale and round before building)", array.dtype)
    out = array.astype(np.int64, copy=True)
    if (out < 0).any():
        raise _bad(name, "non-negative entries", int(out.min()))
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """A collection routing instance (see the module docstring for the formulation).

    ``distance`` and ``time`` are integer matrices over all locations (hubs, members,
    processors). ``coordinates`` (one ``x, y`` row per location) is optional; PyVRP uses it to
    guide its search.
    """

    depots: tuple[Depot, ...]
    clients: tuple[Client, ...]
    vehicle_types: tuple[VehicleType, ...]
    distance: npt.NDArray[np.int64]
    time: npt.NDArray[np.int64]
    coordinates: npt.NDArray[np.float64] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "depots", tuple(self.depots))
        object.__setattr__(self, "clients", tuple(self.clients))
        object.__setattr__(self, "vehicle_types", tuple(self.vehicle_types))
        distance = _int_matrix(self.distance, "distance")
        time_ = _int_matrix(self.time, "time")
        if distance.shape != time_.shape:
            raise _bad("time", f"the same shape as distance {distance.shape}", time_.shape)
        object.__setattr__(self, "distance", distance)
        object.__setattr__(self, "time", time_)
        n = distance.shape[0]
        if self.coordinates is not None:
            xy = np.asarray(self.coordinates, dtype=float)
            if xy.shape != (n, 2):
                raise _bad("coordinates", f"one (x, y) row per location, shape ({n}, 2)", xy.shape)
            object.__setattr__(self, "coordinates", xy)
        if not self.depots:
            raise _bad("depots", "at least one depot")
        if not self.vehicle_types:
            raise _bad("vehicle_types", "at least one vehicle type")
        for j, depot in enumerate(self.depots):
            if not 0 <= depot.location < n:
                raise _bad(
                    f"depots[{j}].location", f"a location index in 0..{n - 1}", depot.location
                )
        for i, c in enumerate(self.clients):
            where = f"clients[{i}]"
            if not 0 <= c.location < n:
                raise _bad(f"{where}.location", f"a location index in 0..{n - 1}", c.location)
            if c.pickup < 0:
                raise _bad(f"{where}.pickup", "a non-negative quantity", c.pickup)
            if c.service_time < 0:
                raise _bad(f"{where}.service_time", "a non-negative time", c.service_time)
            if c.tw_early < 0:
                raise _bad(f"{where}.tw_early", "a non-negative time", c.tw_early)
            if c.tw_late is not None and c.tw_late < c.tw_early:
                raise _bad(
                    f"{where}.tw_late", f"a time not before tw_early={c.tw_early}", c.tw_late
                )
            if c.skip_penalty is not None and not (
                math.isfinite(c.skip_penalty) and c.skip_penalty >= 0
            ):
                raise _bad(f"{where}.skip_penalty", "a non-negative number or None", c.skip_penalty)
        for k, v in enumerate(self.vehicle_types):
            where = f"vehicle_types[{k}]"
            if v.count < 1:
                raise _bad(f"{where}.count", "at least one vehicle", v.count)
            if v.payload < 0:
                raise _bad(f"{where}.payload", "a non-negative payload", v.payload)
            if not 0 <= v.start_depot < len(self.depots):
                raise _bad(
                    f"{where}.start_depot",
                    f"a depot index in 0..{len(self.depots) - 1}",
                    v.start_depot,
                )
            if v.end_location is not None and not 0 <= v.end_location < n:
                raise _bad(
                    f"{where}.end_location", f"a location index in 0..{n - 1}", v.end_location
                )
            if not (math.isfinite(v.cost_per_distance) and v.cost_per_distance >= 0):
                raise _bad(f"{where}.cost_per_distance", "a non-negative rate", v.cost_per_distance)
            if not (math.isfinite(v.fixed_cost) and v.fixed_cost >= 0):
                raise _bad(f"{where}.fixed_cost", "a non-negative cost", v.fixed_cost)
            if v.max_duration is not None and v.max_duration < 0:
                raise _bad(
                    f"{where}.max_duration", "a non-negative duration or None", v.max_duration
                )
            if v.shift_start < 0:
                raise _bad(f"{where}.shift_start", "a non-negative time", v.shift_start)
            if v.shift_end is not None and v.shift_end < v.shift_start:
                raise _bad(
                    f"{where}.shift_end",
                    f"a time not before shift_start={v.shift_start}",
                    v.shift_end,
                )

    @property
    def num_locations(self) -> int:
        return int(self.distance.shape[0])

    def start_location(self, vehicle_type: int) -> int:
        """The location index where vehicles of this type start."""
        return self.depots[self.vehicle_types[vehicle_type].start_depot].location

    def end_location(self, vehicle_type: int) -> int:
        """The location index where vehicles of this type end."""
        v = self.vehicle_types[vehicle_type]
        return self.start_location(vehicle_type) if v.end_location is None else v.end_location


def cost_scale(problem: RoutingProblem) -> int:
    """The power of ten by which the engines multiply cost rates, fixed costs and penalties.

    The smallest one that makes them all integers when there is one up to 10**9; otherwise the
    one that keeps at least five significant digits of the smallest positive value (say a cost
    per metre of 0.00135 becomes 1350 at 10**6), so rounding moves no cost by more than 0.01 %.
    The reported cost is always recomputed in the problem's own units.
    """
    values = [v.cost_per_distance for v in problem.vehicle_types]
    values += [v.fixed_cost for v in problem.vehicle_types]
    values += [c.skip_penalty for c in problem.clients if c.skip_penalty is not None]
    for power in range(10):
        scale = 10**power
        if all(
            x == 0 or (round(x * scale) >= 1 and abs(x * scale - round(x * scale)) <= 1e-6)
            for x in values
        ):
            return scale
    smallest = min(x for x in values if x > 0)
    return int(10 ** min(12, max(0, math.ceil(math.log10(1e4 / smallest)))))


@dataclass(frozen=True)
class RoutePlan:
    """What an engine decides for one route: the vehicle type, the client order, the start."""

    vehicle_type: int
    clients: tuple[int, ...]
    start_time: int = 0
