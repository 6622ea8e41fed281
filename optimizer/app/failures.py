"""What the app says when something it did not foresee fails: a plain message, no server path.

An unexpected error's text can hold where the server keeps files (a cache, an uploaded
scenario's folder, the installed package). The page shows the message with every path cut
to its file name (an uploaded file by the name it was uploaded under); the server's log keeps
the whole traceback.
"""

from __future__ import annotations

import logging
import re

import streamlit as st

from optimizer.io.upload import shown_path

__all__ = ["plain_message", "show_failure"]

_log = logging.getLogger(__name__)

# an absolute path (POSIX, or Windows with a drive letter): its folders, then its last part
_PATH = re.compile(
    r"(?:[A-Za-z]:[\\/]|/)(?:[^\s'\"`:;,()\[\]{}<>/\\]+[/\\])+([^\s'\"`:;,()\[\]{}<>/\\]+)"
)


def plain_message(error: BaseException) -> str:
    """The error's message for a page: paths cut to their file names, the kind of error
    in words when the message says nothing."""
    text = _PATH.sub(r"\1", shown_path(str(error))).strip()
    kind = error.__class__.__name__
    return f"{text} ({kind})" if text else kind


def show_failure(error: BaseException, *, title: str) -> None:
    """``title`` and the error's plain message on the page; the traceback in the log."""
    _log.error("%s", title, exc_info=error)
    st.error(
        f"**{title}**: {plain_message(error)}. The server's log has the details; "
        "please report it with what you did."
    )
