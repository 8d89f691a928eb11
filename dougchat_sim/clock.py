"""The true broadcast -> audio map of a simulated stream, and its knots.

Audio second = (broadcast second - late start - ad time cut before it) x (1 + drift).  Cut
edges and the late start are whole milliseconds, so the knots (integer ``chat_utc_ms``) carry
this map exactly and :func:`dougchat_assets.align.curve.map_chat_to_audio` reproduces every
truth value the simulator writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_sim.params import StreamParams


@dataclass(frozen=True)
class Clock:
    started_ms: int
    duration_ms: int
    late_ms: int
    drift: float
    cuts_ms: tuple[tuple[int, int], ...]  # (start, end) broadcast ms since start

    @classmethod
    def from_params(cls, p: StreamParams) -> Clock:
        cuts = tuple((round(s * 1000), round((s + n) * 1000)) for s, n in p.cuts)
        return cls(p.started_at_utc_ms, round(p.duration_s * 1000), round(p.late_start_s * 1000), p.drift, cuts)

    def audio_of_ms(self, b_ms: np.ndarray | float) -> np.ndarray:
        """Audio seconds for broadcast milliseconds since start (float allowed)."""
        b = np.asarray(b_ms, dtype=np.float64)
        removed = np.zeros_like(b)
        for start, end in self.cuts_ms:
            removed += np.clip(b - start, 0.0, end - start)
        return (b - self.late_ms - removed) / 1000.0 * (1.0 + self.drift)

    def audio_of_s(self, b_s: np.ndarray | float) -> np.ndarray:
        return self.audio_of_ms(np.asarray(b_s, dtype=np.float64) * 1000.0)

    def broadcast_of_audio(self, audio_s: np.ndarray | float) -> np.ndarray:
        """Broadcast seconds for audio seconds (a cut's audio point maps to the cut's start)."""
        a = np.asarray(audio_s, dtype=np.float64)
        b_ms = a * 1000.0 / (1.0 + self.drift) + self.late_ms
        for start, end in self.cuts_ms:
            point = float(self.audio_of_ms(start))
            b_ms = b_ms + np.where(a > point, end - start, 0.0)
        return b_ms / 1000.0

    def cut_points_audio(self) -> list[float]:
        return [float(self.audio_of_ms(start)) for start, _ in self.cuts_ms]

    @property
    def audio_duration_s(self) -> float:
        return float(self.audio_of_ms(self.duration_ms))

    def knots(self) -> list[tuple[int, float]]:
        """(chat_utc_ms, audio_s): stream start, each cut's two edges (flat between), stream end."""
        points = [0]
        for start, end in self.cuts_ms:
            points += [start, end]
        points.append(self.duration_ms)
        return [(self.started_ms + b, float(self.audio_of_ms(b))) for b in points]
