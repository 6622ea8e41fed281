"""What each model reads of a scenario, and a digest of just that (to reuse a run).

A what-if that changes only what a model never reads (discount thresholds for the markets
model, buyers' prices for procurement) leaves that model's run as it is: a face that keys
its cached runs on :func:`input_digest` reuses the run instead of solving again. Every model
reads the settings, products, cooperatives and where each place is (members, suppliers,
buyers and hubs: the road snapping and its warnings); :data:`READS` names the tables it reads
whole. A model not listed there is keyed on the whole scenario.
"""

from __future__ import annotations

import hashlib
import json

from optimizer.scenario.scenario import Scenario

__all__ = ["ALWAYS_READ", "PLACE_COLUMNS", "READS", "input_digest"]

# the tables each model reads whole (tests/pipeline/test_inputs.py changes every other one)
READS: dict[str, frozenset[str]] = {
    "procurement": frozenset({"members", "demand", "suppliers", "offers", "brackets", "hubs"}),
    "markets": frozenset({"members", "supply", "buyers", "buyer_prices"}),
    "hubs": frozenset({"members", "supply", "buyers", "buyer_prices", "hubs", "vehicles"}),
    "routes": frozenset({"members", "supply", "buyers", "hubs", "vehicles"}),
}
# what every model reads of a place table it does not read whole
PLACE_COLUMNS = ("id", "name", "lat", "lon")
_PLACES = ("members", "suppliers", "buyers", "hubs")
# the tables every model reads whole
ALWAYS_READ = ("products", "cooperatives")
_ALWAYS = ("name", "parameters", "network", *ALWAYS_READ)


def input_digest(scenario: Scenario, model: str) -> str:
    """A short hash of what ``model`` reads of ``scenario`` (of all of it for an unknown
    model): two scenarios with the same digest give the model the same inputs."""
    reads = READS.get(model)
    if reads is None:
        text = scenario.model_dump_json()
    else:
        data = scenario.model_dump(mode="json", include={*_ALWAYS, *reads, *_PLACES})
        for table in _PLACES:
            if table not in reads:
                data[table] = [{k: row.get(k) for k in PLACE_COLUMNS} for row in data[table]]
        text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()[:20]
