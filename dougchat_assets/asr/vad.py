"""Where the streamer speaks: one streaming webrtcvad pass over the whole file.

Whisper is the expensive step, so it should only see speech.  webrtcvad is cheap (tens of
microseconds per 30 ms frame) but says "speech" for almost any tonal sound, music included,
so each ~1 s window is also checked for the syllable rhythm of speech: speech dips below
half its mean energy in a large share of its frames (pauses between syllables and words),
music and game sound rarely do.  Windows with too few such dips are treated as non-speech.

Frame decisions become regions with the usual hysteresis: gaps shorter than
``min_silence_s`` are bridged (a breath is not the end of a sentence), runs shorter than
``min_speech_s`` are dropped (a click is not a word), and each region is padded by
``pad_s`` on both sides so the first and last phonemes are not clipped.  Everything is
decided from the audio and these parameters only, so regions are reproducible.
"""

from __future__ import annotations

import bisect

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.asr.audio_reader import SAMPLE_RATE, iter_pcm16_blocks


class VadParams(BaseModel):
    """Knobs of the VAD pass; all of them go into the chunk ids' params hash."""

    model_config = ConfigDict(frozen=True)

    aggressiveness: int = Field(2, ge=0, le=3)
    frame_ms: int = Field(30, description="webrtcvad accepts 10, 20 or 30 ms frames")
    min_speech_s: float = Field(0.25, ge=0)
    min_silence_s: float = Field(0.4, ge=0)
    pad_s: float = Field(0.25, ge=0)
    # Share of frames in a ~1 s window below half the window's mean energy.  Speech measured
    # 0.45-0.9 on espeak voices, synthetic music 0.15-0.18; None turns the check off.
    min_dip_ratio: float | None = Field(0.3, ge=0, le=1)
    dip_window_frames: int = Field(33, ge=4)

    def model_post_init(self, __context) -> None:
        if self.frame_ms not in (10, 20, 30):
            raise ValueError("frame_ms must be 10, 20 or 30 (webrtcvad)")

    @property
    def frame_samples(self) -> int:
        return SAMPLE_RATE * self.frame_ms // 1000


@dataclass(frozen=True)
class SpeechRegion:
    """One stretch of speech: ``core`` is what the VAD heard, ``start/end`` include padding."""

    start_s: float
    end_s: float
    core_start_s: float
    core_end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class VadResult:
    regions: list[SpeechRegion]
    duration_s: float
    n_samples: int
    speech_frames: int
    music_frames: int  # frames webrtcvad called speech that the dip check rejected

    @property
    def speech_s(self) -> float:
        return sum(r.duration_s for r in self.regions)


def detect_speech(path: Path, params: VadParams | None = None) -> VadResult:
    """Speech regions of a 16 kHz mono file, in one pass holding one block of audio."""
    import webrtcvad

    params = params or VadParams()
    vad = webrtcvad.Vad(params.aggressiveness)
    frame = params.frame_samples
    window = params.dip_window_frames
    block = frame * window * 10  # whole dip windows per block, so windows never straddle blocks
    counts = {"samples": 0, "speech": 0, "music": 0}

    def flags() -> Iterator[bool]:
        carry = np.zeros(0, dtype=np.int16)
        for samples in iter_pcm16_blocks(path, block):
            counts["samples"] += samples.size
            data = np.concatenate([carry, samples]) if carry.size else samples
            n_frames = data.size // frame
            carry = data[n_frames * frame :].copy()
            yield from _block_flags(vad, data[: n_frames * frame], frame, window, params, counts)
        # a trailing partial frame is too short for webrtcvad: it is never speech

    frame_s = frame / SAMPLE_RATE
    runs = _runs(flags(), frame_s)
    cores = list(merge_runs(runs, min_silence_s=params.min_silence_s, min_speech_s=params.min_speech_s))
    duration = counts["samples"] / SAMPLE_RATE
    regions = list(pad_regions(cores, pad_s=params.pad_s, duration_s=duration))
    return VadResult(regions, duration, counts["samples"], counts["speech"], counts["music"])


