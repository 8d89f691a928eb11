"""The warehouse's one-writer lock: an OS file lock held only while a DuckDB connection is open.

DuckDB allows one read-write process per database file.  Dagster's concurrency pool used
to serialise the writing assets, but a pool slot is held for a whole step (so the decode,
ASR and estimation of different VODs ran one at a time) and outlives a killed run (the next
run then waited forever).  An ``flock`` on ``<warehouse>/.dougchat.lock`` fixes both: it is
taken only around the short connection (read inputs, or write one partition's rows in one
transaction), and the kernel releases it the moment its process dies, whatever killed it.

Writers take it exclusively, readers shared; a wait gives up after ``timeout_s`` with a
message naming the process that holds it and what it is doing.  Re-entrant within a thread
(an asset may open a connection inside a function that already holds the lock).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dougchat_assets.errors import InputError

LOCK_NAME = ".dougchat.lock"
DEFAULT_TIMEOUT_S = 600.0

_held = threading.local()


class WarehouseLockTimeout(InputError):
    """The warehouse stayed locked by another live process for longer than the timeout."""


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "an unknown process"
    if not info:
        return "a process that has not said who it is"
    age = time.time() - float(info.get("since", time.time()))
    return f"pid {info.get('pid')} on {info.get('host')} ({info.get('purpose')}, for {age:.0f} s)"


@contextmanager
def warehouse_lock(root: Path, purpose: str, *, shared: bool = False, timeout_s: float = DEFAULT_TIMEOUT_S,
                   poll_s: float = 0.1) -> Iterator[None]:
    """Hold the warehouse lock (exclusive for writers, shared for readers) for the block."""
    path = Path(root) / LOCK_NAME
    key = str(path.resolve()) if path.parent.exists() else str(path)
    depth = getattr(_held, "depth", {})
    _held.depth = depth
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseLockTimeout(
                        path,
                        f"the warehouse is busy: held by {_holder(path)}; gave up after {timeout_s:.0f} s. "
                        "A process that died releases it at once, so this one is alive: wait for it or stop it",
                    ) from None
                time.sleep(poll_s)
        if not shared:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose,
                                      "since": time.time()}).encode(), 0)
        depth[key] = 1
        try:
            yield
        finally:
            depth.pop(key, None)
            if not shared:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
