"""Curve-fit stage, drift: the one slope of ``theta(a)`` (clock drift is physical and constant).

Model: ``theta(a) = theta_j + s * (a - a_mid)`` on audio segment ``j`` (see :mod:`.curvefit`).

* :func:`estimate_slope` — a first drift: the shear that makes the offset histogram sharpest;
* :func:`profile_slope` — drift again given the segments (each at its own offset), with a
  Gaussian prior on drift (a 5-minute VOD cannot measure it);
* :func:`refine_offsets` — ``theta_j`` and ``s`` refined together on the continuous lag density.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dougchat_assets.align.score import ScoreKernel, offset_scores, robust_z


def estimate_slope(
    audio_s: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    a_mid: float,
    theta_lo: float,
    n_theta: int,
    kernel: ScoreKernel,
    max_drift_s_per_h: float,
    duration_s: float,
) -> float:
    """Slope ``s`` (chat seconds per audio second, minus 1) that makes the echo peaks sharpest.

    Sharpness = sum of cubed positive robust-z scores: drift smears every segment's peak, so
    the right shear concentrates all of them at once, cuts or not (the cube rewards a few
    tall peaks over many small bumps).
    """
    if y.size == 0:
        return 0.0
    s_max = max_drift_s_per_h / 3600.0

    def sharpness(s: float) -> float:
        sc = offset_scores(y - s * (audio_s - a_mid), w, theta_lo, n_theta, kernel)
        z, _, _ = robust_z(sc)
        zp = np.maximum(z, 0.0)
        return float(np.sum(zp**3))

    return coarse_to_fine(sharpness, -s_max, s_max, slope_step(duration_s))


def slope_step(duration_s: float) -> float:
    """Slope resolution: 0.25 s of misfit at the ends of the VOD per step."""
    half_h = max(duration_s, 600.0) / 3600.0 / 2.0
    return 0.25 / 3600.0 / half_h


def coarse_to_fine(f: Callable[[float], float], lo: float, hi: float, step: float, factor: int = 8) -> float:
    """Maximise a smooth-ish 1-D function: a grid ``factor`` times coarser, then the fine grid
    around its best point, then a parabola through the best three fine values.

    A 6-hour VOD needs a fine slope step of ~0.08 s/h over +-20 s/h (480 values); this
    evaluates ~80.  Deterministic: ties go to the lowest value.
    """
    coarse = np.arange(lo, hi + step * factor / 2, step * factor)
    cvals = np.array([f(x) for x in coarse])
    centre = float(coarse[int(np.argmax(cvals))])
    fine = np.arange(max(lo, centre - step * factor), min(hi, centre + step * factor) + step / 2, step)
    vals = np.array([f(x) for x in fine])
    best = int(np.argmax(vals))
    if 0 < best < fine.size - 1:
        y0, y1, y2 = vals[best - 1 : best + 2]
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            return float(fine[best] + 0.5 * step * (y0 - y2) / denom)
    return float(fine[best])


def refine_offsets(
    seg_of_pair: np.ndarray,
    audio_s: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    thetas: np.ndarray,
    slope: float,
    a_mid: float,
    kernel: ScoreKernel,
    s_step: float,
    prior_sd_s_per_h: float,
    rounds: int = 3,
) -> tuple[np.ndarray, float]:
    """Coordinate ascent on (theta_j, s) of the continuous mixture likelihood (+ drift prior).

    Each round keeps, per segment, only the pairs whose delay is near the lag support under
    the current estimate (the others contribute ~0 to the score whatever the small step).
    """
    thetas = thetas.astype(np.float64).copy()
    lo_d = kernel.lag.support_s[0] - 5.0
    hi_d = kernel.lag.support_s[1] + 5.0
    d_theta = np.arange(-1.5, 1.5001, 0.02)
    for _ in range(rounds):
        bands = []
        for j in range(thetas.size):
            idx = np.flatnonzero(seg_of_pair == j)
            d = y[idx] - thetas[j] - slope * (audio_s[idx] - a_mid)
            idx = idx[(d > lo_d) & (d < hi_d)]
            bands.append((audio_s[idx] - a_mid, y[idx], w[idx]))
        for j, (da, yb, wb) in enumerate(bands):
            if yb.size == 0:
                continue
            base = yb - slope * da
            vals = [float(np.sum(wb * kernel.continuous(base - (thetas[j] + c)))) for c in d_theta]
            thetas[j] += float(d_theta[int(np.argmax(vals))])
        used = np.concatenate([b[2] for b in bands]) if bands else np.zeros(0)
        scale = _info_scale(used) if used.size else 1.0
        cand_s = slope + s_step * np.linspace(-1.5, 1.5, 31)
        vals_s = []
        for sv in cand_s:
            tot = sum(
                float(np.sum(wb * kernel.continuous(yb - thetas[j] - sv * da)))
                for j, (da, yb, wb) in enumerate(bands)
                if yb.size
            )
            vals_s.append(tot * scale - 0.5 * (sv * 3600.0 / prior_sd_s_per_h) ** 2)
        slope = float(cand_s[int(np.argmax(vals_s))])
    return thetas, slope


def profile_slope(
    seg_of_pair: np.ndarray,
    audio_s: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    thetas: np.ndarray,
    slope0: float,
    a_mid: float,
    kernel: ScoreKernel,
    max_drift_s_per_h: float,
    duration_s: float,
    prior_sd_s_per_h: float,
) -> tuple[float, np.ndarray]:
    """Slope maximising the summed best score of every segment (profile likelihood over theta_j)
    plus a Gaussian log-prior on drift.

    Given a segmentation, each segment may sit at its own offset, so this is the right
    objective for drift when there are cuts (a global histogram mixes the segments).
    Each segment pivots at its own median audio time so its offset search stays narrow, and
    only pairs that can reach that search band under some slope are scored.  The weighted
    score is put on a log-likelihood scale (effective sample size) before the prior is
    added, so a 5-minute VOD (which cannot measure drift) stays near 0 while an hour-long
    one follows its data.
    """
    s_max = max_drift_s_per_h / 3600.0
    h = kernel.bin_s
    bands = []  # (pivot, lo, n, a, y, w) per segment
    used_w = []
    for j, th in enumerate(thetas):
        m = seg_of_pair == j
        if not m.any():
            bands.append(None)
            continue
        pivot = float(np.median(audio_s[m]))
        c0 = th + slope0 * (pivot - a_mid)  # theta at the pivot under the starting slope
        reach = s_max * float(np.max(np.abs(audio_s[m] - pivot))) + 3.0
        lo = c0 - reach - 3.0
        n = int(np.ceil((2 * reach + 6.0) / h))
        y0 = y[m] - slope0 * (audio_s[m] - pivot)
        near = (y0 >= lo - 2 * reach) & (y0 <= lo + n * h + kernel.span_s + 2 * reach)
        bands.append((pivot, lo, n, audio_s[m][near], y[m][near], w[m][near]))
        used_w.append(w[m][near])
    scale = _info_scale(np.concatenate(used_w)) if used_w else 1.0
    cache: dict[float, tuple[float, list[float]]] = {}

    def evaluate(s: float) -> tuple[float, list[float]]:
        if s not in cache:
            total, best = 0.0, []
            for band in bands:
                if band is None:
                    best.append(float("nan"))
                    continue
                pivot, lo, n, a_b, y_b, w_b = band
                sc = offset_scores(y_b - s * (a_b - pivot), w_b, lo, n, kernel)
                k = int(np.argmax(sc))
                total += float(sc[k])
                best.append(lo + k * h)
            cache[s] = (total * scale - 0.5 * (s * 3600.0 / prior_sd_s_per_h) ** 2, best)
        return cache[s]

    s_best = coarse_to_fine(lambda s: evaluate(s)[0], -s_max, s_max, slope_step(duration_s))
    _, best = evaluate(s_best)
    new_thetas = thetas.astype(np.float64).copy()
    for j, band in enumerate(bands):
        if band is not None:
            new_thetas[j] = best[j] - s_best * (band[0] - a_mid)
    return s_best, new_thetas


def _info_scale(w: np.ndarray) -> float:
    """sum(w) / sum(w^2): turns a weighted score into effective-sample-size units."""
    den = float(np.sum(w * w))
    return float(np.sum(w)) / den if den > 0 else 1.0

