"""Temp files of a decode: named after their owner, removed when that owner is dead.

The decoder writes ``warehouse/audio/<vod>.flac`` under a temp name beside it and renames it
when complete (``fileio.atomic_path``).  A decode killed by SIGKILL, the OOM killer or a
power cut never reaches its cleanup, so its temp file (hundreds of MB for a long VOD) stays
forever.  The next decode of the same destination removes it -- but two VODs decode at
once, and the same VOD may even be decoded by two runs, so only files that provably belong
to no live decode go:

* the temp name carries the writer's pid and a hash of its host
  (``.<vod>.flac.<random>.p<pid>-<host>.flac``); such a file is stale when written on this
  host by a pid that is gone (or by this very process, which is not decoding it yet), or
  when nobody has written to it for :data:`IDLE_S` (a foreign host, a reused pid);
* a temp file without that tag (written by an older version) is stale when it was last
  modified before this process started: a live decode keeps touching its file.

Only names that start with the destination's own name are considered, so another VOD's
files are never touched (VOD ids contain no dots, so ``.vod_a.flac.`` never matches
``.vod_ab.flac.``).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from pathlib import Path

# A live decode writes its FLAC every second or so; ten idle minutes means nobody owns it.
IDLE_S = 600.0

_TAG = re.compile(r"^[a-z0-9_]+(?:\.p(?P<pid>\d+)-(?P<host>[0-9a-f]{8}))?$")


def host_tag() -> str:
    """8 hex digits naming this machine (a shared warehouse folder may be written from several)."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def owner_suffix(destination: Path, pid: int | None = None) -> str:
    """The suffix ``atomic_path`` gets so a temp file names its writer: ``.p<pid>-<host><ext>``."""
    return f".p{os.getpid() if pid is None else pid}-{host_tag()}{destination.suffix or '.tmp'}"


def stale_temp_files(destination: Path, *, now: float | None = None) -> list[Path]:
    """Temp files beside ``destination`` left by decodes that are no longer running."""
    folder = destination.parent
    if not folder.is_dir():
        return []
    prefix = f".{destination.name}."
    suffix = destination.suffix or ".tmp"
    now = time.time() if now is None else now
    started = process_start_time()
    stale: list[Path] = []
    for path in folder.iterdir():
        name = path.name
        if not (name.startswith(prefix) and name.endswith(suffix)) or len(name) <= len(prefix) + len(suffix):
            continue
        match = _TAG.fullmatch(name[len(prefix) : -len(suffix)])
        if match is None or not path.is_file():
            continue
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue  # renamed into place or removed by its owner meanwhile
        if _is_stale(match, modified, now, started):
            stale.append(path)
    return sorted(stale)


def remove_stale_temp_files(destination: Path) -> list[Path]:
    """Delete :func:`stale_temp_files`; returns what was removed (for the log and the tests)."""
    removed = []
    for path in stale_temp_files(destination):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


def _is_stale(match: re.Match, modified: float, now: float, process_started: float) -> bool:
    if match["pid"] is None:
        return modified < process_started
    if now - modified > IDLE_S:
        return True
    if match["host"] != host_tag():
        return False  # another machine's decode: only idleness tells
    pid = int(match["pid"])
    return pid == os.getpid() or not pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """True if a process with ``pid`` runs on this machine; a zombie (killed, not yet reaped) is dead."""
    import psutil

    if pid <= 0:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # exists, owned by someone else


def process_start_time() -> float:
    """When this process started (epoch seconds)."""
    import psutil  # a Dagster dependency; imported here to keep module import light

    return psutil.Process().create_time()
