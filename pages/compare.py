"""The Compare page: one model on two or more variants, side by side."""

from optimizer._app_compare import render_compare_page
from optimizer._app_shell import page_setup

page_setup()
render_compare_page()
