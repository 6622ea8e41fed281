"""The app's pages, one Streamlit script each, listed by :func:`optimizer.app.shell.navigation`.

They are run by Streamlit (never imported): each draws the shared sidebar when run on its own,
then one view of :mod:`optimizer.app`. They import ``optimizer.app`` only.
"""
