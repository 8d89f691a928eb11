"""``dougchat add``: validate a VOD folder and copy it into ``warehouse/incoming/<vod_id>/``.

Validation happens before anything is copied, and the copy appears atomically, so the
sensor never sees half a folder.  Validation covers the media too: a file without an audio
stream, or audio far shorter or longer than the VOD, is refused here (from its headers,
in milliseconds) rather than after a long decode or at alignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dougchat_assets.chat import read_export_metadata
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import atomic_copy_files, sha256_file
from dougchat_assets.ingest.media_check import AudioLengthTolerance, check_vod_media, load_tolerance
from dougchat_assets.ingest.vod_folder import VodFolder, inspect_vod_folder
from dougchat_assets.settings import WarehouseLayout, validate_vod_id


@dataclass(frozen=True)
class Registration:
    vod_id: str
    folder: Path
    status: str  # "added", "unchanged" or "replaced"


def _content(files: list[Path]) -> dict[str, str]:
    return {path.name: sha256_file(path) for path in files}


def choose_vod_id(vod: VodFolder, explicit: str | None) -> str:
    """--vod-id, else vod.json's vod_id, else the folder name; always validated, never sanitised."""
    if explicit is not None:
        return validate_vod_id(explicit, source="--vod-id")
    if vod.vod_json.get("vod_id"):
        return validate_vod_id(vod.vod_json["vod_id"], source=vod.vod_json_path or vod.folder)
    return validate_vod_id(vod.folder.name, source=vod.folder)


def register_vod_folder(
    source: Path,
    layout: WarehouseLayout,
    vod_id: str | None = None,
    force: bool = False,
    tolerance: AudioLengthTolerance | None = None,
) -> Registration:
    """Check ``source`` (files, ``vod.json``, export header, media) and copy it to ``incoming/<id>/``.

    ``tolerance`` defaults to ``[ingest]`` of the warehouse's ``dougchat.toml``.
    """
    vod = inspect_vod_folder(source)
    chosen = choose_vod_id(vod, vod_id)
    export = read_export_metadata(vod.chat_path)  # the export's header must parse before we accept it
    check_vod_media(vod, export, tolerance or load_tolerance(layout))
    target = layout.incoming(chosen)
    status = "added"
    if target.exists():
        existing = _content([p for p in target.iterdir() if p.is_file() and not p.name.startswith(".")])
        if existing == _content(vod.input_files):
            return Registration(chosen, target, "unchanged")
        if not force:
            raise InputError(target, f"VOD {chosen!r} is already registered with different files (use --force to replace it)")
        status = "replaced"
    atomic_copy_files(vod.input_files, target)
    return Registration(chosen, target, status)
