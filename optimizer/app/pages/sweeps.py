"""The Sweeps page: set up a sweep, watch its progress, see its distributions and robust plan."""

from optimizer.app.shell import page_setup
from optimizer.app.sweeps import render_sweeps_page

page_setup()
render_sweeps_page()
