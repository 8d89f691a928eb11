"""A decode killed with SIGKILL leaves a temp file; the next decode of that VOD removes it, and only it.

The decodes here are real child processes reading their source from a FIFO: the parent
feeds half the file, so the child is provably mid-decode (its temp file open and partly
written) when it is killed or when another decode runs beside it -- no timing guesses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from dougchat_assets.audio import decode_to_flac
from dougchat_assets.audio.tempfiles import IDLE_S, owner_suffix, stale_temp_files
from dougchat_assets_tests.conftest import write_tone_audio

DEADLINE_S = 30.0


class FifoDecode:
    """``decode_to_flac(fifo, destination)`` in a child process, fed by this one."""

    def __init__(self, source_bytes: bytes, fifo: Path, destination: Path) -> None:
        os.mkfifo(fifo)
        self.data, self.destination = source_bytes, destination
        code = (
            "import sys; from pathlib import Path; from dougchat_assets.audio import decode_to_flac; "
            "decode_to_flac(Path(sys.argv[1]), Path(sys.argv[2]))"
        )
        self.child = subprocess.Popen([sys.executable, "-c", code, str(fifo), str(destination)])
        deadline = time.monotonic() + DEADLINE_S
        while True:  # opening a FIFO for writing waits for its reader: poll instead of hanging
            try:
                self.fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError:
                assert self.child.poll() is None and time.monotonic() < deadline, "decoder did not start"
                time.sleep(0.02)
        os.set_blocking(self.fd, True)
        self.sent = len(self.data) // 2
        os.write(self.fd, self.data[: self.sent])

    def temp_file(self) -> Path:
        """Wait until the child has written part of its temp file; return it."""
        deadline = time.monotonic() + DEADLINE_S
        prefix = f".{self.destination.name}."
        while True:
            temps = [p for p in self.destination.parent.iterdir() if p.name.startswith(prefix) and p.stat().st_size > 0]
            if temps:
                assert len(temps) == 1 and f".p{self.child.pid}-" in temps[0].name
                return temps[0]
            assert self.child.poll() is None and time.monotonic() < deadline, "no temp file appeared"
            time.sleep(0.02)

    def kill(self) -> None:
        self.child.send_signal(signal.SIGKILL)
        assert self.child.wait(timeout=DEADLINE_S) == -signal.SIGKILL
        os.close(self.fd)

    def finish(self) -> int:
        os.write(self.fd, self.data[self.sent :])
        os.close(self.fd)
        return self.child.wait(timeout=DEADLINE_S)


@pytest.fixture
def source(tmp_path: Path) -> bytes:
    return write_tone_audio(tmp_path / "source.flac", seconds=30, rate=16_000).read_bytes()


def test_a_killed_decodes_temp_file_is_removed_but_a_live_decode_of_another_vod_is_untouched(
    tmp_path: Path, source: bytes
) -> None:
    audio = tmp_path / "warehouse" / "audio"
    audio.mkdir(parents=True)
    live_b = FifoDecode(source, tmp_path / "b.fifo", audio / "vod_b.flac")
    killed_a = FifoDecode(source, tmp_path / "a.fifo", audio / "vod_a.flac")
    live_temp, stray = live_b.temp_file(), killed_a.temp_file()
    killed_a.kill()
    try:
        assert stray.exists()  # what a SIGKILL leaves behind
        decoded = decode_to_flac(tmp_path / "source.flac", audio / "vod_a.flac")  # the rerun
        assert decoded.path.exists() and abs(decoded.duration_s - 30.0) < 0.05
        assert sorted(p.name for p in audio.iterdir()) == sorted([live_temp.name, "vod_a.flac"])
    finally:
        exit_b = live_b.finish()
    assert exit_b == 0  # B's temp survived, so its rename worked
    assert sorted(p.name for p in audio.iterdir()) == ["vod_a.flac", "vod_b.flac"]
    with av.open(str(audio / "vod_b.flac")) as container:
        assert abs(container.duration / 1e6 - 30.0) < 0.05


def _touch(path: Path, age_s: float = 0.0) -> Path:
    path.write_bytes(b"fLaC partial")
    moment = time.time() - age_s
    os.utime(path, (moment, moment))
    return path


def test_which_temp_files_are_stale(tmp_path: Path) -> None:
    destination = tmp_path / "vod_a.flac"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        live_same_vod = _touch(tmp_path / f".vod_a.flac.k2j4h5g6{owner_suffix(destination, sleeper.pid)}")
        dead = _touch(tmp_path / f".vod_a.flac.abcd1234{owner_suffix(destination, gone.pid)}")
        mine = _touch(tmp_path / f".vod_a.flac.mine0000{owner_suffix(destination)}")
        idle_live = _touch(tmp_path / f".vod_a.flac.idle0000{owner_suffix(destination, sleeper.pid)}", IDLE_S + 5)
        other_host = _touch(tmp_path / f".vod_a.flac.zzzz0000.p{gone.pid}-00000000.flac")
        legacy_old = _touch(tmp_path / ".vod_a.flac.old_1234.flac", 3600 * 24 * 365)
        legacy_fresh = _touch(tmp_path / ".vod_a.flac.new_1234.flac")
        other_vod = _touch(tmp_path / f".vod_ab.flac.abcd1234{owner_suffix(destination, gone.pid)}")
        unrelated = [_touch(tmp_path / name, 3600 * 24 * 365) for name in (".vod_a.flac.lock", "vod_a.flac", ".vod_a.flac.x.y.flac")]
        stale = stale_temp_files(destination)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert stale == sorted([dead, mine, idle_live, legacy_old])
    kept = {live_same_vod, other_host, legacy_fresh, other_vod, *unrelated}
    assert not kept & set(stale)
