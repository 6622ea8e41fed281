"""The command line starts without the models, solvers, roads and app it does not need.

``import optimizer`` loads each public name on first use (PEP 562); the CLI's commands import
their heavy modules when they run. Checked in a new interpreter, where ``sys.modules`` starts
empty.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optimizer

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pulp", "highspy", "ortools", "pyvrp", "osmnx", "geopandas", "streamlit", "scipy")


def _loaded(code: str) -> set[str]:
    """The top-level modules loaded by running ``code`` in a new interpreter."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_cli_imports_no_model_solver_road_or_app() -> None:
    loaded = _loaded("import optimizer.cli.main")
    assert not loaded & set(HEAVY)
    assert "pandas" not in loaded  # --help and --version need no tables
    assert not {m for m in loaded if m.startswith(("optimizer.models", "optimizer.pipeline"))}


def test_the_run_store_as_runs_list_reads_it_loads_no_model_or_solver() -> None:
    loaded = _loaded("import optimizer.cli.main, optimizer.store")
    assert not loaded & set(HEAVY)
    assert "optimizer.pipeline.registry" not in loaded
    assert not {m for m in loaded if m.startswith("optimizer.models")}


def test_import_optimizer_loads_nothing_heavy() -> None:
    loaded = _loaded("import optimizer")
    assert not loaded & {*HEAVY, "pandas", "numpy", "pydantic"}


def test_every_public_name_resolves_to_its_real_object() -> None:
    from optimizer.models.sharing import shapley_split
    from optimizer.scenario.load import load_scenario

    for name in optimizer.__all__:
        assert getattr(optimizer, name) is not None, name
    assert optimizer.load_scenario is load_scenario
    assert optimizer.shapley_split is shapley_split
    assert set(optimizer.__all__) <= set(dir(optimizer))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        optimizer.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("optimizer.no_such_name did not raise AttributeError")


def test_from_import_of_public_names_and_submodules_works() -> None:
    loaded = _loaded(
        "from optimizer import InputError, Status, run_model, solver\n"
        "assert InputError.__module__ == 'optimizer.errors'\n"
        "assert callable(run_model) and hasattr(solver, 'solve_milp')"
    )
    assert "optimizer.pipeline.registry" in loaded


def test_runs_list_reads_the_store_without_pandas_numpy_or_migrations(tmp_path: Path) -> None:
    # the store made (and migrated) first; then listing it is the command alone
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    code = (
        "import sys\n"
        "from optimizer.cli.main import main\n"
        f"sys.argv = ['optimizer', 'runs', 'list', '--store', {url!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code"
    )
    _loaded(code)
    loaded = _loaded(code)
    assert not loaded & {*HEAVY, "pandas", "numpy", "pyarrow", "alembic", "yaml"}
    assert not {m for m in loaded if m.startswith(("optimizer.models", "optimizer.pipeline"))}
