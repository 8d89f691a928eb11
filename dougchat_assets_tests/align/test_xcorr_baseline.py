"""Chat density vs activity: the cross-correlation works when the signal is there."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.align import (
    AlignmentInputs,
    ChatMessages,
    EnergyFrames,
    LagPrior,
    VodMeta,
    WordTimings,
    baseline_global_xcorr,
    map_chat_to_audio,
)
from dougchat_assets.align.xcorr import xcorr_offsets

T0 = 1_772_478_000_000


def _chat_following(activity: np.ndarray, theta: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    times = []
    for a, on in enumerate(activity):
        k = rng.poisson(0.2 + 2.0 * on)
        times.extend((a + theta + 4.0 + rng.random(k)).tolist())
    return np.sort(np.array(times))


def test_xcorr_recovers_an_offset_with_and_without_lag_smearing():
    rng = np.random.default_rng(3)
    activity = np.repeat(rng.random(300) < 0.5, 10).astype(float)
    chat = _chat_following(activity, 123.0)
    smeared = xcorr_offsets(chat, activity, 1.0, -500, 900, 5.0, LagPrior())
    raw = xcorr_offsets(chat, activity, 1.0, -500, 900, 5.0, None)
    assert smeared.best_theta_s == pytest.approx(123.0, abs=1.5)
    assert raw.best_theta_s == pytest.approx(127.0, abs=1.5)  # the peak carries the lag
    assert smeared.z > 8


def test_baseline_is_one_offset_with_slope_one():
    rng = np.random.default_rng(4)
    activity = np.repeat(rng.random(300) < 0.5, 10).astype(float)
    chat_s = _chat_following(activity, 60.0)
    frames = np.arange(0.0, 3000.0, 0.1)
    energy = EnergyFrames.from_arrays(frames, np.where(activity[(frames // 1).astype(int)] > 0, -20.0, -50.0))
    chat = ChatMessages.from_arrays(
        T0 + np.round(chat_s * 1000).astype(np.int64), ["hi"] * chat_s.size, ["u"] * chat_s.size
    )
    inputs = AlignmentInputs(WordTimings.from_arrays([], [], []), chat, energy, VodMeta(3000.0, T0))
    r = baseline_global_xcorr(inputs)
    assert len(r.knots) == 2 and r.drift_s_per_h == 0.0
    # chat at broadcast t hears audio t - 60: the baseline gets it within a couple of seconds
    assert float(map_chat_to_audio(r.knots, T0 + 1_000_000)) == pytest.approx(940.0, abs=3.0)
