"""The committed audio decodes with PyAV to what the ground truth says is in it."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets_tests.demo.demo_files import VOD_IDS, decoded, rms_db, script, truth

RATE = 16_000


def _span(vod_id: str, start_s: float, end_s: float) -> np.ndarray:
    audio = decoded(vod_id, RATE)
    return audio[int(start_s * RATE) : int(end_s * RATE)]


def _loudness(vod_id: str, start_s: float, end_s: float) -> float:
    """Loudest 100 ms frame in a span (dBFS): robust to the pauses inside words."""
    x = _span(vod_id, start_s, end_s)
    n = len(x) // (RATE // 10)
    frames = x[: n * (RATE // 10)].reshape(n, -1)
    return float(np.max([rms_db(f) for f in frames]))


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_audio_decodes_to_the_ground_truth_duration(vod_id):
    gt = truth(vod_id)
    duration = decoded(vod_id, RATE).size / RATE
    assert duration == pytest.approx(gt["audio_duration_s"], abs=0.1)
    assert 240.0 <= duration <= 360.0, "each demo VOD has 4-6 minutes of audio"


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_speech_is_where_the_script_says_and_gaps_are_quieter(vod_id):
    utts = [u for u in script(vod_id) if u["part"] == "script" and u["audio_start_s"] is not None]
    speech = [_loudness(vod_id, u["audio_start_s"], u["audio_end_s"]) for u in utts]
    gaps = [
        rms_db(_span(vod_id, a["audio_end_s"] + 0.08, b["audio_start_s"] - 0.08))
        for a, b in zip(utts, utts[1:])
        if b["audio_start_s"] - a["audio_end_s"] > 0.5 and b["index"] == a["index"] + 1
    ]
    assert len(gaps) > 10
    assert np.median(speech) - np.median(gaps) > 20, "pauses between utterances should be ~30 dB below speech"
    assert np.median(gaps) > -80, "the background noise keeps the file from being digitally silent"


@pytest.mark.parametrize("vod_id", [v for v in VOD_IDS if truth(v)["countdown_end"]["audio_s"] is not None])
def test_countdown_is_clearly_louder_than_speech(vod_id):
    counts = [u for u in script(vod_id) if u["part"] == "countdown" and u["audio_start_s"] is not None]
    speech = [u for u in script(vod_id) if u["part"] == "script" and u["audio_start_s"] is not None]
    loud = np.median([_loudness(vod_id, u["audio_start_s"], u["audio_end_s"]) for u in counts])
    normal = np.median([_loudness(vod_id, u["audio_start_s"], u["audio_end_s"]) for u in speech])
    assert loud - normal > 5.0


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_music_stretch_is_loud_wordless_and_30_to_45_s(vod_id):
    music = truth(vod_id)["music_stretch"]
    length = music["broadcast_end_s"] - music["broadcast_start_s"]
    assert 30.0 <= length <= 45.0
    for u in script(vod_id):
        assert u["broadcast_end_s"] <= music["broadcast_start_s"] or u["broadcast_start_s"] >= music["broadcast_end_s"]
    middle = _span(vod_id, music["audio_start_s"] + 3, music["audio_end_s"] - 3)
    assert rms_db(middle) > -35, "the music stretch carries energy (it is not a pause)"
