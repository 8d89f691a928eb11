"""Shared by every stage: the echo score of a candidate offset.

A pair (spoken word, chat message sharing a token) with ``y = chat - audio`` contributes
``log(1 + contrast * p(y - theta) / p_max)`` to offset ``theta``, where ``p`` is the lag
prior's density: the log-likelihood ratio of "echo" against "coincidence" in a mixture.  A
coincidence far from the curve adds ~0 whatever its distance, so outliers cannot drag a
fit.  The curve fit (:mod:`.curvefit`) maximises this score, the confidence stage
(:mod:`.confidence`, :mod:`.significance`) asks how surprising its maximum is, and anchors
(:mod:`.anchors`) use :func:`robust_z` to find bursts.  Change the score here and every
stage follows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.lag import LagPrior


@dataclass(frozen=True)
class ScoreKernel:
    """The per-pair score as a function of delay, sampled on the offset grid."""

    bin_s: float
    values: np.ndarray  # K[m] for delay (m + 0.5) * bin_s
    contrast: float
    lag: LagPrior

    @classmethod
    def build(cls, lag: LagPrior, bin_s: float, contrast: float) -> ScoreKernel:
        hi = lag.support_s[1] + 2.0
        m = np.arange(int(np.ceil(hi / bin_s)))
        _, dens = lag.grid
        p = lag.density((m + 0.5) * bin_s) / dens.max()
        return cls(bin_s, np.log1p(contrast * p), contrast, lag)

    def continuous(self, delay_s: np.ndarray) -> np.ndarray:
        _, dens = self.lag.grid
        return np.log1p(self.contrast * self.lag.density(delay_s) / dens.max())

    @property
    def span_s(self) -> float:
        return self.values.size * self.bin_s


def offset_scores(y: np.ndarray, w: np.ndarray, theta_lo: float, n_theta: int, kernel: ScoreKernel) -> np.ndarray:
    """Score of every offset ``theta_lo + j * bin`` (j < n_theta): sum of pair kernels."""
    m = kernel.values.size
    h = kernel.bin_s
    idx = np.floor((y - theta_lo) / h).astype(np.int64)
    keep = (idx >= 0) & (idx < n_theta + m)
    hist = np.bincount(idx[keep], weights=w[keep], minlength=n_theta + m)
    out = np.zeros(n_theta)
    for k in range(m):
        out += kernel.values[k] * hist[k : k + n_theta]
    return out


def block_offset_scores(
    block: np.ndarray, y: np.ndarray, w: np.ndarray, n_blocks: int, theta_lo: float, n_theta: int, kernel: ScoreKernel
) -> np.ndarray:
    """``S[b, j]``: score of offset j from the pairs whose word lies in audio block b."""
    m = kernel.values.size
    h = kernel.bin_s
    idx = np.floor((y - theta_lo) / h).astype(np.int64)
    keep = (idx >= 0) & (idx < n_theta + m) & (block >= 0) & (block < n_blocks)
    width = n_theta + m
    hist = np.bincount(block[keep] * width + idx[keep], weights=w[keep], minlength=n_blocks * width).reshape(
        n_blocks, width
    )
    out = np.zeros((n_blocks, n_theta))
    for k in range(m):
        out += kernel.values[k] * hist[:, k : k + n_theta]
    return out


def robust_z(scores: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(z-scores, centre, spread) of a score curve against its own bulk (most offsets are wrong)."""
    centre = float(np.median(scores))
    spread = float(1.4826 * np.median(np.abs(scores - centre)))
    if spread <= 1e-9:
        spread = float(np.std(scores)) or 1.0
    return (scores - centre) / spread, centre, spread

