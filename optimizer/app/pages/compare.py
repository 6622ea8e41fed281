"""The Compare page: one model on two or more variants, side by side."""

from optimizer.app.compare import render_compare_page
from optimizer.app.shell import page_setup

page_setup()
render_compare_page()
