"""Shared fixtures: a throw-away warehouse, real audio and chat files, THE Dagster instance fixture."""

from __future__ import annotations

import gc
import gzip
import json
import os
import warnings
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


@pytest.fixture
def instance(request):
    """THE Dagster instance of a test: in memory, entered for the test, left after it.

    Tests that need a persistent one (a schedule context needs an instance with a ref) take
    ``persistent_instance`` instead; nothing else in the tests creates instances.  In-memory
    is the default because a SQLite instance costs about 3 s more per test (measured with
    one raw_chat + vod_audio materialization: 0.6 s vs 3.3 s on a busy 2-core machine).
    """
    import dagster as dg

    with dg.DagsterInstance.ephemeral() as test_instance:
        yield test_instance
        _check_left(test_instance, request.node.nodeid)


@pytest.fixture
def persistent_instance(tmp_path: Path, request):
    """A SQLite instance (as `dougchat materialize` and the daemon use) for tests that need a ref.

    Its storage lives under the test's own ``tmp_path``, not in ``instance_for_test()``'s
    default temporary folder, which is deleted when the fixture exits: anything still
    reaching the instance's storage afterwards (see ``_leaked_instances``) then failed with
    "sqlite3.OperationalError: unable to open database file" on ``/tmp/tmp.../history/runs.db``.
    ``DAGSTER_HOME`` points at the same folder while the test runs.
    """
    import dagster as dg

    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as test_instance:
        yield test_instance
        _check_left(test_instance, request.node.nodeid)


def _check_left(test_instance, nodeid: str) -> None:
    """After the test, only the fixture's own instance may still be entered."""
    from dagster._core.storage.defs_state.base import _current_storage

    if _current_storage.get() is not test_instance.defs_state_storage:
        _leaked_instances(nodeid)


def _leaked_instances(nodeid: str) -> None:
    """Finalise instances a test entered and never left, now, and say which test did it.

    Entering a DagsterInstance puts its defs-state storage in a process-wide context variable
    (restored when the instance is left); ``materialize`` reads the storage's run database
    through a weak reference to its instance.  ``dg.build_schedule_context(instance=...)``
    not used as a context manager enters a *second* instance from the first one's ref on
    ``context.instance`` and never leaves it.  That context sits in a reference cycle, so it
    is finalised whenever the cyclic garbage collector next runs — usually during a later
    test — and finalising it restores the variable to the value it had when the second
    instance was entered: the storage of a test instance already closed.  The later test's
    ``materialize`` then failed with "Attempted to resolve undefined DagsterInstance weakref",
    or with "unable to open database file" for a temporary ``history/runs.db`` when that
    instance's folder was already deleted: flaky, depending on allocation and load.
    Collecting here runs those finalisers while this test's own instance is still open.
    """
    gc.collect()
    warnings.warn(
        f"{nodeid} left a Dagster instance entered (e.g. dg.build_schedule_context(...) or "
        "build_sensor_context(...) not used as `with ... as context`): finalised at teardown",
        stacklevel=2,
    )


@pytest.fixture(autouse=True)
def _isolated_dagster_state(request):
    """Every test starts and ends with no Dagster defs-state storage in scope and no DAGSTER_HOME.

    ``DAGSTER_HOME`` — which `dougchat` sets process-wide, and a developer's shell may set —
    is removed for the test and restored afterwards, so no test resolves another test's (or
    a real) instance.  An instance left entered by a test without the ``instance`` fixture is
    finalised here (see ``_leaked_instances``).
    """
    from dagster._core.storage.defs_state.base import _current_storage

    saved_home = os.environ.pop("DAGSTER_HOME", None)
    _current_storage.set(None)
    yield
    if _current_storage.get() is not None:
        _leaked_instances(request.node.nodeid)
    _current_storage.set(None)
    if saved_home is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = saved_home
