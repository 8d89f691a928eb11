"""Plots shown inline in the Dagster UI, not as file paths.

The UI renders Markdown metadata, images included; a PNG embedded as a data URI needs no file
server and stays with the materialization that made it (the file on disk may be replaced by
the next run).  Plots here are tens of KB; a larger file is linked instead of embedded so the
event log stays small.
"""

from __future__ import annotations

import base64
from pathlib import Path

import dagster as dg

MAX_INLINE_BYTES = 1_500_000


def inline_png(path: Path, title: str) -> dg.MetadataValue:
    """``path`` as a Markdown image (a data URI), or a line naming the file when it is too big."""
    data = Path(path).read_bytes()
    if len(data) > MAX_INLINE_BYTES:
        return dg.MetadataValue.md(f"**{title}**: {path} ({len(data):,} bytes, too large to show inline)")
    encoded = base64.b64encode(data).decode("ascii")
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}](data:image/png;base64,{encoded})")
