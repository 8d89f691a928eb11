"""Confidence stage, significance: how surprising is an echo peak?  A null built from the data itself.

A robust z of a peak against the other offsets is badly calibrated here: pairs are sparse
and clumpy (a burst of twenty "1"s against one spoken "one" makes a tall, narrow peak by
pure coincidence), so a chat export from *another* stream produces "z = 15" peaks.  The
question that matters is: would this transcript and this chat line up this well if they
were unrelated?  We answer it by breaking the time link while keeping everything else —
the transcript's word order within the segment is reversed and circularly shifted (so
repeated words, sentence structure, chat bursts and token rates are all preserved) — and
taking the best score over the *same* offset window.  ``z = (real - mean(null)) / sd(null)``
over a few such samples is then comparable across VODs, segment lengths and chat rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.echo import EchoIndex
from dougchat_assets.align.score import ScoreKernel, offset_scores


@dataclass(frozen=True)
class NullTest:
    real: float  # best score of the real data in the window
    null_mean: float
    null_sd: float

    @property
    def z(self) -> float:
        return (self.real - self.null_mean) / self.null_sd


def max_score(
    audio_s: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    slope: float,
    a_mid: float,
    theta_lo: float,
    n_theta: int,
    kernel: ScoreKernel,
) -> float:
    if y.size == 0:
        return 0.0
    return float(offset_scores(y - slope * (audio_s - a_mid), w, theta_lo, n_theta, kernel).max())


def segment_null(
    index: EchoIndex,
    item_mask: np.ndarray,
    real_score: float,
    slope: float,
    a_mid: float,
    theta_lo: float,
    n_theta: int,
    kernel: ScoreKernel,
    *,
    n_samples: int,
    shear_margin_s: float,
    max_pairs_per_token: int,
    pair_budget: int,
) -> NullTest:
    """Null distribution of the best score over ``[theta_lo, theta_lo + n_theta * bin)`` for
    the transcript items in ``item_mask`` (one segment).

    The window must be the one the real peak was searched in (look-elsewhere effect).
    """
    ref = index.item_ref_s
    sel = item_mask
    if not sel.any():
        return NullTest(real_score, 0.0, 1.0)
    lo, hi = float(ref[sel].min()), float(ref[sel].max())
    span = max(hi - lo, 1.0)
    theta_hi = theta_lo + n_theta * kernel.bin_s
    nulls = []
    for k in range(n_samples):
        shifted = ref.copy()
        mirrored = lo + hi - ref[sel]
        shifted[sel] = lo + np.mod(mirrored - lo + (k + 0.5) * span / n_samples, span)
        pairs = index.pairs(
            theta_lo - shear_margin_s,
            theta_hi + kernel.span_s + shear_margin_s,
            max_pairs_per_token=max_pairs_per_token,
            pair_budget=pair_budget,
            item_ref_s=shifted,
            item_mask=sel,
        )
        nulls.append(max_score(pairs.audio_s, pairs.y, pairs.weight, slope, a_mid, theta_lo, n_theta, kernel))
    arr = np.asarray(nulls)
    mean = float(arr.mean())
    sd = max(float(arr.std(ddof=1)) if arr.size > 1 else 0.0, 0.05 * mean, 1e-6)
    return NullTest(real_score, mean, sd)
