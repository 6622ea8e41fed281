"""Roads benchmark: network load (cold, cached) and a 1,000 x 50 travel matrix.

``python benchmarks/run.py roads [--data FILE] [--points 1000] [--buyers 50] [--seed 0]
[--repeat 5] [--routes 200] [--route-buyers 10] [--out results.json]``

Measured in one run on the same graph: load from the OSM file with an empty cache and
again from the cache; ``travel_matrix`` for N random points x B buyers (wall time and
CPU time of this process, median and best of ``--repeat``: on a shared machine the CPU
time is the steadier figure); ``route_geometries`` for R random points, each to one of a
few buyers (the map of a market plan), with the same timing; the same matrix numbers
with a networkx loop (one single-source Dijkstra per buyer on the reversed graph, the
fastest way networkx offers, and one ``shortest_path_length`` per pair, timed on a sample
and scaled up); pandana's contraction hierarchies (preprocessing + queries) when pandana
is installed. Equality with networkx is checked on points placed at graph nodes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from optimizer.geo import load_network, route_geometries, travel_matrix

DEFAULT_DATA = (
    Path(__file__).resolve().parent.parent / "scenarios" / "mecklenburg" / "roads.osm.bz2"
)


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"run.py {name}")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pairs-sample", type=int, default=200)
    parser.add_argument("--routes", type=int, default=200)
    parser.add_argument("--route-buyers", type=int, default=10)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    results = run(args)
    print(_table(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    return 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "data": str(args.data),
        "points": args.points,
        "buyers": args.buyers,
        "routes": args.routes,
        "route_buyers": args.route_buyers,
    }
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        net = load_network(args.data, cache_dir=cache)
        out["load_cold_s"] = time.perf_counter() - started
        warm = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            load_network(args.data, cache_dir=cache)
            warm.append(time.perf_counter() - started)
        out["load_cached_s"] = statistics.median(warm)
    out["nodes"], out["edges"] = net.n_nodes, net.n_edges
    rng = np.random.default_rng(args.seed)
    south, west, north, east = net.bbox
    points = np.column_stack(
        [rng.uniform(south, north, args.points), rng.uniform(west, east, args.points)]
    )
    buyers = points[rng.choice(args.points, args.buyers, replace=False)]
    travel_matrix(net, points[:10], buyers[:2], cache=False)  # first-use set-up (CSR arrays)
    out.update(
        _timed("matrix", args.repeat, lambda: travel_matrix(net, points, buyers, cache=False))
    )
    travel_matrix(net, points, buyers)
    started = time.perf_counter()
    travel_matrix(net, points, buyers)
    out["matrix_cached_s"] = time.perf_counter() - started

    # Route lines for a map: R members, each to one of a few buyers.
    members = np.column_stack(
        [rng.uniform(south, north, args.routes), rng.uniform(west, east, args.routes)]
    )
    pairs = pd.DataFrame(
        {
            "origin_lat": members[:, 0],
            "origin_lon": members[:, 1],
            "destination_lat": buyers[np.arange(args.routes) % args.route_buyers, 0],
            "destination_lon": buyers[np.arange(args.routes) % args.route_buyers, 1],
        }
    )
    routes = route_geometries(net, pairs)
    out.update(_timed("routes", args.repeat, lambda: route_geometries(net, pairs)))
    out["routes_drawn"] = int(routes.geometry.notna().sum())

    # The same sizes at graph nodes, for the comparison with networkx and pandana.
    o_nodes = rng.choice(net.n_nodes, args.points, replace=True)
    d_nodes = rng.choice(net.n_nodes, args.buyers, replace=False)
    o_xy = np.column_stack([net.node_lat[o_nodes], net.node_lon[o_nodes]])
    d_xy = np.column_stack([net.node_lat[d_nodes], net.node_lon[d_nodes]])
    ours = travel_matrix(net, o_xy, d_xy, cache=False)
    out.update(
        _timed("matrix_at_nodes", args.repeat, lambda: travel_matrix(net, o_xy, d_xy, cache=False))
    )

    started = time.perf_counter()
    graph = net.graph
    out["nx_graph_build_s"] = time.perf_counter() - started
    ids = net.osm_id[net.node_raw]
    reverse = graph.reverse(copy=False)
    started, started_cpu = time.perf_counter(), time.process_time()
    ref = np.full((args.points, args.buyers), np.inf)
    for j, d in enumerate(d_nodes):
        lengths = nx.single_source_dijkstra_path_length(reverse, ids[d], weight="travel_time")
        ref[:, j] = [lengths.get(ids[o], np.inf) for o in o_nodes]
    out["nx_loop_s"] = time.perf_counter() - started
    out["nx_loop_cpu_s"] = time.process_time() - started_cpu
    both = np.isfinite(ref) & np.isfinite(ours.time_s)
    out["equal_to_networkx"] = bool(
        (np.isfinite(ref) == np.isfinite(ours.time_s)).all()
        and np.allclose(ref[both], ours.time_s[both], rtol=1e-9, atol=1e-9)
    )
    out["max_abs_diff_s"] = float(np.abs(ref[both] - ours.time_s[both]).max())
    sample = min(args.pairs_sample, args.points * args.buyers)
    started = time.perf_counter()
    for k in range(sample):
        o, d = ids[o_nodes[k % args.points]], ids[d_nodes[k % args.buyers]]
        with contextlib.suppress(nx.NetworkXNoPath):
            nx.shortest_path_length(graph, o, d, weight="travel_time")
    out["nx_per_pair_s"] = (time.perf_counter() - started) / sample * args.points * args.buyers
    out.update(_pandana(net, o_nodes, d_nodes, ours.time_s))
    out["speedup_vs_nx_loop"] = out["nx_loop_s"] / out["matrix_at_nodes_s"]
    out["speedup_vs_nx_loop_cpu"] = out["nx_loop_cpu_s"] / out["matrix_at_nodes_cpu_s"]
    out["speedup_vs_nx_per_pair"] = out["nx_per_pair_s"] / out["matrix_at_nodes_s"]
    return out


def _timed(name: str, repeat: int, call: Callable[[], object]) -> dict[str, float]:
    """Median and best wall time and CPU time (this process) of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {
        f"{name}_s": statistics.median(wall),
        f"{name}_best_s": min(wall),
        f"{name}_cpu_s": statistics.median(cpu),
        f"{name}_cpu_best_s": min(cpu),
    }


