"""The app's what-ifs on a federation: each model's page, a slider moved, until its new figures.

Usage::

    python benchmarks/run.py whatif [--members 1500] [--models procurement markets hubs routes]
        [--seed 20261125] [--work DIR] [--out results/whatif-1500.json]

The scenario is the benchmark ladder's (``benchmarks/ladder.py``: the default profile with
``--members`` members, capacities scaled with them, built by ``scenarios/build.py`` in a
temporary folder). Each model's page of the app runs in Streamlit's own test runner
(``AppTest``: the page's script, its caches and widgets as the server runs them, without a
browser), with the scenario as the session's base, as an upload makes it. Timed, per page: the
first view (the base scenario's run, cold), then what-ifs one after the other, each from the
widget's change to the page's new figures: fuel price x1.2, x1.4, truck payload x0.9, discount
thresholds x1.1 (a what-if the markets, hubs and routes models do not read: their run is
reused) and the rainy season. A page that raises, or shows an error where figures belong,
counts as failed. Target (issue 16): every what-if at 1,500 members within 5 s. What the
browser adds on top (sending the page and drawing its tables and maps) is not counted here;
the browser test measures it on the default scenario (``tests/test_app_e2e.py``).
Runs are recorded in a throw-away run store in the temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WHATIFS: tuple[tuple[str, str, Any], ...] = (
    ("fuel price x1.2", "wi_fuel", 1.2),
    ("fuel price x1.4", "wi_fuel", 1.4),
    ("truck payload x0.9", "wi_payload", 0.9),
    ("discount thresholds x1.1", "wi_threshold", 1.1),
    ("rainy season", "wi_rainy", True),
)
TARGET_S = 5.0


def main(name: str = "whatif", argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"benchmarks/run.py {name}")
    parser.add_argument("--members", type=int, default=1500)
    parser.add_argument("--models", nargs="+", default=["procurement", "markets", "hubs", "routes"])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--work", type=Path, default=None, help="keep the scenario here")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="coop-whatif-") as scratch:
        os.environ["COOP_OPTIMIZER_STORE"] = f"sqlite:///{Path(scratch) / 'runs.sqlite'}"
        work = args.work or Path(scratch)
        figures = measure(args.members, args.models, args.seed, work / f"members-{args.members}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if figures["all_ok"] else 1


def measure(members: int, models: list[str], seed: int, folder: Path) -> dict[str, Any]:
    """Build the scenario, then time every page's first view and what-ifs."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from ladder import build_scenario
    from streamlit.testing.v1 import AppTest

    from optimizer.app.state import MODEL_PAGES
    from optimizer.scenario.load import load_scenario

    started = time.perf_counter()
    path = build_scenario(members, folder, seed=seed, scale=True)
    scenario = load_scenario(path)
    built = time.perf_counter() - started
    print(f"scenario: {len(scenario.members):,} members, built in {built:.1f} s")
    pages: dict[str, Any] = {}
    for model in models:
        at = AppTest.from_file(MODEL_PAGES[model][1], default_timeout=600)
        at.session_state["base_scenario"] = scenario
        at.session_state["base_label"] = scenario.name
        first, first_cpu, problem = _timed(at, None, None)
        rows: list[dict[str, Any]] = []
        for label, key, value in WHATIFS:
            seconds, cpu, problem_now = _timed(at, key, value)
            rows.append(
                {"what_if": label, "seconds": seconds, "cpu_s": cpu, "problem": problem_now}
            )
            problem = problem or problem_now
            print(
                f"{model}: {label}: {seconds:.2f} s ({cpu:.2f} s CPU)"
                + (f" ({problem_now})" if problem_now else "")
            )
        times = [float(r["seconds"]) for r in rows]
        pages[model] = {
            "first_view_s": first,
            "first_view_cpu_s": first_cpu,
            "what_ifs": rows,
            "max_s": max(times),
            "median_s": statistics.median(times),
            "ok": problem is None,
            "problem": problem,
        }
        print(
            f"{model}: first view {first:.1f} s ({first_cpu:.1f} s CPU), "
            f"what-ifs max {max(times):.2f} s"
        )
    worst = max(float(p["max_s"]) for p in pages.values())
    figures = {
        "members": len(scenario.members),
        "pages": pages,
        "worst_what_if_s": worst,
        "target_s": TARGET_S,
        "all_ok": all(p["ok"] for p in pages.values()),
        "load": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    print(
        f"worst what-if {worst:.2f} s (target {TARGET_S:.0f} s); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return figures


def _timed(at: Any, key: str | None, value: Any) -> tuple[float, float, str | None]:
    """Seconds to run the page after setting widget ``key`` (None: the first view), the CPU
    seconds of this process meanwhile (every thread; not the routes search's child
    processes), and the problem it showed, if any."""
    if key is not None:
        widget = at.toggle(key) if isinstance(value, bool) else at.slider(key)
        widget.set_value(value)
    started, cpu = time.perf_counter(), time.process_time()
    at.run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if at.exception:
        return seconds, cpu, f"raised: {at.exception[0].message[:200]}"
    if at.error:
        return seconds, cpu, f"error shown: {at.error[0].value[:200]}"
    if not at.metric:
        return seconds, cpu, "no figures shown"
    return seconds, cpu, None


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main("whatif", sys.argv[1:]))