def _block_flags(vad, data: np.ndarray, frame: int, window: int, params: VadParams, counts) -> list[bool]:
    n_frames = data.size // frame
    if n_frames == 0:
        return []
    frames = data.reshape(n_frames, frame)
    energy = np.mean(frames.astype(np.float64) ** 2, axis=1)
    speech_window = np.ones(n_frames, dtype=bool)
    if params.min_dip_ratio is not None:
        for lo in range(0, n_frames, window):
            hi = min(lo + window, n_frames)
            if hi - lo < 4:  # too short to judge the rhythm: trust webrtcvad
                continue
            e = energy[lo:hi]
            dips = float(np.mean(e < 0.5 * e.mean())) if e.mean() > 0 else 1.0
            speech_window[lo:hi] = dips >= params.min_dip_ratio
    out: list[bool] = []
    for i in range(n_frames):
        voiced = vad.is_speech(frames[i].tobytes(), SAMPLE_RATE)
        if voiced and not speech_window[i]:
            counts["music"] += 1
            voiced = False
        counts["speech"] += voiced
        out.append(voiced)
    return out


def _runs(flags: Iterable[bool], frame_s: float) -> Iterator[tuple[float, float]]:
    """Consecutive voiced frames as (start_s, end_s)."""
    start: int | None = None
    i = -1
    for i, voiced in enumerate(flags):
        if voiced and start is None:
            start = i
        elif not voiced and start is not None:
            yield start * frame_s, i * frame_s
            start = None
    if start is not None:
        yield start * frame_s, (i + 1) * frame_s


def merge_runs(
    runs: Iterable[tuple[float, float]], *, min_silence_s: float, min_speech_s: float
) -> Iterator[tuple[float, float]]:
    """Bridge gaps shorter than ``min_silence_s``, then drop runs shorter than ``min_speech_s``."""
    current: tuple[float, float] | None = None
    for start, end in runs:
        if current is not None and start - current[1] < min_silence_s:
            current = (current[0], end)
            continue
        if current is not None and current[1] - current[0] >= min_speech_s:
            yield current
        current = (start, end)
    if current is not None and current[1] - current[0] >= min_speech_s:
        yield current


def pad_regions(
    cores: Iterable[tuple[float, float]], *, pad_s: float, duration_s: float | None
) -> Iterator[SpeechRegion]:
    """Pad each core by ``pad_s`` (clipped to [0, duration_s]); neighbours that would overlap meet halfway."""
    previous: tuple[float, float] | None = None
    previous_end = 0.0
    for core in [*cores, None]:
        if previous is not None:
            start = max(previous_end, previous[0] - pad_s)
            end = previous[1] + pad_s
            if core is not None and end > core[0] - pad_s:
                end = max(previous[1], (previous[1] + core[0]) / 2)
            if duration_s is not None:
                end = min(end, duration_s)
            if end > start:
                core_end = min(previous[1], end)
                yield SpeechRegion(round(start, 6), round(end, 6), round(previous[0], 6), round(core_end, 6))
            previous_end = end
        previous = core


def speech_fraction(regions: list[SpeechRegion], start_s: float, end_s: float) -> float:
    """Share of [start_s, end_s) the VAD heard as speech (cores only, padding excluded).

    ``regions`` must be sorted (as :func:`detect_speech` returns them); a bisection keeps
    this cheap for the thousands of segments of a long VOD.
    """
    if end_s <= start_s:
        return 0.0
    covered = 0.0
    i = bisect.bisect_right(regions, start_s, key=lambda r: r.core_end_s)
    while i < len(regions) and regions[i].core_start_s < end_s:
        region = regions[i]
        covered += max(0.0, min(end_s, region.core_end_s) - max(start_s, region.core_start_s))
        i += 1
    return covered / (end_s - start_s)
