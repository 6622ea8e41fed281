"""The scenario: the validated, immutable description of a region that every model reads.

``schema`` holds one frozen pydantic model per table row and the settings blocks;
``scenario`` the :class:`Scenario` and its loaders (a folder of CSVs or one workbook);
``validation`` the row and cross-table checks that turn every problem into an ``InputError``
naming file, row and column; ``variants`` the what-if overrides (``set``, ``add``, ``remove``,
``update``, ``scale``) and variant files. This folder imports ``optimizer.errors`` and the
table readers of ``optimizer.io`` only: never a model, roads or a face.
"""

from optimizer.scenario.scenario import Scenario, load_scenario
from optimizer.scenario.variants import apply_overrides, load_variant, replace_tables

__all__ = ["Scenario", "apply_overrides", "load_scenario", "load_variant", "replace_tables"]
