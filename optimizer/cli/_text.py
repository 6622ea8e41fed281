"""User text on the terminal: cut to a length and with Rich's markup escaped."""

from __future__ import annotations

from rich.markup import escape

from optimizer.io.format import plain_text

__all__ = ["user_text"]


def user_text(value: object, limit: int = 200) -> str:
    """User text for Rich: cut to ``limit`` characters and with its markup escaped, so that a
    name such as ``Coop [/x]`` prints as written and a 1 MB description prints at once."""
    return escape(plain_text(value, limit))
