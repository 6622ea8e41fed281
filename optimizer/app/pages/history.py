"""The History page: the runs in the run store, filtered, reopened and compared."""

from optimizer.app.history import render_history_page
from optimizer.app.shell import page_setup

page_setup()
render_history_page()
