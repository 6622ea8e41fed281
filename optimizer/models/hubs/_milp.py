r"""The hubs MILP written as arrays, with the members at one place merged into one commodity.

The formulation is :mod:`optimizer.models.hubs.solve`'s, with one change of variables: the
first-mile and direct flows are per *place* :math:`k` (a class of members whose distances to
every hub and every buyer are equal, e.g. farms snapped to the same road node), not per
member, while the farm-gate sales :math:`u_{mp}` stay per member (members differ in their
farm-gate price). With :math:`S_{kp} = \sum_{m \in k} s_{mp}`:

.. math::

    \sum_h F_{khp} + \sum_b D_{kbp} + \sum_{m \in k} u_{mp} = S_{kp}, \quad
    0 \le u_{mp} \le s_{mp},

every other row as written there with :math:`\sum_k F_{khp}` in place of
:math:`\sum_m f_{mhp}` and :math:`\sum_k D_{kbp}` in place of :math:`\sum_m d_{mbp}`.

**Why this is exact** (same optimum, and an optimal member plan is read back). Every cost
and revenue of a flow depends on the member only through its distances, which are equal
within a place. (1) A member plan aggregates to a place plan, :math:`F_{khp} = \sum_{m \in k}
f_{mhp}`, :math:`D_{kbp} = \sum_{m \in k} d_{mbp}`, of the same value: the supply rows add
up, and the hub, linking, capacity and intake rows see the same sums. (2) A place plan
disaggregates in proportion to what each member ships, :math:`r_{mp} = s_{mp} - u_{mp}`:
:math:`f_{mhp} = F_{khp} r_{mp} / \sum_{m' \in k} r_{m'p}` (and :math:`d` alike), of the
same value; each member's supply row holds because its share of
:math:`\sum_h F + \sum_b D = \sum_{m \in k} r_{mp}` is :math:`r_{mp}`, and every other
row sees the same sums again. So the two
models have the same optimal value, and (2) maps the solver's place plan to a member plan of
that value, which the independent check verifies member by member.

Direct arcs are written only where their net value beats the farm-gate price of at least
one member of the place with supply (where it beats none, selling at the farm gate is at
least as good for every member and leaves the buyer's intake free).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optimizer.models.hubs.data import HubData, HubPlan
from optimizer.solver_matrix import MatrixMilp

__all__ = ["HubMilp", "hub_milp"]

_TINY = 1e-9


@dataclass
class _Builder:
    """Columns and rows as they are written, block by block."""

    cost: list[np.ndarray] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    integer: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0
    entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    n_rows: int = 0

    def columns(self, cost: np.ndarray, lower: object, upper: object, whole: bool) -> np.ndarray:
        """Add ``len(cost)`` columns; their positions."""
        n = cost.size
        self.cost.append(np.asarray(cost, dtype=float))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        self.integer.append(np.full(n, whole))
        self.n_cols += n
        return np.arange(self.n_cols - n, self.n_cols)

    def rows(self, n: int, lower: object, upper: object) -> np.ndarray:
        """Add ``n`` rows with these bounds; their positions."""
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)))
        self.n_rows += n
        return np.arange(self.n_rows - n, self.n_rows)

    def put(self, rows: np.ndarray, cols: np.ndarray, values: object) -> None:
        """Coefficients ``values`` at ``(rows, cols)``."""
        values = np.broadcast_to(np.asarray(values, dtype=float), rows.shape)
        self.entries.append((rows, cols, values))

    def milp(self) -> MatrixMilp:
        def joined(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0)

        rows, cols, values = (joined([e[i] for e in self.entries]) for i in range(3))
        matrix = sp.csr_matrix(
            (values, (rows.astype(np.int64), cols.astype(np.int64))),
            shape=(self.n_rows, self.n_cols),
        )
        return MatrixMilp(
            cost=joined(self.cost),
            lower=joined(self.lower),
            upper=joined(self.upper),
            integer=joined(self.integer).astype(bool),
            matrix=matrix,
            row_lower=joined(self.row_lower),
            row_upper=joined(self.row_upper),
            maximise=True,
        )


@dataclass(frozen=True, eq=False)
class HubMilp:
    """The MILP and where each variable sits: ``y`` per hub; ``f`` columns with their
    (place, hub, product), ``t`` with (hub, buyer), ``g`` with (hub, buyer, product), ``d``
    with (place, buyer, product), ``u`` with (member, product); ``place`` per member."""

    data: HubData
    milp: MatrixMilp
    place: np.ndarray
    n_places: int
    y: np.ndarray
    f: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    t: tuple[np.ndarray, np.ndarray, np.ndarray]
    g: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    d: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    u: tuple[np.ndarray, np.ndarray, np.ndarray]

    def plan(self, x: np.ndarray) -> HubPlan:
        """The member plan of the column values ``x`` (tiny values cleaned; place flows
        shared among its members in proportion to what each ships, module docstring)."""
        data = self.data
        n_k, n_h, n_b, n_p = self.n_places, data.n_hubs, data.n_buyers, data.n_products
        x = np.where(np.abs(x) < _TINY, 0.0, x)
        big_f = np.zeros((n_k, n_h, n_p))
        col, k, h, p = self.f
        big_f[k, h, p] = x[col]
        big_d = np.zeros((n_k, n_b, n_p))
        col, k, b, p = self.d
        big_d[k, b, p] = x[col]
        g = np.zeros((n_h, n_b, n_p))
        col, h, b, p = self.g
        g[h, b, p] = x[col]
        t = np.zeros((n_h, n_b))
        col, h, b = self.t
        t[h, b] = np.round(x[col])
        u = np.zeros((data.n_members, n_p))
        col, m, p = self.u
        u[m, p] = x[col]
        shipped = np.clip(data.supply - u, 0.0, None)
        per_place = np.zeros((n_k, n_p))
        np.add.at(per_place, self.place, shipped)
        total = per_place[self.place]
        share = np.divide(shipped, total, out=np.zeros_like(shipped), where=total > 0)
        f = big_f[self.place] * share[:, None, :]
        d = big_d[self.place] * share[:, None, :]
        f[f < _TINY] = 0.0
        d[d < _TINY] = 0.0
        return HubPlan(f, g, d, u, t, x[self.y] > 0.5)


def places(data: HubData) -> tuple[np.ndarray, np.ndarray]:
    """Each member's place (members with equal distances to every hub and buyer share one)
    and one member of each place."""
    keys = np.concatenate([data.distance_member_hub_km, data.distance_member_buyer_km], axis=1)
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    _, first, place = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return np.asarray(place).reshape(-1), first


def hub_milp(data: HubData) -> HubMilp:
    """Write the MILP: one formulation, written as maths (the rows of
    :mod:`optimizer.models.hubs.solve`, over places; module docstring)."""
    n_h, n_b, n_p = data.n_hubs, data.n_buyers, data.n_products
    w, cap, supply = data.weight_kg, data.hub_capacity_kg, data.supply
    intake, value = data.intake_units, data.value_per_unit
    place, first = places(data)
    n_k = first.size
    dist_hub = data.distance_member_hub_km[first]
    dist_buyer = data.distance_member_buyer_km[first]
    big_s = np.zeros((n_k, n_p))
    np.add.at(big_s, place, supply)
    gate = np.full((n_k, n_p), math.inf)  # the lowest farm-gate price of a member with supply
    np.minimum.at(gate, place, np.where(supply > 0, data.farm_gate_per_unit, math.inf))
    out = _Builder()

    y = out.columns(-data.hub_fixed_cost, data.existing_mask.astype(float), 1.0, whole=True)
    # first mile F[k,h,p]
    reach = np.isfinite(dist_hub) & (cap[None, :] > 0)
    fk, fh, fp = np.nonzero(reach[:, :, None] & (big_s[:, None, :] > 0))
    unit = data.first_mile_cost_per_unit_km[fp] * dist_hub[fk, fh] + data.handling_per_unit[fh, fp]
    f = out.columns(-unit, 0.0, math.inf, whole=False)
    hub_in = np.zeros((n_h, n_p), dtype=bool)
    hub_in[fh, fp] = True
    used = np.asarray(hub_in.any(axis=1))
    # trucks t[h,b] and corridors g[h,b,p]
    th, tb = np.nonzero(np.isfinite(data.distance_hub_buyer_km) & used[:, None])
    payload = data.truck_payload_kg[th, tb]
    total_kg = float((supply * w[None, :]).sum())
    most = np.ceil(np.minimum(cap[th], total_kg) / payload - 1e-9)
    t = out.columns(-data.truck_cost[th, tb], 0.0, most, whole=True)
    tk, gp = np.nonzero(hub_in[th] & (intake[tb] > 0))
    gh, gb = th[tk], tb[tk]
    g = out.columns(value[gb, gp], 0.0, math.inf, whole=False)
    # direct D[k,b,p], only where it beats some member's farm gate
    net = value[None, :, :] - data.direct_cost_per_unit_km[None, None, :] * dist_buyer[:, :, None]
    with np.errstate(invalid="ignore"):
        worth: np.ndarray = np.isfinite(net) & (net > gate[:, None, :]) & (intake[None, :, :] > 0)
    dk, db, dp = np.nonzero(worth)
    d = out.columns(net[dk, db, dp], 0.0, math.inf, whole=False)
    # farm gate u[m,p], per member
    um, up = np.nonzero(supply > 0)
    u = out.columns(data.farm_gate_per_unit[um, up], 0.0, supply[um, up], whole=False)

    # supply: sum_h F + sum_b D + sum_{m in k} u = S
    row_of = np.full((n_k, n_p), -1)
    sk, sp_ = np.nonzero(big_s > 0)
    row_of[sk, sp_] = out.rows(sk.size, big_s[sk, sp_], big_s[sk, sp_])
    out.put(row_of[fk, fp], f, 1.0)
    out.put(row_of[dk, dp], d, 1.0)
    out.put(row_of[place[um], up], u, 1.0)
    # hub balance: sum_k F = sum_b g
    row_of = np.full((n_h, n_p), -1)
    bh, bp = np.nonzero(hub_in)
    row_of[bh, bp] = out.rows(bh.size, 0.0, 0.0)
    out.put(row_of[fh, fp], f, 1.0)
    out.put(row_of[gh, gp], g, -1.0)
    # hub capacity: sum w F <= Q y
    hubs = np.flatnonzero(used)
    cap_row = np.full(n_h, -1)
    cap_row[hubs] = out.rows(hubs.size, -math.inf, 0.0)
    out.put(cap_row[fh], f, w[fp])
    out.put(cap_row[hubs], y[hubs], -cap[hubs])
    # linking: sum_k F <= min(sum of the supply that reaches the hub, Q / w) y
    reach_units = np.zeros((n_h, n_p))
    np.add.at(reach_units, (fh, fp), big_s[fk, fp])
    link = np.full((n_h, n_p), -1)
    link[bh, bp] = out.rows(bh.size, -math.inf, 0.0)
    out.put(link[fh, fp], f, 1.0)
    out.put(link[bh, bp], y[bh], -np.minimum(reach_units[bh, bp], cap[bh] / w[bp]))
    # trucks cover loads: sum_p w g <= L t, and t <= most y
    load_rows = out.rows(t.size, -math.inf, 0.0)
    out.put(load_rows[tk], g, w[gp])
    out.put(load_rows, t, -payload)
    link_rows = out.rows(t.size, -math.inf, 0.0)
    out.put(link_rows, t, 1.0)
    out.put(link_rows, y[th], -most)
    # intake: sum_h g + sum_k D <= K, where K is finite and someone can deliver
    limited = np.isfinite(intake)
    reached = np.zeros((n_b, n_p), dtype=bool)
    reached[gb, gp] = True
    reached[db, dp] = True
    ib, ip = np.nonzero(limited & reached)
    row_of = np.full((n_b, n_p), -1)
    row_of[ib, ip] = out.rows(ib.size, -math.inf, intake[ib, ip])
    keep = row_of[gb, gp] >= 0
    out.put(row_of[gb, gp][keep], g[keep], 1.0)
    keep = row_of[db, dp] >= 0
    out.put(row_of[db, dp][keep], d[keep], 1.0)

    return HubMilp(
        data=data,
        milp=out.milp(),
        place=place,
        n_places=n_k,
        y=y,
        f=(f, fk, fh, fp),
        t=(t, th, tb),
        g=(g, gh, gb, gp),
        d=(d, dk, db, dp),
        u=(u, um, up),
    )
