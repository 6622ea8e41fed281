"""The procurement model's page: KPIs, map, members, tables and downloads of its run."""

from optimizer.app.shell import page_setup
from optimizer.app.views import render_model_page

page_setup()
render_model_page("procurement")
