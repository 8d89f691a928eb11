"""Shared fixtures: a throw-away warehouse, real audio and chat files, a Dagster instance."""

from __future__ import annotations

import gzip
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dougchat_assets.audio.synthetic import write_tone_audio
from dougchat_assets.settings import WarehouseLayout

__all__ = ["write_tone_audio"]

STARTED = datetime(2026, 3, 2, 19, 0, 0, tzinfo=timezone.utc)
# clean_pairs hashes users with a keyed HMAC; tests use a throw-away key (never a real one)
os.environ.setdefault("DOUGCHAT_HASH_KEY", "tests-only-key-0123456789abcdef")


@pytest.fixture
def layout(tmp_path: Path) -> WarehouseLayout:
    warehouse = WarehouseLayout(root=tmp_path / "warehouse")
    warehouse.ensure()
    return warehouse


def twitchdownloader_export(n: int = 5, started: datetime = STARTED, length_s: float = 60) -> dict:
    """A small TwitchDownloader export in the real shape (video before comments)."""
    comments = []
    for index in range(n):
        sent = started + timedelta(seconds=2 + index * 1.25)
        comments.append(
            {
                "_id": f"c0ffee-{index}",
                "created_at": sent.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "channel_id": "11111",
                "content_type": "video",
                "content_id": "2000000001",
                "content_offset_seconds": int((sent - started).total_seconds()),
                "commenter": {"display_name": f"Viewer{index}", "_id": f"9{index}", "name": f"viewer{index}"},
                "message": {
                    "body": "!discord" if index == 2 else f"hello chat {index} KEKW",
                    "bits_spent": 0,
                    "fragments": [{"text": "!discord" if index == 2 else f"hello chat {index} KEKW", "emoticon": None}],
                    "user_badges": [{"_id": "subscriber", "version": "12"}],
                    "user_color": "#FF0000",
                    "emoticons": [],
                },
            }
        )
    return {
        "FileInfo": {"Version": {"Major": 1, "Minor": 4, "Patch": 0}, "CreatedAt": "2026-03-03T10:00:00Z"},
        "streamer": {"name": "teststreamer", "id": 11111},
        "video": {
            "title": "test stream",
            "description": None,
            "id": "2000000001",
            "created_at": started.isoformat().replace("+00:00", "Z"),
            "start": 0,
            "end": length_s,
            "length": length_s,
            "viewCount": 10,
            "game": "Just Chatting",
        },
        "comments": comments,
        "embeddedData": None,
    }


def make_vod_folder(
    folder: Path, *, n_messages: int = 5, gzip_chat: bool = False, vod_json: dict | None = None, video: bool = False
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_tone_audio(folder / ("stream.mp4" if video else "stream.flac"), video=video)
    # 6 s of audio for an 8 s VOD (a 2 s late start): `add` refuses audio far shorter than the VOD
    data = json.dumps(twitchdownloader_export(n_messages, length_s=8)).encode()
    if gzip_chat:
        (folder / "chat.json.gz").write_bytes(gzip.compress(data, mtime=0))
    else:
        (folder / "chat.json").write_bytes(data)
    if vod_json is not None:
        (folder / "vod.json").write_text(json.dumps(vod_json))
    return folder


@pytest.fixture
def vod_folder(tmp_path: Path) -> Path:
    return make_vod_folder(tmp_path / "src" / "vod_a")


@pytest.fixture(autouse=True)
def _forget_dagster_state_storage():
    """Make every test start without a Dagster defs-state storage in scope.

    Entering a DagsterInstance puts its state storage in a process-wide context variable; a
    materialization later reads it through a weak reference to that instance.  When a test's
    instance has been closed and collected but the variable still names its storage (exits
    out of order), the next test's materialize fails with "Attempted to resolve undefined
    DagsterInstance weakref" — depending on garbage-collection timing, i.e. flakily.  Nothing
    here uses defs state, so no storage in scope is always right.
    """
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)
    yield
    _current_storage.set(None)
