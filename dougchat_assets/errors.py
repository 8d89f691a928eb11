"""One error type for bad input, so every layer (CLI, Dagster, tests) reports it the same way.

A user who feeds a broken export needs to know *which file* and *where in it*; a bare
``KeyError`` from deep inside a parser tells them nothing.  Every parser and loader raises
:class:`InputError` with the file and, where there is one, the line (1-based) or the field.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad input: names the file and the line or field that is wrong."""

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
