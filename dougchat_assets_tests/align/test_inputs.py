"""Building the estimator's inputs from raw_chat / transcript / energy shaped tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from dougchat_assets.align import AlignmentInputs, ChatMessages, VodMeta, WordTimings

T0 = 1_772_478_000_000


def test_chat_batches_keep_every_time_but_only_viewer_chat_for_timing():
    batch = pa.table(
        {
            "sent_at_utc_ms": [T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000, T0 + 5000],
            "body": ["Parkzer LUL", "!uptime", "Follow the socials parkzer", "gifted a sub", "one 1"],
            "user_login": ["viewer_a", "viewer_b", "Nightbot", "viewer_c", "viewer_d"],
            "msg_type": ["chat", "command", "chat", "sub", "chat"],
            "vod_offset_s": [1.0, 2.0, None, None, 5.0],
            "source_format": ["chatterino"] * 5,
        }
    )
    chat = ChatMessages.from_batches(iter([batch.slice(0, 2), batch.slice(2)]))
    assert chat.n == 5
    assert chat.usable.tolist() == [True, False, False, False, True]
    toks = [
        sorted(chat.vocab[i] for i in chat.token_ids[chat.token_offsets[k] : chat.token_offsets[k + 1]])
        for k in range(5)
    ]
    assert toks == [["lul", "parkzer"], [], [], [], ["1"]]
    # Chatterino keeps whole seconds: the true time is uniform in the next second
    assert chat.timing_s(T0)[0] == pytest.approx(1.5)
    assert np.isnan(chat.vod_offset_s[2]) and chat.vod_offset_s[4] == 5.0


def test_words_skip_non_ok_segments_from_either_source():
    words = pa.table(
        {
            "segment_id": ["s1", "s1", "s2"],
            "start_s": [0.0, 0.5, 2.0],
            "end_s": [0.4, 0.9, 2.5],
            "word": [" Hi", " Parkzer.", " junk"],
        }
    )
    segments = pa.table({"segment_id": ["s1", "s2"], "quality": ["ok", "hallucination"]})
    assert WordTimings.from_arrow(words, segments).ok.tolist() == [True, True, False]
    flagged = words.append_column("quality", pa.array(["ok", "ok", "low_confidence"]))
    assert WordTimings.from_arrow(flagged).ok.tolist() == [True, True, False]


def test_inputs_from_arrow_streams_chat_batches():
    words = pa.table({"start_s": [0.0], "end_s": [0.3], "word": ["hi"]})
    energy = pa.table({"frame_start_s": [0.1, 0.0], "rms_db": [-30.0, -20.0]})
    chat = pa.table({"sent_at_utc_ms": [T0], "body": ["hi"], "user_login": ["a"], "msg_type": ["chat"]})
    inputs = AlignmentInputs.from_arrow(words=words, chat=iter(chat.to_batches()), energy=energy, meta=VodMeta(1.0, T0))
    assert inputs.energy.frame_start_s.tolist() == [0.0, 0.1]  # sorted
    assert inputs.reference_utc_ms() == T0
    assert inputs.chat.n == 1
