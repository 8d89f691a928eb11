"""RMS energy per fixed frame, computed while the audio streams past.

Alignment correlates chat density with how loud the stream is; a 100 ms envelope of a
6-hour VOD is 216 000 floats, small enough to keep, while the samples themselves are not.
"""

from __future__ import annotations

from array import array

import numpy as np

FLOOR_DB = -120.0  # digital silence: log of zero is clamped here


class EnergyMeter:
    """Feed int16 mono blocks of any length; get RMS dBFS per ``frame_len`` samples."""

    def __init__(self, frame_len: int) -> None:
        self.frame_len = frame_len
        self._carry = np.zeros(0, dtype=np.int16)
        self._levels = array("f")
        self.peak = 0
        self.n_samples = 0

    def feed(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        self.n_samples += int(samples.size)
        self.peak = max(self.peak, int(np.abs(samples.astype(np.int32)).max()))
        data = np.concatenate([self._carry, samples]) if self._carry.size else samples
        n_full = data.size // self.frame_len
        if n_full:
            frames = data[: n_full * self.frame_len].reshape(n_full, self.frame_len)
            self._levels.extend(_rms_db(frames).tolist())
        self._carry = data[n_full * self.frame_len :].copy()

    def finish(self) -> np.ndarray:
        """Close the last (partial) frame and return all levels as float32 dBFS."""
        if self._carry.size:
            self._levels.extend(_rms_db(self._carry.reshape(1, -1)).tolist())
            self._carry = np.zeros(0, dtype=np.int16)
        return np.frombuffer(self._levels, dtype=np.float32).copy()

    @property
    def peak_dbfs(self) -> float:
        return FLOOR_DB if self.peak == 0 else float(20 * np.log10(self.peak / 32768.0))


def _rms_db(frames: np.ndarray) -> np.ndarray:
    scaled = frames.astype(np.float64) / 32768.0
    rms = np.sqrt(np.mean(scaled * scaled, axis=1))
    with np.errstate(divide="ignore"):
        levels = 20 * np.log10(rms)
    return np.maximum(levels, FLOOR_DB).astype(np.float32)
