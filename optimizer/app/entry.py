"""The app's main script: what ``optimizer app`` hands to ``streamlit run``.

It lives inside the package so that an installed wheel can start the app from any folder;
``app.py`` at the repository's root calls the same :func:`main` for ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from optimizer.app.shell import run_app
from optimizer.app.state import freeze_kept

__all__ = ["main"]


def main() -> None:
    """Configure the page and run the router (the sidebar, then the chosen page)."""
    # an emoji icon is drawn by the browser itself; a ":material/...:" icon would be
    # fetched from Google's font servers, and the app works offline
    st.set_page_config(page_title="coop-optimizer", page_icon="🌾", layout="wide")
    try:
        run_app()
    finally:
        freeze_kept()  # what the run added to the caches, out of the collector's way


if __name__ == "__main__":  # Streamlit runs its main script as __main__
    main()