def _pandana(net: Any, o_nodes: Any, d_nodes: Any, ours: Any) -> dict[str, Any]:
    try:
        import pandana  # type: ignore[import-untyped]
        import pandas as pd
    except ImportError:
        return {"pandana": "not installed"}
    edges = net.edges()
    edges = edges[edges["open"]]
    started = time.perf_counter()
    nodes = pd.DataFrame({"x": net.node_lon, "y": net.node_lat})
    network = pandana.Network(
        nodes["x"],
        nodes["y"],
        edges["u"],
        edges["v"],
        pd.DataFrame({"time_s": edges["time_s"].to_numpy()}),
        twoway=False,
    )
    built = time.perf_counter() - started
    started = time.perf_counter()
    a = np.repeat(o_nodes, len(d_nodes))
    b = np.tile(d_nodes, len(o_nodes))
    values = np.asarray(network.shortest_path_lengths(a, b, imp_name="time_s"), dtype=float)
    query = time.perf_counter() - started
    values = values.reshape(len(o_nodes), len(d_nodes))
    unreachable = values >= 4_294_967  # pandana's marker for no path
    finite = np.isfinite(ours) & ~unreachable
    return {
        "pandana_build_s": built,
        "pandana_query_s": query,
        "pandana_total_s": built + query,
        "pandana_max_abs_diff_s": float(np.abs(values[finite] - ours[finite]).max()),
    }


def _table(r: dict[str, Any]) -> str:
    rows = [
        ("network", f"{Path(r['data']).name}: {r['nodes']:,} nodes, {r['edges']:,} edges"),
        ("load, cold (pyosmium + build)", f"{r['load_cold_s']:.2f} s"),
        ("load, from cache", f"{r['load_cached_s']:.3f} s"),
        (f"matrix {r['points']} random points x {r['buyers']} buyers, wall",
         f"{r['matrix_s']:.3f} s (best {r['matrix_best_s']:.3f} s)"),
        ("same matrix, CPU time",
         f"{r['matrix_cpu_s']:.3f} s (best {r['matrix_cpu_best_s']:.3f} s)"),
        ("same matrix again (cached)", f"{r['matrix_cached_s'] * 1000:.2f} ms"),
        (f"{r['routes']} route geometries to {r['route_buyers']} buyers "
         f"({r['routes_drawn']} drawn), wall",
         f"{r['routes_s']:.3f} s (best {r['routes_best_s']:.3f} s)"),
        ("same routes, CPU time",
         f"{r['routes_cpu_s']:.3f} s (best {r['routes_cpu_best_s']:.3f} s)"),
        (f"matrix {r['points']} x {r['buyers']} at graph nodes, wall / CPU",
         f"{r['matrix_at_nodes_s']:.3f} s / {r['matrix_at_nodes_cpu_s']:.3f} s"),
        ("networkx: single-source Dijkstra per buyer, wall / CPU",
         f"{r['nx_loop_s']:.2f} s / {r['nx_loop_cpu_s']:.2f} s "
         f"({r['speedup_vs_nx_loop']:.0f}x / {r['speedup_vs_nx_loop_cpu']:.0f}x slower)"),
        ("networkx: shortest_path_length per pair (scaled)", f"{r['nx_per_pair_s']:.1f} s "
         f"({r['speedup_vs_nx_per_pair']:.0f}x slower)"),
        ("equal to networkx", f"{r['equal_to_networkx']} (max diff {r['max_abs_diff_s']:.1e} s)"),
    ]  # fmt: skip
    if "pandana_total_s" in r:
        built, query = r["pandana_build_s"], r["pandana_query_s"]
        diff = r["pandana_max_abs_diff_s"]
        rows.append(
            ("pandana CH: build + query", f"{built:.3f} + {query:.3f} s (max diff {diff:.1e} s)")
        )
    else:
        rows.append(("pandana", str(r.get("pandana"))))
    width = max(len(a) for a, _ in rows)
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {a.ljust(width)} | {b} |" for a, b in rows]
    return "\n".join(lines)
