"""Groups of players in words, for the verdicts on a split and the notes beside them."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["bounds_note", "group_words"]


def bounds_note(bounds: Sequence[str]) -> str:
    """One line naming the coalition costs that are upper bounds (at most five shown)."""
    shown = ", ".join(bounds[:5]) + (f" and {len(bounds) - 5} more" if len(bounds) > 5 else "")
    return (
        f"{len(bounds)} coalition cost{'s' if len(bounds) > 1 else ''} not proven optimal "
        f"(upper bounds, solve stopped early): {shown}"
    )


def group_words(labels: Sequence[str], *, shown: int = 6) -> str:
    """A group in words: every label up to ``shown + 2``, else the first ``shown`` and
    "and N more" (a list of 100 farm names helps nobody)."""
    if len(labels) <= shown + 2:
        return ", ".join(labels)
    return ", ".join(labels[:shown]) + f" and {len(labels) - shown} more"
