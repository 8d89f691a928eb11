"""A cheap, offline two-voice split: is this segment the streamer or the guest?

No diarisation model is available offline, and most VODs have one voice.  Voice pitch is
the most stable difference between two speakers of different registers (a male and a
female voice differ by most of an octave), so each segment gets its median fundamental
frequency (autocorrelation on voiced 40 ms frames), and the log-pitches are split in two
by an exact 1-D 2-means.  Labels are given only when the split is clear: the cluster
means lie ``min_semitones`` apart and the gap is large against the spread inside the
clusters, and the smaller cluster is more than a stray segment or two (a line over music
or a shout shifts one segment's pitch); otherwise every segment gets None rather than a
coin-flip label.  "S0" is the
voice with more speech time (the streamer, usually), "S1" the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from dougchat_assets.asr.audio_reader import SAMPLE_RATE, read_window

_FRAME = int(0.04 * SAMPLE_RATE)
_HOP = int(0.02 * SAMPLE_RATE)
_FMIN, _FMAX = 60.0, 400.0
MAX_SECONDS_PER_SEGMENT = 8.0  # of a segment's audio read for its pitch: bounded cost per segment


class _Timed(Protocol):
    start_s: float
    end_s: float


def segment_pitch(samples: np.ndarray, *, min_voiced_frames: int = 5, periodicity: float = 0.5) -> float | None:
    """Median F0 in Hz over the voiced frames of ``samples`` (16 kHz), or None if too few."""
    if samples.size < _FRAME:
        return None
    n = 1 + (samples.size - _FRAME) // _HOP
    frames = np.lib.stride_tricks.sliding_window_view(samples.astype(np.float64), _FRAME)[::_HOP][:n]
    energy = np.mean(frames**2, axis=1)
    loud = energy > max(1e-7, 0.1 * np.median(energy[energy > 0])) if np.any(energy > 0) else energy > 0
    frames = frames[loud]
    if len(frames) < min_voiced_frames:
        return None
    frames = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(frames * np.hanning(_FRAME), n=2 * _FRAME, axis=1)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :_FRAME]
    lo, hi = int(SAMPLE_RATE / _FMAX), int(SAMPLE_RATE / _FMIN)
    peaks = lo + np.argmax(acf[:, lo:hi], axis=1)
    strength = acf[np.arange(len(acf)), peaks] / np.maximum(acf[:, 0], 1e-12)
    voiced = strength > periodicity
    if int(voiced.sum()) < min_voiced_frames:
        return None
    return float(np.median(SAMPLE_RATE / peaks[voiced]))


def two_means_1d(values: Sequence[float]) -> tuple[int, float, float, float]:
    """Exact 2-means of sorted 1-D values: (split index, left mean, right mean, pooled std).

    In one dimension the optimal split is between two neighbours of the sorted values, so
    trying every split with prefix sums is exact and O(n).
    """
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    if n < 2:
        raise ValueError("two_means_1d needs at least two values")
    s1 = np.cumsum(x)
    s2 = np.cumsum(x * x)
    k = np.arange(1, n)
    left_sse = s2[k - 1] - s1[k - 1] ** 2 / k
    right_sum = s1[-1] - s1[k - 1]
    right_sse = (s2[-1] - s2[k - 1]) - right_sum**2 / (n - k)
    sse = np.maximum(left_sse + right_sse, 0.0)
    best = int(np.argmin(sse))
    split = best + 1
    pooled = float(np.sqrt(sse[best] / max(1, n - 2)))
    return split, float(s1[split - 1] / split), float(right_sum[best] / (n - split)), pooled


def assign_speakers(
    audio_path: Path,
    segments: Sequence[_Timed],
    *,
    max_seconds_per_segment: float = MAX_SECONDS_PER_SEGMENT,
    **thresholds: float,
) -> list[str | None]:
    """"S0"/"S1" per segment when two voices are clearly apart by pitch, else None for all.

    Reads each segment's audio (at most ``max_seconds_per_segment`` from its middle), so the
    cost is bounded per segment whatever the VOD length.  ``thresholds`` are
    :func:`speaker_labels`' keyword arguments.
    """
    pitches = [pitch_of_span(audio_path, s.start_s, s.end_s, max_seconds_per_segment) for s in segments]
    return speaker_labels(segments, pitches, **thresholds)


def pitch_of_span(
    audio_path: Path, start_s: float, end_s: float, max_seconds: float = MAX_SECONDS_PER_SEGMENT
) -> float | None:
    """:func:`segment_pitch` of a span of the file, read from at most ``max_seconds`` around its middle.

    Separate from the labelling so a caller can measure each segment as soon as it exists
    (the transcription does it while later chunks are still decoding).
    """
    if end_s - start_s > max_seconds:
        middle = (start_s + end_s) / 2
        start_s, end_s = middle - max_seconds / 2, middle + max_seconds / 2
    return segment_pitch(read_window(audio_path, start_s, end_s))


def speaker_labels(
    segments: Sequence[_Timed],
    pitches: Sequence[float | None],
    *,
    min_semitones: float = 4.0,
    min_gap_ratio: float = 2.5,
    min_cluster_segments: int = 2,
    min_cluster_share: float = 0.05,
) -> list[str | None]:
    """The labels :func:`assign_speakers` gives, from each segment's pitch (None: unvoiced)."""
    known = [(i, 12 * np.log2(p)) for i, p in enumerate(pitches) if p is not None]
    labels: list[str | None] = [None] * len(segments)
    if len(known) < 2:
        return labels
    order = sorted(known, key=lambda item: item[1])
    semitones = [s for _, s in order]
    k, low_mean, high_mean, pooled = two_means_1d(semitones)
    gap = high_mean - low_mean
    if gap < min_semitones or gap < min_gap_ratio * max(pooled, 1e-9):
        return labels
    smaller = min(k, len(order) - k)
    if smaller < max(min_cluster_segments, min_cluster_share * len(order)):
        return labels  # one odd segment (music under a line, a shout) is not a second voice
    low = {i for i, _ in order[:k]}
    duration = {"low": 0.0, "high": 0.0}
    for i, _ in order:
        duration["low" if i in low else "high"] += segments[i].end_s - segments[i].start_s
    low_label = "S0" if duration["low"] >= duration["high"] else "S1"
    high_label = "S1" if low_label == "S0" else "S0"
    for i, _ in order:
        labels[i] = low_label if i in low else high_label
    return labels
