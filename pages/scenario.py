"""The Scenario page: pick a bundled scenario or upload one, look at it, edit its tables."""

from optimizer._app_scenario import render_scenario_page
from optimizer._app_shell import page_setup

page_setup()
render_scenario_page()
