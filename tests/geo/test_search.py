"""The search behind matrices and routes: dead-end pruning leaves every distance unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.geo import load_network
from optimizer.geo._search import _hanging, search
from optimizer.geo._snap import attach, snap

DATA = Path(__file__).parent / "data"
RIVER = DATA / "river.osm"
LIECHTENSTEIN = Path(__file__).parents[2] / "scenarios" / "liechtenstein" / "roads.osm.bz2"


def test_dead_ends_on_the_river_map() -> None:
    net = load_network(RIVER, cache=False)
    osm = net.osm_id[net.node_raw].tolist()
    core, toward_core = _hanging(net)
    # Only A (node 1) hangs off the rest, by B (node 2): every other graph node lies on
    # the cycles B-C-F and C-D-H-F (one-way D > H counts as a road for this).
    assert [osm[i] for i in np.flatnonzero(~core)] == [1]
    assert osm[toward_core[osm.index(1)]] == 2


@pytest.mark.parametrize("reverse", [False, True])
def test_pruned_search_gives_the_same_distances(tmp_path: Path, reverse: bool) -> None:
    net = load_network(LIECHTENSTEIN, cache_dir=tmp_path)
    core, _ = _hanging(net)
    assert (~core).sum() > net.n_nodes // 10  # plenty of dead ends to prune
    rng = np.random.default_rng(11)
    south, west, north, east = net.bbox
    points = np.column_stack([rng.uniform(south, north, 40), rng.uniform(west, east, 40)])
    snapped = snap(net, points, max_snap_m=2_000)
    sources = attach(net, snapped, leaving=not reverse)
    targets = attach(net, snapped, leaving=reverse)
    needed = np.concatenate([sources.node, targets.node])
    full = search(net, sources, 40, weight="time", reverse=reverse)
    pruned = search(net, sources, 40, weight="time", reverse=reverse, needed=needed)
    # Fewer nodes reached, the same distance to every node that matters.
    assert np.isfinite(pruned.dist).sum() < np.isfinite(full.dist).sum()
    np.testing.assert_array_equal(pruned.dist[:, needed], full.dist[:, needed])
