r"""What sharing hubs is worth, and a fair, stable split of it among cooperatives.

The players are the scenario's cooperatives. A coalition ``S`` plans its collection alone
(:func:`~optimizer.models.hubs.scenario.solve_coalition`: its members, the hubs they own, and
the shared hubs only for the whole network), every plan verified by
:func:`~optimizer.models.hubs.check_hubs`. Its cost is what it leaves on the table,
``C(S) = U(S) - V(S)``: the upper value ``U(S)`` of its produce (at the best buyer price,
with no transport) minus the net value ``V(S)`` its plan earns. The value of sharing is
``sum_i C({i}) - C(N)``.

Three splits of ``C(N)`` (:mod:`optimizer.models.sharing`): Shapley, least core and in
proportion to standalone cost, each with its core check. The chosen rule is Shapley when it
is stable, else the least core (stable whenever the core is not empty, else the split that
leaves the smallest gain to any group).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.models.hubs.check import check_hubs
from optimizer.models.hubs.data import HubResult
from optimizer.models.hubs.scenario import HubScenario, solve_coalition
from optimizer.models.sharing import (
    CoalitionGame,
    CoreCheck,
    Split,
    check_core,
    least_core_split,
    proportional_split,
    shapley_split,
)
from optimizer.results import Status

__all__ = ["RULES", "HubSharing", "hubs_game", "split_hubs"]

RULES = ("shapley", "least_core", "proportional")


@dataclass(frozen=True, eq=False)
class HubSharing:
    """The hubs game's splits, their stability, the chosen rule and the value of sharing.

    ``split`` has one row per cooperative: ``net_value_alone``, and for each rule
    ``net_value_RULE`` (its net value under the split) and ``gain_RULE`` (its gain over
    planning alone). ``stability`` has one row per rule (``rule, stable, verdict,
    gaining_group, gain``). ``statuses`` are those of every coalition's solve, the whole
    network's first; ``slack`` the sum of their absolute gaps (bound less plan): the most the
    value of sharing (and a cooperative's gain) can be off from the solves' stopping early.
    """

    cooperatives: tuple[str, ...]
    rules: Mapping[str, Split]
    cores: Mapping[str, CoreCheck]
    chosen: str
    value: float
    split: pd.DataFrame
    stability: pd.DataFrame
    statuses: tuple[Status, ...]
    currency: str = "EUR"
    slack: float = 0.0

    def gains(self) -> pd.Series:
        """Each cooperative's gain from sharing under the chosen rule."""
        return self.split.set_index("cooperative")[f"gain_{self.chosen}"]

    def summary(self, period: str = "week", names: Mapping[str, str] | None = None) -> str:
        """The value of sharing, the chosen split and each rule's verdict, in words; each
        cooperative by its name in ``names`` (the id beside it) when given."""
        chosen = self.chosen.replace("_", " ")
        known = names or {}

        def label(c: str) -> str:
            name = known.get(c)
            return f"{name} ({c})" if name and name != c else c

        gains = "; ".join(
            f"{label(str(c))} {g:+,.2f} {self.currency}" for c, g in self.gains().items()
        )
        return "\n".join(
            [
                f"value of sharing: {self.value:,.2f} {self.currency} a {period} "
                "(all cooperatives together against each alone)",
                f"split ({chosen}): {gains}",
                *(f"{name.replace('_', ' ')}: {c.message}" for name, c in self.cores.items()),
            ]
        )


def hubs_game(
    hs: HubScenario,
    grand: HubResult,
    *,
    time_limit: float,
    gap: float,
    currency: str = "EUR",
    statuses: list[Status] | None = None,
    labels: Mapping[str, str] | None = None,
    slacks: list[float] | None = None,
) -> CoalitionGame:
    """The cost game of cooperatives sharing hubs (see the module docstring).

    ``grand`` is the whole network's plan (solved and checked by the caller); every other
    coalition is solved when first asked for and its plan checked; a coalition without a plan
    raises ``RuntimeError``. Each solve's status is appended to ``statuses`` when given, its
    absolute gap (bound less plan) to ``slacks``.
    ``labels`` (cooperative id → name) names the cooperatives in the verdicts.
    """
    everyone = hs.cooperatives
    seen = statuses if statuses is not None else []
    gaps = slacks if slacks is not None else []

    def cost(coalition: frozenset[int]) -> float:
        names = [everyone[i] for i in coalition]
        if len(names) == len(everyone):
            net = grand.objective
        else:
            data, result, _, _ = solve_coalition(hs, names, time_limit=time_limit, gap=gap)
            if not result.status.has_solution:
                raise RuntimeError(f"no plan for cooperatives {', '.join(names)} alone")
            check = check_hubs(data, result)
            if not check.ok:
                raise RuntimeError(
                    f"the hubs plan of {', '.join(names)} failed its check: {check.problems}"
                )
            seen.append(result.status)
            gaps.append(absolute_gap(result))
            net = result.objective
        in_coalition = np.array([c in names for c in hs.member_coop])
        return float(hs.upper_value[in_coalition].sum() - net)

    return CoalitionGame(
        everyone,
        cost,
        currency=currency,
        noun="cooperatives",
        alone="run their collection",
        going_alone="running their collection",
        labels=labels,
    )


def split_hubs(
    hs: HubScenario,
    grand: HubResult,
    *,
    time_limit: float,
    gap: float,
    currency: str = "EUR",
    labels: Mapping[str, str] | None = None,
) -> HubSharing:
    """Split the whole network's plan ``grand`` among its cooperatives, three ways, and check
    each split's stability (see the module docstring); ``labels`` (cooperative id → name)
    names the group a verdict says would leave, its id beside."""
    statuses = [grand.status]
    slacks = [absolute_gap(grand)]
    game = hubs_game(
        hs,
        grand,
        time_limit=time_limit,
        gap=gap,
        currency=currency,
        statuses=statuses,
        labels=labels,
        slacks=slacks,
    )
    rules = {
        "shapley": shapley_split(game),
        "least_core": least_core_split(game),
        "proportional": proportional_split(game),
    }
    cores = {name: check_core(game, rule.shares) for name, rule in rules.items()}
    shapley = rules["shapley"]
    chosen = next((n for n in ("shapley", "least_core") if cores[n].stable), "least_core")
    return HubSharing(
        cooperatives=hs.cooperatives,
        rules=rules,
        cores=cores,
        chosen=chosen,
        value=float(shapley.standalone.sum() - shapley.total),
        split=_split_table(hs, rules),
        stability=_stability_table(cores),
        statuses=tuple(statuses),
        currency=currency,
        slack=float(sum(slacks)),
    )


def absolute_gap(result: HubResult) -> float:
    """How far a plan's net value may lie below the optimum: its bound less its value (0 for a
    proven optimum with no gap; infinite without a finite bound)."""
    if not math.isfinite(result.bound) or not math.isfinite(result.objective):
        return math.inf
    return max(0.0, float(result.bound - result.objective))


def _split_table(hs: HubScenario, rules: Mapping[str, Split]) -> pd.DataFrame:
    everyone = hs.cooperatives
    upper = np.array(
        [hs.upper_value[np.array([c == coop for c in hs.member_coop])].sum() for coop in everyone]
    )
    split = pd.DataFrame(
        {"cooperative": list(everyone), "net_value_alone": upper - rules["shapley"].standalone}
    )
    for name, rule in rules.items():
        split[f"net_value_{name}"] = upper - rule.shares
        split[f"gain_{name}"] = rule.standalone - rule.shares
    return split


def _stability_table(cores: Mapping[str, CoreCheck]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rule": name,
                "stable": core.stable,
                "verdict": core.message,
                "gaining_group": ", ".join(core.coalition),
                "gain": core.gain,
            }
            for name, core in cores.items()
        ]
    )
