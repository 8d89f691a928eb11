"""Lay the broadcast out on its own clock and mix it.

Broadcast time ``t`` is seconds since ``started_at``.  Every placement is a whole sample at
24 kHz (24 samples per millisecond), so times in the ground truth are exact, and the
structure is: starting-soon music -> loud countdown -> speech with 0.3-1.5 s gaps, one
music break in the middle -> a quiet tail, with low pink noise under everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from demo.music import music, pink_noise
from demo.script_text import COUNTDOWN_FINALE, COUNTDOWN_WORDS, Cue, Line, MusicBreak
from demo.tts import COUNTDOWN, GUEST, STREAMER, Voice, normalise_peak

SAMPLE_RATE = 24_000
SPEECH_PEAK = 0.35
COUNTDOWN_PEAK = 0.95  # ~+9 dB over speech: the countdown must stand out in the energy envelope
SOON_PEAK = 0.22
BREAK_PEAK = 0.30
NOISE_BELOW_SPEECH_DB = 30.0
GAP_RANGE_S = (0.3, 1.5)
MUSIC_RANGE_S = (30.0, 45.0)
TAIL_RANGE_S = (12.0, 16.0)

Synth = Callable[[str, Voice], np.ndarray]


@dataclass
class Utterance:
    """One placed utterance; ``start``/``n`` in samples of the broadcast clock."""

    index: int
    speaker: str
    text: str
    start: int
    n: int
    part: str  # "countdown" or "script"
    cue: Cue | None = None
    raid_before: bool = False

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_s(self) -> float:
        return (self.start + self.n) / SAMPLE_RATE


@dataclass
class Timeline:
    """Where everything sits on the broadcast clock (samples at :data:`SAMPLE_RATE`)."""

    utterances: list[Utterance]
    opening_end: int  # the countdown starts here
    countdown_end: int  # end of "let's go!"
    music_start: int
    music_end: int
    total: int  # broadcast length, a whole number of milliseconds
    speech_rms: float = 0.0
    audio: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32), repr=False)

    @property
    def total_s(self) -> float:
        return self.total / SAMPLE_RATE


def _ms_samples(seconds: float) -> int:
    """Round a time to a whole millisecond, expressed in samples (24 per ms)."""
    return int(round(seconds * 1000)) * (SAMPLE_RATE // 1000)


def build_timeline(
    script: list[Line | MusicBreak], synth: Synth, rng: np.random.Generator, opening_range_s: tuple[float, float]
) -> Timeline:
    """Place every utterance and mix the broadcast audio (before any distortion)."""
    utterances: list[Utterance] = []
    clips: list[np.ndarray] = []
    opening = _ms_samples(rng.uniform(*opening_range_s))

    for i, word in enumerate(COUNTDOWN_WORDS + (COUNTDOWN_FINALE,)):
        clip = normalise_peak(synth(word, COUNTDOWN), COUNTDOWN_PEAK)
        utterances.append(Utterance(len(utterances), "streamer", word, opening + i * SAMPLE_RATE, clip.size, "countdown"))
        clips.append(clip)
    countdown_end = utterances[-1].start + utterances[-1].n

    cursor = countdown_end + int(rng.uniform(1.0, 2.0) * SAMPLE_RATE)
    music_start = music_end = -1
    for item in script:
        if isinstance(item, MusicBreak):
            music_start = cursor + int(rng.uniform(0.5, 1.0) * SAMPLE_RATE)
            music_end = music_start + _ms_samples(rng.uniform(*MUSIC_RANGE_S))
            cursor = music_end + int(rng.uniform(0.8, 1.5) * SAMPLE_RATE)
            continue
        voice = GUEST if item.speaker == "guest" else STREAMER
        clip = normalise_peak(synth(item.text, voice), SPEECH_PEAK)
        utterances.append(
            Utterance(len(utterances), item.speaker, item.text, cursor, clip.size, "script", item.cue, item.raid_before)
        )
        clips.append(clip)
        cursor += clip.size + int(rng.uniform(*GAP_RANGE_S) * SAMPLE_RATE)
    last_end = utterances[-1].start + utterances[-1].n
    total = _ms_samples((last_end / SAMPLE_RATE) + rng.uniform(*TAIL_RANGE_S))

    timeline = Timeline(utterances, opening, countdown_end, music_start, music_end, total)
    timeline.audio, timeline.speech_rms = _mix(timeline, clips, rng)
    return timeline


def _mix(timeline: Timeline, clips: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, float]:
    audio = np.zeros(timeline.total, dtype=np.float64)

    soon_len = timeline.opening_end + int(10.6 * SAMPLE_RATE)
    soon = SOON_PEAK * music(soon_len / SAMPLE_RATE, SAMPLE_RATE, rng, style="soon")[:soon_len].astype(np.float64)
    duck_from = max(0, timeline.opening_end - int(0.3 * SAMPLE_RATE))
    soon[duck_from:] *= 0.35  # duck the music under the countdown, as a streamer's mixer would
    audio[: soon.size] += soon

    span = timeline.music_end - timeline.music_start
    audio[timeline.music_start : timeline.music_end] += BREAK_PEAK * music(span / SAMPLE_RATE, SAMPLE_RATE, rng, style="break")[:span]

    for utt, clip in zip(timeline.utterances, clips):
        audio[utt.start : utt.start + utt.n] += clip

    speech = np.concatenate([clip for utt, clip in zip(timeline.utterances, clips) if utt.part == "script"])
    speech_rms = float(np.sqrt(np.mean(speech.astype(np.float64) ** 2)))
    noise_rms = speech_rms * 10 ** (-NOISE_BELOW_SPEECH_DB / 20)
    audio += noise_rms * pink_noise(audio.size, rng)

    peak = float(np.max(np.abs(audio)))
    if peak > 0.999:
        raise ValueError(f"mix clips (peak {peak:.3f}); lower the countdown or music level")
    return audio.astype(np.float32), speech_rms
