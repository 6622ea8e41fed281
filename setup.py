"""Build hook: the bundled scenarios ship inside the package.

The project's metadata is in ``pyproject.toml``; this file only teaches ``build_py`` to copy
the bundled scenarios (``scenarios/mecklenburg``, ``scenarios/liechtenstein`` and
``scenarios/variants``, with their roads, tables and READMEs holding the ODbL attribution)
into the built package as ``optimizer/_bundled/scenarios``, where
:func:`optimizer.scenario.bundled.bundled_scenarios_dir` finds them in an installed wheel. An
editable install reads the checkout's ``scenarios/`` instead, so nothing is copied for it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("mecklenburg", "liechtenstein", "variants")


class BuildWithScenarios(build_py):
    """``build_py`` that also copies the bundled scenarios into the built package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "optimizer" / "_bundled" / "scenarios"
        # a build/ folder left from an earlier build must not keep a file removed since
        shutil.rmtree(target, ignore_errors=True)
        for name in BUNDLED:
            shutil.copytree(
                HERE / "scenarios" / name,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithScenarios})
