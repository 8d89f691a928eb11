"""Versions of the per-VOD inputs that live in files, not tables: what makes a partition stale.

Three inputs change a VOD's results besides its own upstream assets, each for a different
asset: the incoming folder (chat, audio, vod.json) for ``raw_chat`` and ``vod_audio``, the
reviewer's audits for ``transcripts`` (its WER check), and a saved alignment override for
``offset_curve``.  Each has a short version string; Dagster records them as the data versions
of observable source assets, so a changed override marks exactly that VOD's ``offset_curve``
(and what depends on it) stale, and the automation re-runs just that.

Versions are cheap to poll: the folder by names, sizes and mtimes (hashing a multi-GB video
every tick is too slow; content checksums live in the manifest), the small TOML/JSONL files
by content, so re-saving an unchanged override is not a change.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dougchat_assets.align.override import override_path
from dougchat_assets.asr.warehouse import audits_path
from dougchat_assets.ingest.incoming import folder_fingerprint
from dougchat_assets.settings import WarehouseLayout

VOD_FOLDER = "vod_folder"
TRANSCRIPT_AUDITS = "transcript_audits"
ALIGNMENT_OVERRIDE = "alignment_override"
ABSENT = "absent"


def file_version(path: Path) -> str:
    """A content hash of a small file, or ``absent`` when there is none."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return ABSENT


def vod_folder_version(layout: WarehouseLayout, vod_id: str) -> str:
    folder = layout.incoming(vod_id)
    return folder_fingerprint(folder) if folder.is_dir() else ABSENT


def input_version(layout: WarehouseLayout, source: str, vod_id: str) -> str:
    """The current version of one input (``VOD_FOLDER``, ``TRANSCRIPT_AUDITS`` or ``ALIGNMENT_OVERRIDE``) of a VOD."""
    if source == VOD_FOLDER:
        return vod_folder_version(layout, vod_id)
    if source == TRANSCRIPT_AUDITS:
        return file_version(audits_path(layout, vod_id))
    if source == ALIGNMENT_OVERRIDE:
        return file_version(override_path(layout.overrides_dir, vod_id))
    raise ValueError(f"unknown input source {source!r}")


INPUT_SOURCES = (VOD_FOLDER, TRANSCRIPT_AUDITS, ALIGNMENT_OVERRIDE)
