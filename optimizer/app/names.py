"""The names people know the scenario's things by, for every column or property holding ids."""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.scenario.scenario import Scenario

__all__ = ["labelled", "names_for"]


def names_for(scenario: Scenario) -> dict[str, dict[str, str]]:
    """Table column → id → name, for every column of the models' tables that holds ids."""
    members = {m.id: m.name for m in scenario.members}
    coops = {c.id: c.name for c in scenario.cooperatives}
    buyers = {b.id: b.name for b in scenario.buyers}
    hubs = {h.id: h.name for h in scenario.hubs}
    products = {p.id: p.name for p in scenario.products}
    return {
        "member": members,
        "cooperative": coops,
        "owner": coops,
        "player": {**members, **coops},
        "gaining_group": {**members, **coops},
        "buyer": buyers,
        "own_best_buyer": buyers,
        "planned_buyers": buyers,
        "supplier": {s.id: s.name for s in scenario.suppliers},
        "hub": hubs,
        "drop_point": hubs,
        "depot": hubs,
        "product": products,
        "products": products,
        "vehicle": {v.id: v.name for v in scenario.vehicles},
    }


def labelled(value: object, names: Mapping[str, str]) -> str:
    """An id as people know it: ``Name (ID)``; several joined by ``+`` or ``;`` each so; an
    id without a name (or named by itself) as it is."""
    text = str(value)
    for sep in ("+", ";"):
        if sep in text:
            return ", ".join(labelled(part.strip(), names) for part in text.split(sep))
    name = names.get(text)
    return f"{name} ({text})" if name and name != text else text
