"""The three things that make a downloaded VOD disagree with the chat clock, with their TRUE values.

1. late download start: the first ``L`` seconds of the broadcast are missing;
2. one ad-break cut: broadcast ``[c, c + d)`` is removed;
3. clock drift: audio time runs ``k`` times broadcast time.

So for broadcast ``t`` outside the cut, ``audio_s = k * (t - L - (d if t >= c + d else 0))``
and inside the cut the map is flat at ``k * (c - L)``.  ``L``, ``c`` and ``d`` are whole
milliseconds (whole samples at 24 kHz), so the knots in the ground truth are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.timeline import SAMPLE_RATE, Timeline

SPS = SAMPLE_RATE // 1000  # samples per millisecond
CUT_RANGE_S = (20.0, 60.0)
DRIFT_RANGE = (0.0008, 0.0015)


@dataclass(frozen=True)
class Distortion:
    """True distortion values; times in whole milliseconds of broadcast time."""

    late_start_ms: int
    cut_start_ms: int
    cut_ms: int
    drift: float  # k: audio seconds per broadcast second

    def audio_s(self, t_s: float) -> float | None:
        """Audio-file time of broadcast ``t_s``; None where trimmed (t < L) or cut away."""
        late, c, d = self.late_start_ms / 1000, self.cut_start_ms / 1000, self.cut_ms / 1000
        if t_s < late or c <= t_s < c + d:
            return None
        return self.drift * (t_s - late - (d if t_s >= c + d else 0.0))

    def mapped_s(self, t_s: float) -> float:
        """The chat->audio map of the knots: flat inside the cut, extrapolated before ``L``."""
        late, c, d = self.late_start_ms / 1000, self.cut_start_ms / 1000, self.cut_ms / 1000
        if t_s < c:
            return self.drift * (t_s - late)
        if t_s < c + d:
            return self.drift * (c - late)
        return self.drift * (t_s - late - d)

    def knots(self, started_ms: int, total_ms: int) -> list[dict]:
        """Knots at audio start, cut start, cut end and broadcast end (linear between them)."""
        points = [self.late_start_ms, self.cut_start_ms, self.cut_start_ms + self.cut_ms, total_ms]
        return [{"chat_utc_ms": started_ms + p, "audio_s": round(self.mapped_s(p / 1000), 6)} for p in points]


def _inside(t: int, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    for start, end in spans:
        if start <= t < end:
            return start, end
    return None


def choose_distortion(timeline: Timeline, rng: np.random.Generator, late_range_s: tuple[float, float]) -> Distortion:
    """Draw L, the cut and k; keep L and the cut edges out of utterances and the cut off the music.

    An edge inside a word would leave half a word in the audio, and the reference transcript
    could not say which half; so L moves to just after the word it would split, and the cut
    starts and ends in the middle of pauses between utterances.
    """
    spans = [(u.start // SPS, (u.start + u.n) // SPS + 1) for u in timeline.utterances]
    late = int(round(rng.uniform(*late_range_s) * 1000))
    low, high = int(late_range_s[0] * 1000), int(late_range_s[1] * 1000)
    hit = _inside(late, spans)
    if hit is not None:
        late = hit[1] + 50 if hit[1] + 50 <= high else hit[0] - 50
    if not low <= late <= high or _inside(late, spans) is not None:
        raise ValueError(f"late start {late} ms: no pause to start in within {late_range_s}")

    script = [u for u in timeline.utterances if u.part == "script"]
    gaps = [((a.start + a.n + b.start) // 2) // SPS for a, b in zip(script, script[1:])]
    total_ms = timeline.total // SPS
    music = (timeline.music_start // SPS, timeline.music_end // SPS)
    pairs = []
    for i, c in enumerate(gaps):
        if not (0.30 * total_ms <= c <= 0.75 * total_ms and c > late + 30_000):
            continue
        for end in gaps[i + 1 :]:
            d = end - c
            if d > CUT_RANGE_S[1] * 1000:
                break
            clear_of_music = end < music[0] - 5000 or c > music[1] + 5000
            if d >= CUT_RANGE_S[0] * 1000 and clear_of_music:
                pairs.append((c, d))
    if not pairs:
        raise ValueError("no place for the ad cut between utterances outside the music")
    cut_start, cut_ms = pairs[int(rng.integers(len(pairs)))]

    magnitude = rng.uniform(*DRIFT_RANGE)
    sign = 1.0 if rng.random() < 0.5 else -1.0
    drift = round(1.0 + sign * magnitude, 7)
    return Distortion(late, cut_start, cut_ms, drift)


def apply_distortion(audio: np.ndarray, dist: Distortion) -> np.ndarray:
    """Trim, cut and resample the broadcast mix into the downloaded file's samples.

    Output sample ``n`` (time ``n / sr``) reads the trimmed+cut signal at ``n / k`` samples,
    linearly interpolated: that is exactly ``audio_s = k * (t - L - ...)``.
    """
    late = dist.late_start_ms * SPS
    c = dist.cut_start_ms * SPS
    d = dist.cut_ms * SPS
    kept = np.concatenate([audio[late:c], audio[c + d :]]).astype(np.float64)
    n_out = int(np.floor((kept.size - 1) * dist.drift)) + 1
    positions = np.arange(n_out, dtype=np.float64) / dist.drift
    return np.interp(positions, np.arange(kept.size, dtype=np.float64), kept).astype(np.float32)
