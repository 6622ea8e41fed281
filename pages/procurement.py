"""The procurement model's page: KPIs, map, members, tables and downloads of its run."""

from optimizer._app_shell import page_setup
from optimizer._app_views import render_model_page

page_setup()
render_model_page("procurement")
