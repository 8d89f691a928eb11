"""Which VOD folders wait under ``warehouse/incoming/`` and which of them need a run.

Pure decisions, so the sensor and the schedule (Dagster glue) stay trivial and the rules
are tested directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from dougchat_assets.errors import InputError
from dougchat_assets.settings import validate_vod_id


def folder_fingerprint(folder: Path) -> str:
    """Cheap change detector for a VOD folder: names, sizes and mtimes of its files.

    Sensors and schedules poll this; hashing the content of a multi-GB video every minute
    would be far too slow (content checksums live in the manifest instead).
    """
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            digest.update(f"{path.name}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class IncomingScan:
    fingerprints: dict[str, str]  # vod_id -> folder fingerprint
    rejected: dict[str, str] = field(default_factory=dict)  # folder name -> why it was skipped


def scan_incoming(incoming_dir: Path) -> IncomingScan:
    """Fingerprint every folder with a valid VOD id; report (not raise on) the others."""
    fingerprints: dict[str, str] = {}
    rejected: dict[str, str] = {}
    if not incoming_dir.is_dir():
        return IncomingScan(fingerprints)
    for folder in sorted(incoming_dir.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            validate_vod_id(folder.name, source=folder)
        except InputError as error:
            rejected[folder.name] = str(error)
            continue
        fingerprints[folder.name] = folder_fingerprint(folder)
    return IncomingScan(fingerprints, rejected)


@dataclass(frozen=True)
class SensorDecision:
    run: dict[str, str]  # vod_id -> fingerprint to run now
    cursor: dict[str, dict[str, str]]


def decide_sensor_tick(found: dict[str, str], cursor: dict[str, dict[str, str]]) -> SensorDecision:
    """Run a folder once its fingerprint has been the same on two consecutive ticks.

    A folder copied in by hand may still be growing; waiting one tick for it to settle
    avoids ingesting half a file.  ``cursor`` holds ``pending`` (seen once) and ``done``
    (already requested) fingerprints; a changed folder is requested again.
    """
    pending = dict(cursor.get("pending", {}))
    done = dict(cursor.get("done", {}))
    run: dict[str, str] = {}
    for vod_id, fingerprint in found.items():
        if done.get(vod_id) == fingerprint:
            pending.pop(vod_id, None)
        elif pending.get(vod_id) == fingerprint:
            run[vod_id] = fingerprint
            done[vod_id] = fingerprint
            pending.pop(vod_id)
        else:
            pending[vod_id] = fingerprint
    for gone in set(done) - set(found):
        done.pop(gone)
    for gone in set(pending) - set(found):
        pending.pop(gone)
    return SensorDecision(run=run, cursor={"pending": pending, "done": done})

