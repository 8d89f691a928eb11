"""The transcript quality plot: a real PNG, identical when drawn twice from the same transcript."""

from __future__ import annotations

import hashlib

from dougchat_assets.asr.quality_plot import plot_transcript_quality
from dougchat_assets.asr.transcribe import TranscriptSegment


def _segment(index: int, start: float, flag: str) -> TranscriptSegment:
    return TranscriptSegment(
        segment_id=f"s{index}", chunk_index=0, start_s=start, end_s=start + 2.0, text="hello chat", avg_logprob=-0.3,
        no_speech_prob=0.1, compression_ratio=1.2, window_compression_ratio=1.3,
        word_logprob=-0.2 - 0.1 * index, speech_fraction=0.9, quality_flag=flag, quality_reason="", speaker=None,
    )


def test_plot_is_a_png_and_redrawing_gives_the_same_bytes(tmp_path) -> None:
    segments = [_segment(0, 0.0, "ok"), _segment(1, 3.0, "low_confidence"), _segment(2, 6.0, "ok")]
    audited = [{"start_s": 0.0, "wer": 0.1}, {"start_s": 3.0, "wer": 0.6}]
    first = plot_transcript_quality(segments, audited, 0.25, 10.0, tmp_path / "a.png").read_bytes()
    second = plot_transcript_quality(segments, audited, 0.25, 10.0, tmp_path / "b.png").read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and len(first) > 5_000
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()  # manifests stay stable on re-runs
    unaudited = plot_transcript_quality(segments, [], 0.25, 10.0, tmp_path / "c.png").read_bytes()
    assert unaudited != first  # the WER panel says nothing is audited instead
