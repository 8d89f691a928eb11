"""Evidence stage, cross-correlation: chat density against speech activity, a weak timing signal.

Chat gets busier a few seconds after the streamer talks, so the cross-correlation of
message density (chat clock) with speech activity (audio clock) peaks near the offset.
It is weak — chat also talks over music and silence, and bursts follow *some* sentences
only — so the estimator uses it as a fallback (no usable transcript) and as a second
opinion in sliding windows; :func:`baseline_global_xcorr` is the one-lag-for-the-whole-VOD
method the benchmark compares against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.score import robust_z
from dougchat_assets.align.inputs import AlignmentInputs, EnergyFrames, WordTimings
from dougchat_assets.align.lag import LagPrior


@dataclass(frozen=True)
class XcorrCurve:
    theta_s: np.ndarray  # candidate offsets (chat clock minus audio clock)
    score: np.ndarray  # correlation per offset
    best_theta_s: float
    z: float  # robust z of the peak against all offsets


def speech_activity_from_words(words: WordTimings, duration_s: float, bin_s: float) -> np.ndarray:
    """Fraction of each bin covered by (ok) words."""
    n = max(1, int(np.ceil(duration_s / bin_s)))
    act = np.zeros(n)
    for s, e in zip(words.start_s[words.ok], words.end_s[words.ok], strict=True):
        i0, i1 = int(s // bin_s), int(e // bin_s)
        for i in range(max(0, i0), min(n - 1, i1) + 1):
            lo, hi = max(s, i * bin_s), min(e, (i + 1) * bin_s)
            if hi > lo:
                act[i] += (hi - lo) / bin_s
    return np.minimum(act, 1.0)


def activity_from_energy(
    energy: EnergyFrames, duration_s: float, bin_s: float, above_floor_db: float = 12.0
) -> np.ndarray:
    """Share of frames per bin louder than the noise floor (10th percentile) + ``above_floor_db``."""
    n = max(1, int(np.ceil(duration_s / bin_s)))
    if energy.rms_db.size == 0:
        return np.zeros(n)
    floor = float(np.quantile(energy.rms_db, 0.1))
    active = (energy.rms_db > floor + above_floor_db).astype(np.float64)
    idx = np.clip((energy.frame_start_s // bin_s).astype(np.int64), 0, n - 1)
    num = np.bincount(idx, weights=active, minlength=n)
    den = np.bincount(idx, minlength=n)
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


def energy_level(energy: EnergyFrames, duration_s: float, bin_s: float) -> np.ndarray:
    """Mean dB per bin (the raw loudness the naive baseline correlates with)."""
    n = max(1, int(np.ceil(duration_s / bin_s)))
    if energy.rms_db.size == 0:
        return np.zeros(n)
    idx = np.clip((energy.frame_start_s // bin_s).astype(np.int64), 0, n - 1)
    num = np.bincount(idx, weights=energy.rms_db, minlength=n)
    den = np.bincount(idx, minlength=n)
    return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def chat_density(chat_s: np.ndarray, lo_s: float, n_bins: int, bin_s: float) -> np.ndarray:
    idx = np.floor((chat_s - lo_s) / bin_s).astype(np.int64)
    keep = (idx >= 0) & (idx < n_bins)
    return np.bincount(idx[keep], minlength=n_bins).astype(np.float64)


def _detrend(x: np.ndarray, window: int) -> np.ndarray:
    x = np.nan_to_num(x, nan=float(np.nanmean(x)) if np.isfinite(x).any() else 0.0)
    if x.size < 3:
        return x - x.mean()
    k = min(window, x.size)
    trend = np.convolve(x, np.ones(k) / k, mode="same")
    out = x - trend
    sd = out.std()
    return out / sd if sd > 0 else out


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return x
    return np.convolve(x, np.ones(width) / width, mode="same")


def xcorr_offsets(
    chat_s: np.ndarray,
    activity: np.ndarray,
    bin_s: float,
    theta_lo: float,
    theta_hi: float,
    smooth_s: float,
    lag: LagPrior | None,
) -> XcorrCurve:
    """Correlation of chat density with (lag-smeared) activity for every offset in range.

    With a lag prior the activity is first convolved with the lag density (it predicts the
    chat density), so the peak is the offset itself; without one, the peak includes the lag.
    """
    if chat_s.size == 0 or activity.size == 0 or theta_hi <= theta_lo:
        grid = np.array([theta_lo])
        return XcorrCurve(grid, np.zeros(1), float(theta_lo), 0.0)
    act = activity.astype(np.float64)
    if lag is not None:
        x = np.arange(0.0, lag.support_s[1] + bin_s, bin_s)
        kern = lag.density(x + bin_s / 2)
        kern = kern / kern.sum()
        act = np.convolve(act, kern)[: act.size]
    lo = float(np.floor((chat_s.min() - 1.0) / bin_s) * bin_s)
    n_c = int(np.ceil((chat_s.max() + 1.0 - lo) / bin_s))
    dens = chat_density(chat_s, lo, n_c, bin_s)
    win = max(3, int(round(60.0 / bin_s)))
    sm = max(1, int(round(smooth_s / bin_s)))
    dz = _detrend(_smooth(dens, sm), win)
    az = _detrend(_smooth(act, sm), win)
    # corr(theta) = sum_a az[a] * dz[a + theta]; via FFT over the full lag range
    n = 1 << int(np.ceil(np.log2(dz.size + az.size)))
    full = np.fft.irfft(np.fft.rfft(dz, n) * np.conj(np.fft.rfft(az, n)), n)
    # full[k] = sum_a dz[a + k] az[a]  (k may wrap negative)
    thetas = np.arange(theta_lo, theta_hi + bin_s / 2, bin_s)
    k = np.round((thetas - lo) / bin_s).astype(np.int64)  # chat bin of audio 0 under theta
    valid = (k > -az.size) & (k < dz.size)
    score = np.full(thetas.size, 0.0)
    score[valid] = full[np.mod(k[valid], n)]
    # normalise by the overlap length so edges are not favoured or punished
    overlap = np.clip(np.minimum(dz.size, k + az.size) - np.maximum(0, k), 1, None)
    score = np.where(valid, score / np.sqrt(overlap * max(1, az.size)), 0.0)
    z, _, _ = robust_z(score)
    i = int(np.argmax(score))
    return XcorrCurve(thetas, score, float(thetas[i]), float(z[i]))


def activity_for(inputs: AlignmentInputs, bin_s: float) -> tuple[np.ndarray, str]:
    """Speech activity from the transcript when there is one, else from energy."""
    duration = float(inputs.meta.audio_duration_s)
    if int(inputs.words.ok.sum()) >= 50:
        return speech_activity_from_words(inputs.words, duration, bin_s), "words"
    return activity_from_energy(inputs.energy, duration, bin_s), "energy"
