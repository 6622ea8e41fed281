"""Where the bundled scenarios are: inside the installed package, else the checkout's folder.

A wheel carries them as ``optimizer/_bundled/scenarios`` (copied there by ``setup.py``); an
editable install or a checkout reads ``scenarios/`` at the repository's root, where the
project keeps them.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.errors import InputError, Problem

__all__ = ["bundled_scenario", "bundled_scenarios_dir"]

_PACKAGE = Path(__file__).resolve().parents[1]
_CANDIDATES = (_PACKAGE / "_bundled" / "scenarios", _PACKAGE.parent / "scenarios")


def bundled_scenarios_dir() -> Path:
    """The folder holding the bundled scenarios (``mecklenburg/``, ``liechtenstein/``, ...).

    Raises
    ------
    InputError
        When neither the installed package nor the checkout has them.
    """
    for candidate in _CANDIDATES:
        if (candidate / "mecklenburg" / "scenario.yaml").is_file():
            return candidate
    raise InputError(
        Problem(
            str(_CANDIDATES[0]),
            "the bundled scenarios (reinstall coop-optimizer, or run from its checkout)",
        )
    )


def bundled_scenario(name: str) -> Path:
    """The folder of one bundled scenario, e.g. ``bundled_scenario("mecklenburg")``.

    Raises
    ------
    InputError
        When that scenario is not bundled.
    """
    folder = bundled_scenarios_dir() / name
    if not (folder / "scenario.yaml").is_file():
        raise InputError(
            f"the bundled scenario '{name}' (scenarios/{name}/scenario.yaml) is missing"
        )
    return folder
