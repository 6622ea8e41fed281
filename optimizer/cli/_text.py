"""User text on the terminal: cut to a length and with Rich's markup escaped; paths typed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from optimizer.io.format import plain_text

__all__ = ["out_path", "user_text"]


def user_text(value: object, limit: int = 200) -> str:
    """User text for Rich: cut to ``limit`` characters and with its markup escaped, so that a
    name such as ``Coop [/x]`` prints as written and a 1 MB description prints at once."""
    return escape(plain_text(value, limit))


def out_path(value: str) -> Path:
    """An ``--out`` path as typed; an empty one is refused (it would write into the current
    folder)."""
    if not str(value).strip():
        raise typer.BadParameter("expected a path, got an empty one")
    return Path(value)
