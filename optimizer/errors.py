"""The project's error types.

Bad input is reported, never crashed on: every problem found in a file becomes a
:class:`Problem` naming the file (and sheet), the row, the column, the value seen and
what was expected, and one :class:`InputError` carries them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_PROBLEMS", "InputError", "Problem"]

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, located as precisely as it can be.

    ``row`` is the row number a spreadsheet shows (the header is row 1), or ``None`` when
    the problem concerns the whole file or table; ``key`` is a dotted settings key
    (``parameters.fuel_price_factor``) for problems in YAML settings.
    """

    file: str
    expected: str
    row: int | None = None
    column: str | None = None
    value: Any = None
    sheet: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        if not self.file:  # a message in words, about no file in particular
            return self.expected
        where = [self.file]
        if self.sheet:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.key:
            where.append(f"key '{self.key}'")
        got = "" if self.value is None else f"got {_show(self.value)}, "
        return f"{', '.join(where)}: {got}expected {self.expected}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class InputError(ValueError):
    """Bad input: one or more :class:`Problem` found while reading a scenario or a file."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", expected=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        shown = self.problems[:MAX_PROBLEMS]
        lines = [str(p) for p in shown]
        hidden = len(self.problems) - len(shown)
        if hidden > 0:
            lines.append(f"... and {hidden} more problems")
        if len(lines) == 1:
            return lines[0]
        return f"{len(self.problems)} problems in the input:\n" + "\n".join(
            f"  - {line}" for line in lines
        )

    @property
    def first_line(self) -> str:
        """One line for a terminal: the first problem and how many more there are."""
        first = str(self.problems[0]) if self.problems else "invalid input"
        more = len(self.problems) - 1
        return first if more <= 0 else f"{first} (and {more} more)"
