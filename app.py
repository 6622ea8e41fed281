"""coop-optimizer's Streamlit app from a checkout: ``streamlit run app.py``.

The app itself lives in the package (:mod:`optimizer.app.entry`, pages in
``optimizer/app/pages/``) so that ``optimizer app`` runs it from an installed wheel too.
"""

from optimizer.app.entry import main

main()
