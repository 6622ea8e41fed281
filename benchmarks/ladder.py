"""The benchmark ladder: every model on federations of 150 to 15,000 members (issue 16).

Usage::

    python benchmarks/run.py ladder [--sizes 150 600 1500 5000 15000]
        [--models procurement markets hubs routes] [--time-limit 300] [--seed 20261125]
        [--work DIR] [--out results/ladder.json] [--markdown results/ladder.md]
    python benchmarks/run.py ladder --table results/ladder.json

The scenarios are built by ``scenarios/build.py`` from the default profile
(``scenarios/profiles/mecklenburg.yaml``: three cooperatives on the bundled Neubrandenburg
roads) with only the number of members changed, seeded, into a temporary folder (``--work`` to
keep them; they are never part of the project). Suppliers' capacities, hubs, buyers' intake and
the fleet stay the default's: from 600 members on, suppliers sell out (members buy the rest
locally), and the fleet cannot collect most members (they are reported as not collected).
Every model is run as a user runs it, ``optimizer solve SCENARIO -m MODEL``, one child process
per run, recording into a throw-away SQLite run store from which the model's own runtime,
status and gap are read. Measured per run:
the wall time of the command, the model's own runtime, the child's peak resident memory
(``ru_maxrss`` of the child from ``os.wait4``, which includes its own children), status, gap and
the exit code. A run past ``--time-limit`` seconds is stopped and reported as such; a run's
address space is capped (``--memory-limit-gb``, 12 by default) so that it fails rather than
take the machine's memory from others.

The table gives, between consecutive sizes, the growth exponent of wall time (and of the
model's own runtime) against members, ``log(t2 / t1) / log(n2 / n1)`` (1 is linear). Targets:
at 5,000 members every model within 30 s wall, proven within its gap; at 1,500 within 10 s;
the exponent from 1,500 to 5,000 at most 1.2; peak memory at 15,000 under 4 GB.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["build_scenario", "growth", "main", "markdown", "run_once"]

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "scenarios" / "profiles" / "mecklenburg.yaml"
SIZES = (150, 600, 1500, 5000, 15000)
MODELS = ("procurement", "markets", "hubs", "routes")


def main(name: str, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"run.py {name}")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument(
        "--time-limit", type=float, default=300.0, help="wall seconds per run before it is stopped"
    )
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=12.0,
        help="address space per run (RLIMIT_AS; a run past it fails instead of starving others)",
    )
    parser.add_argument(
        "--scale-capacities",
        action="store_true",
        help="scale suppliers' capacities, hubs, buyers' intake and contracts and the fleet with "
        "the members (the default profile has 150)",
    )
    parser.add_argument("--seed", type=int, help="the profile's seed (default: the profile's)")
    parser.add_argument("--work", type=Path, help="folder for the scenarios (default: temporary)")
    parser.add_argument("--out", type=Path, help="JSON file for the rows")
    parser.add_argument("--markdown", type=Path, help="markdown file for the table")
    parser.add_argument("--table", type=Path, help="print the table of a JSON file written before")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown(json.loads(args.table.read_text(encoding="utf-8"))["rows"]))
        return 0
    if any(n < 3 for n in args.sizes):
        parser.error("--sizes: at least 3 members (one per cooperative)")

    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="ladder-") as temp:
        work = args.work or Path(temp)
        rows: list[dict[str, Any]] = []
        store = f"sqlite:///{(work / 'runs.sqlite').resolve()}"
        for size in sorted(set(args.sizes)):
            start = time.perf_counter()
            folder = build_scenario(
                size, work / f"members-{size}", seed=args.seed, scale=args.scale_capacities
            )
            print(f"{size} members: scenario built in {time.perf_counter() - start:.1f} s")
            for model in args.models:
                row = run_once(
                    folder,
                    model,
                    store=store,
                    time_limit=args.time_limit,
                    memory_limit_gb=args.memory_limit_gb,
                )
                row["members"] = size
                rows.append(row)
                print(
                    f"  {model:<12} {row['wall_s']:8.1f} s wall ({_fmt(row['runtime_s'])} s own, "
                    f"{row['cpu_s']:.1f} s CPU) "
                    f"{row['peak_mb']:7.0f} MB  {row['status']}  gap {_fmt_gap(row['gap'])}",
                    flush=True,
                )
    result = {
        "load_before": load_before,
        "load_after": _load(),
        "rows": rows,
        "growth": growth(rows),
    }
    table = markdown(rows)
    print("\n" + table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table + "\n", encoding="utf-8")
    return 0


def build_scenario(
    members: int, out: Path, *, seed: int | None = None, scale: bool = False
) -> Path:
    """The default profile with ``members`` members written to ``out`` (once per folder).

    ``scale``: capacities grow with the members (see :func:`scaled`)."""
    if (out / "scenario.yaml").exists():
        return out
    sys.path.insert(0, str(ROOT / "scenarios"))
    import build  # scenarios/build.py

    from optimizer.geo.places import places

    profile = build.read_profile(PROFILE)
    profile["members"] = {**profile["members"], "count": members}
    profile["name"] = f"{profile['name']} ({members:,} members)"
    if seed is not None:
        profile["seed"] = seed
    if scale:
        profile = scaled(profile, members / BASE_MEMBERS)
    osm = (PROFILE.parent / profile["osm"]).resolve()
    build.build(profile, places(osm), osm, out)
    return out


BASE_MEMBERS = 150  # members of the default profile


def scaled(profile: dict[str, Any], factor: float) -> dict[str, Any]:
    """The profile with every capacity times ``factor``: suppliers' offers, hubs, buyers'
    intake and minimum contracts, and vehicle counts (rounded up). Prices, brackets and
    minimum orders stay."""
    out = copy.deepcopy(profile)
    for supplier in out["suppliers"]:
        for offer in supplier["offers"]:
            offer["capacity"] = max(offer["capacity"] * factor, offer.get("min_order", 0))
    for hub in out["hubs"]:
        hub["capacity"] = hub["capacity"] * factor
    for buyer in out["buyers"]:
        for terms in buyer["prices"].values():
            for key in ("max_intake", "min_contract"):
                if key in terms:
                    terms[key] = terms[key] * factor
    for vehicle in out["vehicles"]:
        vehicle["count"] = math.ceil(vehicle["count"] * factor)
    return out


def run_once(
    folder: Path, model: str, *, store: str, time_limit: float, memory_limit_gb: float = 12.0
) -> dict[str, Any]:
    """One ``optimizer solve`` in a child process: wall time, peak memory, and the stored run."""
    command = [sys.executable, "-m", "optimizer", "solve", str(folder), "-m", model]
    command += ["--store", store, "--label", f"ladder {folder.name} {model}"]
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = int(memory_limit_gb * 2**30)
    # the child inherits the soft limit set here for the moment it starts
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard < 0 else min(cap, hard), hard))
    start = time.perf_counter()
    try:
        child = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: a stop reaches its solver too
        )
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    stopped = False
    while True:
        pid, code, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > time_limit:
            os.killpg(child.pid, signal.SIGKILL)
            stopped = True
            pid, code, usage = os.wait4(child.pid, 0)
            break
        time.sleep(0.05)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(code)
    error = child.stderr.read().decode(errors="replace").strip() if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    row: dict[str, Any] = {
        "model": model,
        "wall_s": round(wall, 2),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),  # kB on Linux
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),  # the child's and its children's
        "exit": child.returncode,
        "runtime_s": None,
        "status": "stopped at the time limit" if stopped else "failed",
        "gap": None,
    }
    if not stopped and child.returncode == 0:
        row.update(_stored(store, f"ladder {folder.name} {model}"))
    elif not stopped:
        row["error"] = error.splitlines()[-1] if error else ""
    return row


def _stored(url: str, label: str) -> dict[str, Any]:
    from optimizer.store import open_store

    store = open_store(url)
    for run in store.list():
        if run.label == label:
            return {
                "runtime_s": round(run.runtime_s, 2),
                "status": run.status.value,
                "gap": run.gap,
            }
    return {"status": "not recorded"}


def growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per model, the growth exponents of wall time and of the model's own runtime between
    consecutive sizes."""
    found = []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = sorted((r for r in rows if r["model"] == model), key=lambda r: r["members"])
        for a, b in itertools.pairwise(mine):
            found.append(
                {
                    "model": model,
                    "from": a["members"],
                    "to": b["members"],
                    "exponent": _exponent(a, b, "wall_s"),
                    "exponent_own": _exponent(a, b, "runtime_s"),
                }
            )
    return found


