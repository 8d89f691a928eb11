"""The warehouse lock: one writer, readers together, dies with its process, times out naming the holder."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dougchat_assets.store.lock import LOCK_NAME, WarehouseLockTimeout, warehouse_lock

HOLD = """
import sys, time
from pathlib import Path
from dougchat_assets.store.lock import warehouse_lock
with warehouse_lock(Path(sys.argv[1]), "test holder", shared=sys.argv[2] == "shared"):
    print("held", flush=True)
    time.sleep(120)
"""


def _holder(root: Path, mode: str = "exclusive") -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(root), mode], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_writer_waits_then_gives_up_naming_the_live_holder(tmp_path: Path) -> None:
    child = _holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLockTimeout) as error:
            with warehouse_lock(tmp_path, "second writer", timeout_s=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5
        assert f"pid {child.pid}" in str(error.value) and "test holder" in str(error.value)
        assert LOCK_NAME in str(error.value)
    finally:
        child.kill()
        child.wait()


def test_the_lock_dies_with_its_process(tmp_path: Path) -> None:
    child = _holder(tmp_path)
    child.send_signal(signal.SIGKILL)
    child.wait()
    started = time.monotonic()
    with warehouse_lock(tmp_path, "after the kill", timeout_s=5):
        assert time.monotonic() - started < 1
        assert "after the kill" in (tmp_path / LOCK_NAME).read_text()


def test_readers_share_and_exclude_a_writer(tmp_path: Path) -> None:
    child = _holder(tmp_path, "shared")
    try:
        with warehouse_lock(tmp_path, "second reader", shared=True, timeout_s=1):
            pass
        with pytest.raises(WarehouseLockTimeout):
            with warehouse_lock(tmp_path, "writer", timeout_s=0.3):
                pass
    finally:
        child.kill()
        child.wait()


def test_the_lock_is_reentrant_within_a_thread(tmp_path: Path) -> None:
    with warehouse_lock(tmp_path, "outer", timeout_s=1):
        with warehouse_lock(tmp_path, "inner", timeout_s=1):
            pass
        assert "outer" in (tmp_path / LOCK_NAME).read_text()
    assert (tmp_path / LOCK_NAME).read_text() == ""
