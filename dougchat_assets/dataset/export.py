"""Write one split version to disk: per-VOD Parquet shards, JSONL chat records, manifest.json.

Layout (``warehouse/datasets/<version>/``)::

    shards/<split>/<vod_id>.parquet   the pairs of one VOD (training streams these one by one)
    <split>.jsonl                     {"messages": [system, user=context, assistant=reply], ...}
                                      (the layout TRL and Axolotl read; Hugging Face datasets loads it)
    manifest.json                     everything that made this version, with file checksums

A version folder is written under a temp name and renamed into place, and never rewritten:
if it exists, it is verified and reused.  Jitter copies go to train only; a train VOD's
weights are scaled by its balance factor.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dougchat_assets.dataset.split import SPLITS, TRAIN
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import sha256_file
from dougchat_assets.prompt import SYSTEM_PROMPT

MANIFEST = "manifest.json"
SHARD_COLUMNS = (
    "pair_id, vod_id, msg_id, variant, user_hash, sent_at_utc_ms, viewer_audio_s, audio_start_s, audio_end_s,"
    " segment_ids, chat_context_msg_ids, context, reply, weight * {factor} AS weight, is_emote_only, approx_tokens,"
    " curve_version, curve_segment, curve_confidence, filter_preset, filter_params_hash, window_params_hash, prompt_version"
)
REQUIRED_MANIFEST_KEYS = ("split_version", "prompt_version", "system_prompt", "params", "vods", "counts", "files", "usage")
REQUIRED_VOD_KEYS = ("split", "pairs", "files", "asr_model", "offset_curve", "clean_pairs")


@dataclass(frozen=True)
class ExportedSplit:
    folder: Path
    manifest_path: Path
    manifest_sha256: str
    reused: bool


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _where(vod_ids: list[str], split: str) -> str:
    listed = ", ".join(_sql_text(v) for v in vod_ids)
    variants = "" if split == TRAIN else " AND variant = 'orig'"
    return f"vod_id IN ({listed}){variants}"


def export_split(
    con: duckdb.DuckDBPyConnection,
    datasets_dir: Path,
    version: str,
    assignment: dict[str, str],
    factors: dict[str, float],
    manifest: dict,
) -> ExportedSplit:
    """Write the version folder (or verify and reuse it).  ``manifest`` gets ``files`` added."""
    folder = datasets_dir / version
    if (folder / MANIFEST).exists():
        verify_export(folder)
        return ExportedSplit(folder, folder / MANIFEST, sha256_file(folder / MANIFEST), True)
    datasets_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=datasets_dir))
    try:
        files = []
        for split in SPLITS:
            vods = sorted(v for v, s in assignment.items() if s == split)
            for vod_id in vods:
                shard = tmp / "shards" / split / f"{vod_id}.parquet"
                shard.parent.mkdir(parents=True, exist_ok=True)
                columns = SHARD_COLUMNS.format(factor=repr(float(factors.get(vod_id, 1.0))))
                con.execute(
                    f"COPY (SELECT {columns} FROM pairs WHERE {_where([vod_id], split)} ORDER BY pair_id)"
                    f" TO {_sql_text(str(shard))} (FORMAT parquet, COMPRESSION zstd)"
                )
                files.append((shard, split, vod_id))
            jsonl = tmp / f"{split}.jsonl"
            if vods:
                con.execute(
                    f"""COPY (SELECT [{{'role': 'system', 'content': {_sql_text(SYSTEM_PROMPT)}}},
                                      {{'role': 'user', 'content': context}},
                                      {{'role': 'assistant', 'content': reply}}] AS messages,
                                     pair_id, vod_id, variant, weight * CASE vod_id {" ".join(f"WHEN {_sql_text(v)} THEN {float(factors.get(v, 1.0))!r}" for v in vods)} END AS weight
                              FROM pairs WHERE {_where(vods, split)} ORDER BY vod_id, pair_id)
                        TO {_sql_text(str(jsonl))} (FORMAT json)"""
                )
            else:
                jsonl.write_text("", encoding="utf-8")
            files.append((jsonl, split, None))
        manifest = dict(manifest)
        manifest["files"] = [
            {"path": str(path.relative_to(tmp)), "split": split, "vod_id": vod_id, "sha256": sha256_file(path),
             "size_bytes": path.stat().st_size}
            for path, split, vod_id in files
        ]
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
        if folder.exists():  # a half-written folder from a killed run (no manifest): replace it
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return ExportedSplit(folder, folder / MANIFEST, sha256_file(folder / MANIFEST), False)


def load_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "split version has no manifest") from None
    except json.JSONDecodeError as error:
        raise InputError(path, f"manifest is not valid JSON: {error.msg}", line=error.lineno) from None


def manifest_problems(folder: Path) -> list[str]:
    """What is missing or wrong in a version folder (empty list = complete and intact)."""
    manifest = load_manifest(folder)
    problems = [f"missing key {key!r}" for key in REQUIRED_MANIFEST_KEYS if key not in manifest]
    for vod_id, vod in sorted(manifest.get("vods", {}).items()):
        problems += [f"{vod_id}: missing {key!r}" for key in REQUIRED_VOD_KEYS if key not in vod]
        if vod.get("split") in SPLITS:
            if not vod.get("asr_model", {}).get("sha256"):
                problems.append(f"{vod_id}: no ASR model checksum")
            if not vod.get("offset_curve", {}).get("version"):
                problems.append(f"{vod_id}: no offset curve version")
            if not vod.get("clean_pairs", {}).get("filter_params_hash"):
                problems.append(f"{vod_id}: no filter parameters")
            if not any(f.get("sha256") for f in vod.get("files", [])):
                problems.append(f"{vod_id}: no input checksums")
    for entry in manifest.get("files", []):
        path = folder / entry["path"]
        if not path.exists():
            problems.append(f"file {entry['path']} is missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"file {entry['path']} does not match its checksum")
    return problems


def verify_export(folder: Path) -> None:
    problems = manifest_problems(folder)
    if problems:
        raise InputError(folder / MANIFEST, "split version folder is damaged: " + "; ".join(problems[:5]))
