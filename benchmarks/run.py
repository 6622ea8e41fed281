"""Benchmarks: ``python benchmarks/run.py SET [options]``.

Each set lives in its own module beside this file and exposes ``main(name, argv)``.
Instance files are read from where they are given (``--data``), never copied here.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

SETS = {
    "cflp": "facility",
    "pmedcap": "facility",
    "cvrp": "routing",
    "vrptw": "routing",
    "mdvrp": "routing",
    "hvrp": "routing",
    "roads": "roads",
    "procurement": "procurement",
    "markets": "markets",
    "robust": "robust",
    "sweep": "sweep",
    "ladder": "ladder",
    "credit": "credit",
    "whatif": "whatif",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SETS:
        print(f"usage: python benchmarks/run.py {{{','.join(SETS)}}} [options]", file=sys.stderr)
        return 2
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
    module = importlib.import_module(SETS[argv[0]])
    return int(module.main(argv[0], argv[1:]) or 0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
