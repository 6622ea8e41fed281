"""The procurement model's page: KPIs, a member's bill, map, members, tables, downloads."""

from optimizer.app.roles import member_bill
from optimizer.app.shell import page_setup
from optimizer.app.views import render_model_page

page_setup()
render_model_page("procurement", panel=member_bill)
