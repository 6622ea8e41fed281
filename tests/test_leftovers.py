"""Folders and child processes that do not outlive their owner (issue 12 §5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimizer import leftovers
from optimizer.leftovers import owned_folder, owner_alive, sweep_leftovers


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_a_folder_is_swept_only_when_its_owner_is_dead(tmp_path: Path) -> None:
    dead = tmp_path / f"coop-x-{dead_pid()}-abc"
    dead.mkdir()
    (dead / "model.mps").write_text("NAME")
    alive = tmp_path / f"coop-x-{os.getppid()}-abc"
    alive.mkdir()
    kept = tmp_path / f"coop-x-{dead_pid()}-kept"
    kept.mkdir()
    other = tmp_path / "coop-x-notapid"
    other.mkdir()
    assert sweep_leftovers("coop-x-", tmp_path, keep={kept}) == [dead]
    assert sorted(tmp_path.iterdir()) == sorted([alive, kept, other])


def test_an_owned_folder_names_its_owner(tmp_path: Path) -> None:
    folder = owned_folder("coop-y-", tmp_path)
    assert folder.parent == tmp_path and folder.name.startswith(f"coop-y-{os.getpid()}-")
    assert folder.is_dir() and owner_alive(os.getpid()) and not owner_alive(dead_pid())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_child_dies_with_its_parent_killed_by_sigkill() -> None:
    # the parent starts a long sleep that dies with it, prints the sleep's pid, and waits;
    # it loads the one module, not the package (whose imports take seconds)
    parent_code = (
        "import importlib.util, subprocess, sys, time\n"
        f"spec = importlib.util.spec_from_file_location('leftovers', {str(leftovers.__file__)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "child = subprocess.Popen(['sleep', '60'], preexec_fn=module.die_with_parent())\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert owner_alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=10)
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while owner_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not owner_alive(child)
