"""The wheel as a new user gets it: built from the checkout, installed alone into a fresh
virtual environment, then ``optimizer demo`` and ``optimizer app`` run from an empty folder.

Offline: the wheel is built without build isolation (the dev extra brings setuptools), and
the fresh environment finds the dependencies through a ``.pth`` file listing this
interpreter's site-packages; only the wheel itself is installed (``--no-deps``). Every
command runs from an empty temporary folder with no ``PYTHONPATH``, so nothing can import
the checkout. Marked ``slow`` (about a minute), except ``python -m optimizer``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import ROOT, app_healthy, free_port

# what the build reads: the project's metadata, the package and the bundled scenarios
BUILD_INPUTS = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "optimizer", "scenarios")
START_TIMEOUT_S = 90


def _new_enough_setuptools() -> bool:
    try:
        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:  # not installed, or an unexpected version string
        return False


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(command: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _site_folders() -> list[str]:
    """This interpreter's site-packages, with the folders their ``.pth`` files add."""
    found = [p for p in sys.path if ("site-packages" in p or "dist-packages" in p)]
    return [p for p in dict.fromkeys(found) if Path(p).is_dir() and Path(p) != ROOT]


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding only the wheel built from the checkout."""
    if not _new_enough_setuptools():
        pytest.skip("building the wheel offline needs setuptools>=77 (pip install -e '.[dev]')")
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"  # a copy, so the build leaves no build/ folder in the checkout
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "_bundled")
            )
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run([*pip, "wheel", ".", "--no-deps", "--no-build-isolation", "-w", str(dist)], source)
    wheel = next(dist.glob("coop_optimizer-*.whl"))
    env = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env)], tmp)
    python = env / "bin" / "python"
    _run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], tmp)
    # the dependencies: this interpreter's site-packages, after the venv's own (written after
    # the install, so that pip never sees this environment's copy of coop-optimizer)
    site = Path(
        _run(
            [str(python), "-c", "import site; print(site.getsitepackages()[0])"], tmp
        ).stdout.strip()
    )
    (site / "_coop_test_dependencies.pth").write_text("\n".join(_site_folders()) + "\n")
    return env


def test_python_dash_m_optimizer_runs_the_command_line() -> None:
    done = _run([sys.executable, "-m", "optimizer", "--version"], ROOT)
    assert done.stdout.startswith("coop-optimizer ")


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    folder = tmp_path / "empty"
    folder.mkdir()
    return folder


@pytest.mark.slow
def test_the_installed_package_is_the_wheel_not_the_checkout(venv: Path, empty: Path) -> None:
    code = "import optimizer, optimizer.scenario.bundled as b; "
    code += "print(optimizer.__file__); print(b.bundled_scenarios_dir())"
    shown = _run([str(venv / "bin" / "python"), "-c", code], empty).stdout.split()
    package, scenarios = Path(shown[0]), Path(shown[1])
    assert package.is_relative_to(venv), package
    assert scenarios.is_relative_to(venv) and scenarios.parts[-2:] == ("_bundled", "scenarios")
    for name in ("mecklenburg", "liechtenstein"):
        readme = (scenarios / name / "README.md").read_text(encoding="utf-8")
        assert "Open Database License" in readme and "licenses/odbl" in readme
        assert (scenarios / name / "roads.osm.bz2").is_file()
    assert sorted(p.name for p in (scenarios / "variants").glob("*.yaml"))
    assert not (scenarios / "build.py").exists()


@pytest.mark.slow
def test_demo_runs_from_an_empty_folder(venv: Path, empty: Path) -> None:
    done = _run([str(venv / "bin" / "optimizer"), "demo", "--out", "out"], empty)
    written = sorted(p.name for p in (empty / "out").rglob("*") if p.is_file())
    assert len(written) >= 3, (written, done.stdout[-2000:])
    assert "Mecklenburg" in done.stdout
    assert sorted(p.name for p in empty.iterdir()) == ["out"]


@pytest.mark.slow
def test_app_starts_from_an_empty_folder(venv: Path, empty: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = empty.parent / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "optimizer"), "app", "--port", str(port)],
            cwd=empty,
            env=_clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not app_healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start on {url}:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
    assert process.returncode is not None
