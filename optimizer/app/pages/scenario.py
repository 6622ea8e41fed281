"""The Scenario page: pick a bundled scenario or upload one, look at it, edit its tables."""

from optimizer.app.scenario_page import render_scenario_page
from optimizer.app.shell import page_setup

page_setup()
render_scenario_page()
