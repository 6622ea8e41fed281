"""The procurement model's page: the split chosen, KPIs, a member's bill, map, members,
tables, downloads."""

from functools import partial

from optimizer.app.roles import member_bill
from optimizer.app.shell import page_setup
from optimizer.app.split_choice import split_choice
from optimizer.app.views import render_model_page

page_setup()
render_model_page("procurement", panel=member_bill, choice=partial(split_choice, "procurement"))
