"""The scenario: the validated, immutable description of a region that every model reads.

``schema`` holds one frozen pydantic model per table row and the settings blocks;
``scenario`` the :class:`Scenario` and its readers (a folder of CSVs or one workbook);
``load`` the one entry point ``load_scenario`` (folder, workbook or variant file);
``bundled`` where the bundled scenarios are (inside the installed package or the checkout);
``validation`` the row and cross-table checks that turn every problem into an ``InputError``
naming file, row and column; ``variants`` the what-if overrides (``set``, ``add``, ``remove``,
``update``, ``scale``) and variant files. This folder imports ``optimizer.errors`` and the
table readers of ``optimizer.io`` only: never a model, roads or a face.
"""

from optimizer.scenario.load import load_scenario, load_variant
from optimizer.scenario.scenario import Scenario
from optimizer.scenario.variants import apply_overrides, replace_tables

__all__ = ["Scenario", "apply_overrides", "load_scenario", "load_variant", "replace_tables"]