def _exponent(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
    if a["status"].startswith(("stopped", "failed")) or b["status"].startswith(
        ("stopped", "failed")
    ):
        return None
    if not a.get(key) or not b.get(key):
        return None
    return round(math.log(b[key] / a[key]) / math.log(b["members"] / a["members"]), 2)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table: per size and model, wall time (own runtime), peak memory, status, gap, and
    the growth exponent from the size before."""
    exponents = {(g["model"], g["to"]): g for g in growth(rows)}
    lines = [
        "| members | model | wall s (own) | peak MB | status | gap "
        "| exponent from previous, wall (own) |",
        "|---:|---|---:|---:|---|---:|---:|",
    ]
    for r in sorted(rows, key=lambda r: (r["members"], MODELS.index(r["model"]))):
        g = exponents.get((r["model"], r["members"]))
        shown = "" if g is None else f"{_fmt(g['exponent'], 2)} ({_fmt(g['exponent_own'], 2)})"
        lines.append(
            f"| {r['members']:,} | {r['model']} | {r['wall_s']:.1f} ({_fmt(r['runtime_s'])}) "
            f"| {r['peak_mb']:,.0f} | {r['status']} | {_fmt_gap(r['gap'])} | {shown} |"
        )
    return "\n".join(lines)


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _fmt_gap(gap: float | None) -> str:
    return "–" if gap is None else f"{100 * gap:.3g} %"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
