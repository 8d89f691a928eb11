"""Benchmarks only: the naive method the estimator is measured against: one global cross-correlation.

Chat message density (bots and commands out) against the audio's loudness, one lag for the
whole VOD, the prior's median reaction lag removed.  It cannot follow drift or cuts, and its
peak height says little about whether the chat belongs to this audio at all — which is why
the benchmark runs it side by side with :func:`~.estimate.estimate_alignment`.
"""

from __future__ import annotations

import numpy as np

from dougchat_assets.align.inputs import AlignmentInputs
from dougchat_assets.align.metadata import first_guess
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import AlignmentResult, Knot, SegmentInfo
from dougchat_assets.align.xcorr import energy_level, xcorr_offsets

# the usual reading of a cross-correlation peak: z >= 8 "certain", <= 3 "noise"
_Z_LO, _Z_HI = 3.0, 8.0


def baseline_global_xcorr(inputs: AlignmentInputs, params: AlignmentParams | None = None) -> AlignmentResult:
    """Global-offset-only chat-density x energy cross-correlation."""
    p = params or AlignmentParams()
    ref = inputs.reference_utc_ms()
    duration = float(inputs.meta.audio_duration_s)
    guess = first_guess(inputs, ref, p)
    chat_s = inputs.chat.timing_s(ref)[inputs.chat.usable]
    level = energy_level(inputs.energy, duration, p.xcorr_bin_s)
    xc = xcorr_offsets(
        chat_s, level, p.xcorr_bin_s, guess.theta_lo, guess.theta_hi + p.lag.median_s, p.xcorr_smooth_s, None
    )
    theta = xc.best_theta_s - p.lag.median_s
    conf = float(np.clip((xc.z - _Z_LO) / (_Z_HI - _Z_LO), 0.0, 1.0))
    knots = [
        Knot(int(round(ref + 1000.0 * theta)), 0.0, 0, conf, "baseline_xcorr"),
        Knot(int(round(ref + 1000.0 * (theta + duration))), duration, 0, conf, "baseline_xcorr"),
    ]
    return AlignmentResult(
        knots=knots,
        anchors=[],
        window_estimates=[],
        segments=[SegmentInfo(0, 0.0, duration, theta, 0.0, xc.z, 0.0, 1.0, conf)],
        reference_utc_ms=ref,
        reaction_lag_s=p.lag.median_s,
        lag_spread_s=float("nan"),
        drift_s_per_h=0.0,
        offset_s=-theta,
        confidence=conf,
        method="baseline: global chat-density x energy cross-correlation, one offset",
        params={"xcorr_z": xc.z},
    )
