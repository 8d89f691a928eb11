from __future__ import annotations

import wave
from dataclasses import dataclass

import numpy as np
import pytest

from dougchat_assets.asr.audio_reader import read_window
from dougchat_assets.asr.speakers import assign_speakers, segment_pitch, two_means_1d
from dougchat_assets.asr.vad import detect_speech


@dataclass
class Span:
    start_s: float
    end_s: float


def test_two_espeak_voices_are_told_apart(fixtures):
    path = fixtures / "two_voices.flac"
    turns = [Span(r.core_start_s, r.core_end_s) for r in detect_speech(path).regions]
    assert len(turns) == 4  # male, female, male, female
    labels = assign_speakers(path, turns)
    assert labels[0] == labels[2] != labels[1] == labels[3] and set(labels) == {"S0", "S1"}
    # S0 is the voice that speaks longer
    time = {label: sum(t.end_s - t.start_s for t, x in zip(turns, labels) if x == label) for label in ("S0", "S1")}
    assert time["S0"] > time["S1"]


def test_one_voice_gets_no_labels(fixtures, speech_script):
    spans = [Span(u["audio_start_s"], u["audio_end_s"]) for u in speech_script]
    assert assign_speakers(fixtures / "speech.flac", spans) == [None, None, None]


def test_a_single_odd_segment_is_not_a_second_voice(fixtures, speech_script, tmp_path):
    # three male sentences followed by one female turn, as one 16 kHz WAV
    male = read_window(fixtures / "speech.flac", 0, 60)
    female_turn = detect_speech(fixtures / "two_voices.flac").regions[1]
    female = read_window(fixtures / "two_voices.flac", female_turn.core_start_s, female_turn.core_end_s)
    path = tmp_path / "mixed.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.concatenate([male, female]) * 32767).astype("<i2").tobytes())
    spans = [Span(u["audio_start_s"], u["audio_end_s"]) for u in speech_script]
    spans.append(Span(male.size / 16_000, (male.size + female.size) / 16_000))
    assert assign_speakers(path, spans) == [None] * 4
    assert assign_speakers(path, spans, min_cluster_segments=1) == ["S0", "S0", "S0", "S1"]


def test_pitch_of_a_pure_tone_and_of_silence():
    t = np.arange(16_000) / 16_000
    assert segment_pitch((0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)) == pytest.approx(150, rel=0.03)
    assert segment_pitch(np.zeros(16_000, dtype=np.float32)) is None


def test_two_means_split_is_exact():
    split, low, high, pooled = two_means_1d([1.0, 1.2, 0.8, 10.0, 10.4, 9.6][:3] + [9.6, 10.0, 10.4])
    assert split == 3 and low == pytest.approx(1.0) and high == pytest.approx(10.0)
    assert pooled == pytest.approx(np.sqrt((0.08 + 0.32) / 4))
