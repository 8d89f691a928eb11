"""Rows of the ``vod_manifest`` table: which file fed or came out of which asset, with checksums."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from dougchat_assets.fileio import sha256_file

MANIFEST_SCHEMA = pa.schema(
    [
        ("vod_id", pa.string()),
        ("asset", pa.string()),
        ("role", pa.string()),
        ("path", pa.string()),
        ("size_bytes", pa.int64()),
        ("sha256", pa.string()),
        ("details", pa.string()),
    ]
)


def file_entry(
    vod_id: str, asset: str, role: str, path: Path, root: Path, details: dict | None = None, sha256: str | None = None
) -> dict:
    """A manifest row for a file; the path is stored relative to the warehouse root when inside it."""
    try:
        shown = str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        shown = str(path.resolve())
    return {
        "vod_id": vod_id,
        "asset": asset,
        "role": role,
        "path": shown,
        "size_bytes": path.stat().st_size,
        "sha256": sha256 or sha256_file(path),
        "details": json.dumps(details or {}, sort_keys=True),
    }


def record_entry(vod_id: str, asset: str, role: str, details: dict) -> dict:
    """A manifest row that is not a file (parameters, model versions, resolved metadata)."""
    return {
        "vod_id": vod_id,
        "asset": asset,
        "role": role,
        "path": None,
        "size_bytes": None,
        "sha256": None,
        "details": json.dumps(details, sort_keys=True),
    }


def manifest_table(entries: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(entries, schema=MANIFEST_SCHEMA)
