from __future__ import annotations

import pytest

from dougchat_assets.asr.vad import SpeechRegion, VadParams, detect_speech, merge_runs, pad_regions, speech_fraction


def test_speech_clip_gives_one_region_per_sentence(fixtures, speech_script):
    result = detect_speech(fixtures / "speech.flac")
    assert len(result.regions) == 3
    for region, sentence in zip(result.regions, speech_script):
        # each region holds its sentence, padding included, and little else
        assert region.start_s <= sentence["audio_start_s"] + 0.1
        assert region.end_s >= sentence["audio_end_s"] - 0.1
        assert region.duration_s < sentence["audio_end_s"] - sentence["audio_start_s"] + 0.8
    # the middle of each 1.5 s pause is not speech
    for before, after in zip(speech_script, speech_script[1:]):
        pause = (before["audio_end_s"] + after["audio_start_s"]) / 2
        assert not any(r.start_s <= pause < r.end_s for r in result.regions)


def test_music_is_rejected_by_the_rhythm_check_not_by_webrtcvad(fixtures):
    music = fixtures / "music.flac"
    assert detect_speech(music).regions == []
    # webrtcvad alone calls the music speech: the dip check is what removes it
    assert detect_speech(music, VadParams(min_dip_ratio=None)).speech_s > 5


def test_silence_has_no_speech(fixtures):
    result = detect_speech(fixtures / "silence.flac")
    assert result.regions == [] and result.duration_s == pytest.approx(5.0)


def test_regions_are_reproducible(fixtures):
    assert detect_speech(fixtures / "two_voices.flac") == detect_speech(fixtures / "two_voices.flac")


def test_short_gaps_are_bridged_and_short_runs_dropped():
    runs = [(0.0, 1.0), (1.2, 2.0), (3.0, 3.1), (4.0, 5.0)]
    assert list(merge_runs(runs, min_silence_s=0.4, min_speech_s=0.25)) == [(0.0, 2.0), (4.0, 5.0)]


def test_padding_never_overlaps_and_meets_halfway():
    regions = list(pad_regions([(1.0, 2.0), (2.3, 3.0), (5.0, 6.0)], pad_s=0.25, duration_s=6.1))
    assert [(r.start_s, r.end_s) for r in regions] == [(0.75, 2.15), (2.15, 3.25), (4.75, 6.1)]
    assert [(r.core_start_s, r.core_end_s) for r in regions] == [(1.0, 2.0), (2.3, 3.0), (5.0, 6.0)]
    assert all(a.end_s <= b.start_s for a, b in zip(regions, regions[1:]))


def test_speech_fraction_counts_cores_only():
    regions = [SpeechRegion(0.8, 2.2, 1.0, 2.0), SpeechRegion(3.8, 5.2, 4.0, 5.0)]
    assert speech_fraction(regions, 0.0, 6.0) == pytest.approx(2.0 / 6.0)
    assert speech_fraction(regions, 1.5, 2.5) == pytest.approx(0.5)
    assert speech_fraction(regions, 2.0, 4.0) == 0.0


def test_invalid_frame_length_is_refused():
    with pytest.raises(ValueError):
        VadParams(frame_ms=25)
