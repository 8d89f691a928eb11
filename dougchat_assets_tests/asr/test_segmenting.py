from __future__ import annotations

import pytest

from dougchat_assets.asr.segmenting import (
    RawSegment,
    RawWord,
    SegmentParams,
    refine,
    snap_words,
    split_segment,
    text_compression_ratio,
    word_logprob,
)
from dougchat_assets.asr.vad import SpeechRegion


def words(*spec) -> tuple[RawWord, ...]:
    return tuple(RawWord(s, e, w, p) for s, e, w, p in spec)


def segment(ws) -> RawSegment:
    return RawSegment(0.0, 30.0, "".join(w.word for w in ws), -0.3, 0.2, 1.4, ws)


def test_split_at_pauses_takes_times_and_text_from_words():
    ws = words(
        (1.0, 1.4, " Okay", 0.9), (1.4, 1.8, " chat.", 0.9), (3.0, 3.5, " Next", 0.8), (3.5, 3.9, " round.", 0.9)
    )
    parts = split_segment(segment(ws), split_gap_s=0.6)
    assert [(p.start_s, p.end_s, p.text) for p in parts] == [(1.0, 1.8, "Okay chat."), (3.0, 3.9, "Next round.")]
    assert all(p.avg_logprob == -0.3 for p in parts)
    whole = split_segment(segment(ws), split_gap_s=None)
    assert [(p.start_s, p.end_s) for p in whole] == [(1.0, 3.9)]


def test_a_sentence_end_splits_at_a_shorter_pause_than_other_words():
    """A turn between speakers pauses less than split_gap_s; after '.', '?' or '!' that is enough."""
    ws = words(
        (0.0, 0.4, " Go", 0.9), (0.45, 0.9, " left.", 0.9), (1.2, 1.5, " No", 0.9), (1.55, 1.9, " way", 0.9),
        (2.2, 2.5, " right", 0.9),
    )
    parts = split_segment(segment(ws), split_gap_s=0.6, sentence_gap_s=0.2)
    assert [p.text for p in parts] == ["Go left.", "No way right"]  # 0.3 s after "way" is not a sentence end
    assert len(split_segment(segment(ws), split_gap_s=0.6, sentence_gap_s=None)) == 1
    assert len(refine([segment(ws)], [], SegmentParams())) == 2


def test_word_stretched_over_a_pause_is_pulled_back_to_the_speech():
    regions = [SpeechRegion(0.75, 3.1, 1.0, 2.85), SpeechRegion(3.1, 6.0, 3.6, 5.8)]
    ws = words((2.5, 3.5, " it.", 0.9), (3.5, 4.0, " Thank", 0.9), (3.7, 4.0, " you", 0.9))
    snapped = snap_words(ws, regions, margin_s=0.15)
    assert [(w.start_s, w.end_s) for w in snapped] == [(2.5, 3.0), (3.5, 4.0), (3.7, 4.0)]
    late = snap_words(words((3.0, 3.9, " Thank", 0.9)), regions, margin_s=0.15)
    assert (late[0].start_s, late[0].end_s) == (3.45, 3.9)


def test_refine_with_snapping_off_keeps_word_times():
    ws = words((2.5, 3.5, " it.", 0.9))
    regions = [SpeechRegion(0.75, 3.1, 1.0, 2.85), SpeechRegion(3.1, 6.0, 3.6, 5.8)]
    out = refine([segment(ws)], regions, SegmentParams(snap_margin_s=None))
    assert (out[0].start_s, out[0].end_s) == (2.5, 3.5)


def test_compression_ratio_and_word_logprob():
    loop = "see you in the next video, " * 20
    assert text_compression_ratio(loop) > 2.4
    assert text_compression_ratio("Okay chat, welcome back to the stream.") < 1.5
    assert text_compression_ratio("") == 0.0
    assert word_logprob(()) is None
    assert word_logprob(words((0, 1, " a", 0.5), (1, 2, " b", 0.5))) == pytest.approx(-0.6931, abs=1e-4)
