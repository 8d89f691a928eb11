"""The simulator is deterministic and its truth is self-consistent."""

from __future__ import annotations

import numpy as np

from dougchat_assets.align import map_chat_to_audio
from dougchat_assets.align.simulate import SimConfig, simulate_vod


def test_same_seed_same_vod():
    a = simulate_vod(5, SimConfig(audio_duration_s=600))
    b = simulate_vod(5, SimConfig(audio_duration_s=600))
    assert a.true_knots == b.true_knots
    assert a.chat_table.equals(b.chat_table)
    assert np.array_equal(a.inputs.words.end_s, b.inputs.words.end_s)


def test_truth_knots_follow_late_start_drift_and_cuts():
    v = simulate_vod(9, SimConfig(audio_duration_s=1200, late_start_s=100.0, drift_s_per_h=3.6, cut_lengths_s=(50.0,)))
    k = v.drift_factor
    ((c, d),) = v.cuts
    t0 = v.inputs.meta.started_at_utc_ms

    def at(b: float) -> float:
        return float(map_chat_to_audio(v.true_knots, np.array([t0 + round(b * 1000)]))[0])

    tol = 2e-3  # knots and times are whole milliseconds
    assert abs(at(100.0)) < tol
    assert abs(at(c - 10) - k * (c - 10 - 100.0)) < tol
    assert abs(at(c + d / 2) - k * (c - 100.0)) < tol  # flat inside the cut
    assert abs(at(c + d + 10) - k * (c + 10 - 100.0)) < tol  # offset dropped by the cut length
    assert abs(v.inputs.meta.audio_duration_s - 1200) < 1e-6
