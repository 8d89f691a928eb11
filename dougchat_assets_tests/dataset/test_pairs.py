"""Pair building: trusted audio times only, the VOD cap, jitter copies, stable ids, provenance."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from dougchat_assets.dataset.config import BalanceParams, DatasetConfig
from dougchat_assets.dataset.pairs import ContextSource, CurveKnot, Span, VodDataset, build_pairs, pair_id
from dougchat_assets.privacy import user_hash
from dougchat_assets.prompt import WindowParams

START = 1_772_000_000_000
KEY = b"test-key-0123456789"


def vod(spans: list[Span] | None = None) -> VodDataset:
    """200 s of audio; chat time = START + 10 s + audio (late start 10 s), a 20 s cut at audio 100 s."""
    knots = [
        CurveKnot(START + 10_000, 0.0, 0, 0.9),
        CurveKnot(START + 110_000, 100.0, 0, 0.9),
        CurveKnot(START + 130_000, 100.0, 1, 0.8),
        CurveKnot(START + 230_000, 200.0, 1, 0.8),
    ]
    times = np.arange(0.0, 200.0, 0.5)
    words = pa.table({
        "start_s": times, "end_s": times + 0.4, "word": [f"w{int(t * 2)}" for t in times],
        "segment_id": [f"seg{int(t // 10)}" for t in times], "speaker": [None] * len(times),
    })
    return VodDataset("v1", 200.0, knots, spans or [], words)


def kept(sent_offsets_s: list[float], users: list[str] | None = None) -> pa.Table:
    n = len(sent_offsets_s)
    return pa.table({
        "msg_id": [f"m{i}" for i in range(n)],
        "sent_at_utc_ms": [START + int(s * 1000) for s in sent_offsets_s],
        "user_key": users or [f"user{i % 3}" for i in range(n)],
        "reply": [f"reply {i}" for i in range(n)],
        "weight": [1.0] * n,
        "is_emote_only": [False] * n,
    })


def test_messages_without_trusted_audio_time_are_dropped_with_a_reason() -> None:
    # sent at 5 s (before audio), 50 s (ok), 120 s (inside the cut), 150 s (ok), 235 s (after the audio)
    out = build_pairs(vod([Span("cut_position", START + 140_000, START + 145_000)]),
                      kept([5.0, 50.0, 120.0, 142.0, 150.0, 400.0]), DatasetConfig(), KEY)
    assert out.pairs.column("msg_id").to_pylist() == ["m1", "m4"]
    reasons = dict(zip(out.log.column("msg_id").to_pylist(), out.log.column("reason").to_pylist()))
    assert reasons["m0"] == "before the audio starts"
    assert reasons["m2"] == "sent during an ad cut (no audio)"
    assert reasons["m3"] == "near a cut whose position is uncertain"
    assert reasons["m5"] == "after the audio ends"
    assert out.steps[0] == ("alignment", 6, 4)


def test_window_ends_at_curve_minus_latency_and_records_provenance() -> None:
    config = DatasetConfig(window=WindowParams(transcript_s=10.0, latency_s=2.5))
    out = build_pairs(vod(), kept([60.0, 61.0]), config, KEY)
    row = out.pairs.to_pylist()[0]
    assert row["viewer_audio_s"] == pytest.approx(50.0 - 2.5)  # sent 60 s = audio 50 s at the streamer
    assert (row["audio_start_s"], row["audio_end_s"]) == pytest.approx((37.5, 47.5))
    assert row["segment_ids"] == ["seg3", "seg4"]
    assert "w94" in row["context"] and "w95" not in row["context"]  # w94 = 47.0-47.4 s, w95 ends at 47.9 s
    assert row["user_hash"] == user_hash(KEY, "user0") and "user0" not in row["context"]
    assert row["pair_id"] == pair_id("v1", "m0", "orig")
    assert row["curve_segment"] == 0 and row["curve_confidence"] == 0.9
    second = out.pairs.to_pylist()[1]
    assert second["chat_context_msg_ids"] == ["m0"] and "- reply 0" in second["context"]


def test_vod_cap_keeps_a_deterministic_sample() -> None:
    sent = list(np.linspace(20.0, 99.0, 50))
    config = DatasetConfig(balance=BalanceParams(max_pairs_per_audio_hour=360))  # 200 s -> cap 20
    first = build_pairs(vod(), kept(sent), config, KEY)
    again = build_pairs(vod(), kept(sent), config, KEY)
    assert first.pairs.num_rows == 20
    assert first.pairs.equals(again.pairs)
    assert first.steps[1] == ("balance", 50, 30)


def test_jitter_copies_shift_only_the_window_and_get_their_own_ids() -> None:
    config = DatasetConfig(window=WindowParams(jitter_s=2.0, jitter_copies=2))
    out = build_pairs(vod(), kept([60.0, 70.0, 80.0]), config, KEY)
    rows = out.pairs.to_pylist()
    assert [r["variant"] for r in rows] == ["orig"] * 3 + ["jitter1"] * 3 + ["jitter2"] * 3
    assert len({r["pair_id"] for r in rows}) == 9
    for orig, copy in zip(rows[:3], rows[3:6]):
        assert copy["viewer_audio_s"] == orig["viewer_audio_s"] and copy["reply"] == orig["reply"]
        shift = copy["audio_end_s"] - orig["audio_end_s"]
        assert 0 < abs(shift) <= 2.0


def test_context_source_renders_the_pair_contexts_again() -> None:
    data = vod()
    messages = kept([60.0, 61.0, 61.0, 75.0])
    out = build_pairs(data, messages, DatasetConfig(), KEY)
    source = ContextSource.build(data, messages, DatasetConfig().window)
    rows = out.pairs.to_pylist()
    rebuilt = source.contexts(np.array([r["sent_at_utc_ms"] for r in rows]), [r["msg_id"] for r in rows]).texts
    assert rebuilt == [r["context"] for r in rows]
