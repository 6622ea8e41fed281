"""The markets model's page: KPIs, my farm, map, members, tables and downloads of its run."""

from optimizer.app.roles import my_farm
from optimizer.app.shell import page_setup
from optimizer.app.views import render_model_page

page_setup()
render_model_page("markets", panel=my_farm)
