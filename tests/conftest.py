"""Shared fixtures: the bundled scenarios and a hand-made tiny one, copied where tests may edit."""

from __future__ import annotations

import os
import shutil
import socket
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"
MECKLENBURG = ROOT / "scenarios" / "mecklenburg"
LIECHTENSTEIN = ROOT / "scenarios" / "liechtenstein"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Road networks parsed in tests go to a temporary cache, never the user's."""
    os.environ["COOP_OPTIMIZER_CACHE"] = str(tmp_path_factory.mktemp("road-cache"))


@pytest.fixture(autouse=True, scope="session")
def _private_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs recorded in tests go to a temporary store, never the user's."""
    store = tmp_path_factory.mktemp("run-store") / "runs.sqlite"
    os.environ["COOP_OPTIMIZER_STORE"] = f"sqlite:///{store}"


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A fresh, editable copy of the tiny scenario."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a test file in place, failing loudly if ``old`` is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_healthy(url: str) -> bool:
    """Whether the Streamlit server at ``url`` answers its health check with ``ok``."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200 and response.read().decode().strip() == "ok")
    except OSError:
        return False
