"""Run bad-input cases one per forked child: outcome, seconds and peak memory of each.

``python -m tests.badinput.runner [N]`` runs every case of the corpus (or a seeded sample of N
per kind) and prints one JSON line per case: kind, name, outcome (``ok``, ``refused`` or what
went wrong), seconds and the child's peak resident memory in MB (``ru_maxrss`` from
``wait4``; it includes the pages the child shares with its parent). A fresh interpreter with
no threads forks safely; a child that hangs is killed by an alarm.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from optimizer.errors import InputError
from optimizer.io.upload import load_upload
from optimizer.scenario.load import load_scenario
from tests.badinput.corpus import SEED, Case, corpus

MAX_SECONDS = 10
MAX_RSS_MB = 500


def run_case(case: Case, folder: Path) -> str:
    """'ok' or 'refused' (an InputError naming a problem); anything else raises."""
    target = case.build(folder)
    try:
        if isinstance(target, tuple):
            load_upload(*target)
        else:
            load_scenario(target)
    except InputError as exc:
        assert exc.problems and str(exc)
        return "refused"
    return "ok"


def run_forked(cases: list[Case], folder: Path) -> list[dict[str, Any]]:
    """Each case in its own forked child, with its outcome, time and peak memory."""
    results = []
    for number, case in enumerate(cases):
        read, write = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child: run one case, report one line, leave at once
            os.close(read)
            signal.alarm(MAX_SECONDS + 5)  # a hang ends here (SIGALRM kills the child)
            try:
                outcome = run_case(case, folder / str(number))
            except BaseException as exc:  # any other exception is reported and fails the test
                outcome = f"crash: {type(exc).__name__}: {exc}"[:500]
            os.write(write, outcome.encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            outcome = pipe.read().decode() or "killed"
        _, status, usage = os.wait4(pid, 0)
        results.append(
            {
                "kind": case.kind,
                "name": case.name,
                "outcome": outcome if status == 0 else f"{outcome} (status {status})",
                "seconds": time.monotonic() - started,
                "rss_mb": usage.ru_maxrss / 1024,
            }
        )
    return results


def sample(cases: list[Case], per_kind: int, seed: int = SEED) -> list[Case]:
    """``per_kind`` cases of each kind, the same ones every time."""
    rng = random.Random(seed)
    kinds = sorted({c.kind for c in cases})
    return [c for k in kinds for c in rng.sample([c for c in cases if c.kind == k], per_kind)]


def main() -> None:
    cases = corpus()
    if len(sys.argv) > 1:
        cases = sample(cases, int(sys.argv[1]))
    with tempfile.TemporaryDirectory() as folder:
        for result in run_forked(cases, Path(folder)):
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
