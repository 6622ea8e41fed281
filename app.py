"""coop-optimizer's Streamlit app: a thin router over the pages in ``pages/``.

Start it with ``optimizer app`` (or ``streamlit run app.py``). The pages only call the
``optimizer`` package; the shared sidebar (scenario, what-ifs, map renderer) is drawn by
:func:`optimizer.app.shell.run_app`.
"""

import streamlit as st

from optimizer.app.shell import run_app

st.set_page_config(page_title="coop-optimizer", page_icon=":material/agriculture:", layout="wide")
run_app()
