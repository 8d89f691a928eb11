"""A small real warehouse for the reviewer: two VODs, 300 chat rows, a 20 s FLAC, a 3-knot curve."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dougchat_assets.audio.synthetic import write_tone_audio
from dougchat_assets.review.curve import Knot
from dougchat_assets.settings import WarehouseLayout
from dougchat_assets.store.schema import ensure_schema

VOD = "demo_01"
OTHER_VOD = "demo_02"  # metadata + chat only: no curve, no audio
START_MS = 1_772_478_000_000
# Audio starts 1.5 s after the VOD start, then drifts a little (slope 0.95 then 1.02).
KNOTS = (
    Knot(START_MS, 1.5),
    Knot(START_MS + 12_000, 12.9),
    Knot(START_MS + 40_000, 41.46),
)
N_MESSAGES = 300
MESSAGE_STEP_MS = 80
XSS_BODY = "<img src=x onerror=\"window.__xss=1\"> not html"


@dataclass(frozen=True)
class ReviewWarehouse:
    layout: WarehouseLayout
    vod_id: str
    other_vod_id: str
    knots: tuple[Knot, ...]
    chat_ms: tuple[int, ...]


def message_times() -> list[int]:
    """Chat from 2 s before the start to ~22 s after it, every 80 ms."""
    return [START_MS - 2_000 + i * MESSAGE_STEP_MS for i in range(N_MESSAGES)]


def _chat_rows(vod_id: str, times: list[int]) -> pa.Table:
    """Chat rows as Arrow (an INSERT per row through executemany takes over a second)."""
    n = len(times)
    return pa.table(
        {
            "msg_id": [f"{vod_id}-m{i:04d}" for i in range(n)],
            "vod_id": [vod_id] * n,
            "sent_at_utc_ms": pa.array(times, pa.int64()),
            "user_login": [f"viewer{i % 17}" for i in range(n)],
            "user_display_name": [f"Viewer{i % 17}" for i in range(n)],
            "body": [XSS_BODY if i == 150 else f"message {i} from chat" for i in range(n)],
            "msg_type": ["sub" if i % 50 == 49 else "chat" for i in range(n)],
            "is_emote_only": [False] * n,
            "source_format": ["twitchdownloader"] * n,
            "source_file": ["chat.json"] * n,
            "source_line": pa.array(range(1, n + 1), pa.int64()),
        }
    )


def build_review_warehouse(layout: WarehouseLayout, audio_source: Path) -> ReviewWarehouse:
    times = message_times()
    con = duckdb.connect(str(layout.duckdb_path))
    try:
        ensure_schema(con)
        con.executemany(
            "INSERT INTO vods (vod_id, title, channel, started_at_utc_ms, duration_s) VALUES (?, ?, ?, ?, ?)",
            [(VOD, "Review demo", "teststreamer", START_MS, 20.0), (OTHER_VOD, "No curve yet", "teststreamer",
                                                                     START_MS + 3_600_000, None)],
        )
        for chat in (_chat_rows(VOD, times), _chat_rows(OTHER_VOD, [t + 3_600_000 for t in times[:20]])):
            con.register("chat_rows", chat)
            con.execute("INSERT INTO raw_chat BY NAME SELECT * FROM chat_rows")
            con.unregister("chat_rows")
        con.execute(
            """INSERT INTO vod_audio (vod_id, path, duration_s, sample_rate, n_samples, sha256, size_bytes,
               source_file, source_sha256, source_size_bytes)
               VALUES (?, ?, 20.0, 16000, 320000, 'x', ?, 'a', 'x', 1)""",
            [VOD, f"audio/{VOD}.flac", audio_source.stat().st_size],
        )
        con.executemany(
            "INSERT INTO offset_curve VALUES (?, ?, ?, ?, 0, ?, 'test', 'estimate')",
            [(VOD, i, k.chat_utc_ms, k.audio_s, 0.8 + 0.05 * i) for i, k in enumerate(KNOTS)],
        )
    finally:
        con.close()
    layout.audio_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(audio_source, layout.audio_path(VOD))
    return ReviewWarehouse(layout, VOD, OTHER_VOD, KNOTS, tuple(times))


@pytest.fixture(scope="session")
def tone_flac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 20 s FLAC per test session (encoding it takes a moment on 2 cores)."""
    return write_tone_audio(tmp_path_factory.mktemp("audio") / "tone.flac", seconds=20)


@pytest.fixture
def warehouse(tmp_path: Path, tone_flac: Path) -> ReviewWarehouse:
    layout = WarehouseLayout(root=tmp_path / "warehouse")
    layout.ensure()
    return build_review_warehouse(layout, tone_flac)
