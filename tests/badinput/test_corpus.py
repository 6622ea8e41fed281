"""The bad-input corpus: every case is loaded or refused with an InputError, quickly.

The default run samples the corpus in this process; ``pytest -m slow`` runs every case, each in
its own forked child with its time and peak memory (:mod:`tests.badinput.runner`). A sample
also goes through ``optimizer validate``: exit code 0 or 2, never a traceback.
"""

from __future__ import annotations

import random
import resource
import time
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.main import app
from tests.badinput.corpus import SEED, Case, corpus
from tests.badinput.runner import MAX_RSS_MB, MAX_SECONDS, run_case

CASES = corpus()
KINDS = sorted({c.kind for c in CASES})
MIN_PER_KIND = 50
ROOT = Path(__file__).resolve().parents[2]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check(cases: list[Case], tmp_path: Path) -> Counter[str]:
    """Run ``cases`` in this process: each within the time limit, and the process's peak
    memory raised by less than the limit (the suite's other tests, run in the same process
    before, hold ~500 MB of their own; ``-m slow`` measures each case alone in a child)."""
    counts: Counter[str] = Counter()
    before = _peak_mb()
    for number, case in enumerate(cases):
        started = time.monotonic()
        outcome = run_case(case, tmp_path / str(number))
        took = time.monotonic() - started
        assert took < MAX_SECONDS, f"{case.name} took {took:.1f} s"
        counts[f"{case.kind}:{outcome}"] += 1
    grown = _peak_mb() - before
    assert grown < MAX_RSS_MB, f"peak memory up by {grown:.0f} MB"
    return counts


def test_corpus_is_large_and_covers_every_kind() -> None:
    counts = Counter(c.kind for c in CASES)
    print("bad-input cases per kind:", dict(sorted(counts.items())), "total", len(CASES))
    assert len(CASES) >= 1000
    assert set(KINDS) >= {
        "cells", "columns", "files", "encodings", "yaml", "variants", "workbooks", "uploads"
    }  # fmt: skip
    assert min(counts.values()) >= MIN_PER_KIND, counts
    assert len({c.name for c in CASES}) > 0.95 * len(CASES)  # generated, not repeated


def test_corpus_sample(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    sample = [c for kind in KINDS for c in rng.sample([c for c in CASES if c.kind == kind], 4)]
    counts = _check(sample, tmp_path)
    assert sum(v for k, v in counts.items() if k.endswith("refused")) > len(sample) // 2


@pytest.mark.slow
def test_whole_corpus_one_child_per_case() -> None:
    """Every case in its own forked child (a fresh interpreter forks them): refused with an
    InputError or loaded, never a crash or a hang, each under 10 s and 500 MB peak memory."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "tests.badinput.runner"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == len(CASES)
    counts = Counter(f"{r['kind']}:{r['outcome']}" for r in results)
    print("outcomes:", dict(sorted(counts.items())))
    print(
        f"slowest {max(r['seconds'] for r in results):.2f} s, "
        f"largest {max(r['rss_mb'] for r in results):.0f} MB"
    )
    bad = [r for r in results if r["outcome"] not in ("ok", "refused")]
    assert not bad, bad[:5]
    slow = [r for r in results if r["seconds"] >= MAX_SECONDS]
    assert not slow, slow[:5]
    big = [r for r in results if r["rss_mb"] >= MAX_RSS_MB]
    assert not big, big[:5]


def test_cli_sample(tmp_path: Path) -> None:
    runner = CliRunner()
    rng = random.Random(SEED + 1)
    paths = [c for c in CASES if c.kind not in ("uploads",)]
    for number, case in enumerate(rng.sample(paths, 12)):
        target = case.build(tmp_path / str(number))
        assert isinstance(target, Path)
        result = runner.invoke(app, ["validate", str(target)])
        assert result.exit_code in (0, 2), (case.name, result.output, result.exception)
        assert "Traceback" not in result.output


@pytest.mark.slow
def test_cli_large_sample(tmp_path: Path) -> None:
    runner = CliRunner()
    rng = random.Random(SEED + 2)
    paths = [c for c in CASES if c.kind != "uploads"]
    for number, case in enumerate(rng.sample(paths, 150)):
        target = case.build(tmp_path / str(number))
        assert isinstance(target, Path)
        result = runner.invoke(app, ["validate", str(target)])
        assert result.exit_code in (0, 2), (case.name, result.output, result.exception)


_BIG_CASES = """
import io, resource, sys, time, zipfile
from optimizer.errors import InputError
from optimizer.io.upload import load_upload
book = io.BytesIO()
with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
    archive.writestr("[Content_Types].xml", "<x/>")
    with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sink:
        for _ in range(96):
            sink.write(bytes(1 << 24))
outer = io.BytesIO()
with zipfile.ZipFile(outer, "w") as archive:
    archive.writestr("book.xlsx", book.getvalue())
started = time.monotonic()
for name, data in (("s.zip", outer.getvalue()), ("b.xlsx", book.getvalue())):
    try:
        load_upload(name, data)
    except InputError:
        pass
    else:
        sys.exit("accepted")
print(time.monotonic() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


@pytest.mark.slow
def test_big_cases_in_a_child_process_stay_small() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _BIG_CASES],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seconds, rss_mb = (float(x) for x in done.stdout.split())
    assert seconds < MAX_SECONDS and rss_mb < MAX_RSS_MB, done.stdout
