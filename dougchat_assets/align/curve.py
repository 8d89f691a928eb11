"""The knot contract: how a list of knots maps chat time to audio time.

Contract (used by every stage downstream):

* knots are sorted by ``chat_utc_ms``, strictly increasing;
* between consecutive knots the map is linear;
* before the first and after the last knot it is extended linearly with the slope of the
  first (last) pair of knots; a single knot means slope 1 (a pure offset);
* a discontinuity is written as two knots 1 ms apart;
* an ad-break cut (broadcast time missing from the audio) is a *flat* stretch: two knots
  with the same ``audio_s`` — every message sent during the cut maps to the cut point.

Knots may be :class:`~dougchat_assets.align.result.Knot` objects, mappings with
``chat_utc_ms``/``audio_s`` keys (ground-truth JSON), or ``(chat_utc_ms, audio_s)`` pairs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def knot_arrays(knots: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(chat_utc_ms int64, audio_s float64) arrays from any supported knot form; validated."""
    if len(knots) == 0:
        raise ValueError("an offset curve needs at least one knot")
    xs: list[int] = []
    ys: list[float] = []
    for k in knots:
        if isinstance(k, Mapping):
            x, y = k["chat_utc_ms"], k["audio_s"]
        elif hasattr(k, "chat_utc_ms"):
            x, y = k.chat_utc_ms, k.audio_s
        else:
            x, y = k[0], k[1]
        xs.append(int(x))
        ys.append(float(y))
    x_arr = np.asarray(xs, dtype=np.int64)
    y_arr = np.asarray(ys, dtype=np.float64)
    if x_arr.size > 1 and np.any(np.diff(x_arr) <= 0):
        raise ValueError("knots must have strictly increasing chat_utc_ms (a jump is two knots 1 ms apart)")
    if not np.all(np.isfinite(y_arr)):
        raise ValueError("knot audio_s must be finite")
    return x_arr, y_arr


def map_chat_to_audio(knots: Sequence[Any], chat_utc_ms: np.ndarray | Sequence[int] | int) -> np.ndarray:
    """Audio seconds for each chat time, by the knot contract (see module docstring)."""
    kx, ky = knot_arrays(knots)
    t = np.asarray(chat_utc_ms, dtype=np.int64)
    scalar = t.ndim == 0
    t = np.atleast_1d(t)
    x0 = kx[0]
    xs = (kx - x0).astype(np.float64)
    ts = (t - x0).astype(np.float64)
    if kx.size == 1:
        out = ky[0] + ts / 1000.0
    else:
        out = np.interp(ts, xs, ky)
        lo = ts < xs[0]
        hi = ts > xs[-1]
        if lo.any():
            slope = (ky[1] - ky[0]) / (xs[1] - xs[0])
            out[lo] = ky[0] + slope * (ts[lo] - xs[0])
        if hi.any():
            slope = (ky[-1] - ky[-2]) / (xs[-1] - xs[-2])
            out[hi] = ky[-1] + slope * (ts[hi] - xs[-1])
    return out[0:1].reshape(()) if scalar else out


def flat_spans(knots: Sequence[Any], min_ms: int = 2) -> list[tuple[int, int, float]]:
    """(start_ms, end_ms, audio_s) of every flat stretch (a cut) lasting at least ``min_ms``."""
    kx, ky = knot_arrays(knots)
    spans = []
    for i in range(kx.size - 1):
        if ky[i + 1] == ky[i] and kx[i + 1] - kx[i] >= min_ms:
            spans.append((int(kx[i]), int(kx[i + 1]), float(ky[i])))
    return spans


def in_flat_span(knots: Sequence[Any], chat_utc_ms: np.ndarray) -> np.ndarray:
    """True where a chat time falls strictly inside a flat stretch (sent during a cut: no audio)."""
    t = np.asarray(chat_utc_ms, dtype=np.int64)
    mask = np.zeros(t.shape, dtype=bool)
    for start, end, _ in flat_spans(knots):
        mask |= (t > start) & (t < end)
    return mask


def inverse_map(knots: Sequence[Any], audio_s: float) -> int:
    """First chat time whose mapped audio reaches ``audio_s`` (for locating windows/anchors)."""
    xs = np.array([k.chat_utc_ms for k in knots], dtype=np.int64)
    ys = np.array([k.audio_s for k in knots])
    if len(knots) == 1:
        return int(xs[0] + round(1000.0 * (audio_s - ys[0])))
    for i in range(len(knots) - 1):
        if ys[i] <= audio_s <= ys[i + 1] and ys[i + 1] > ys[i]:
            frac = (audio_s - ys[i]) / (ys[i + 1] - ys[i])
            return int(xs[i] + round(frac * (xs[i + 1] - xs[i])))
    if audio_s < ys[0]:
        slope = (ys[1] - ys[0]) / max(1, xs[1] - xs[0])
        return int(xs[0] + round((audio_s - ys[0]) / slope)) if slope > 0 else int(xs[0])
    slope = (ys[-1] - ys[-2]) / max(1, xs[-1] - xs[-2])
    return int(xs[-1] + round((audio_s - ys[-1]) / slope)) if slope > 0 else int(xs[-1])
