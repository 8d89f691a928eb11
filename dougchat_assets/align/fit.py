"""Robust piecewise fit of ``theta(a)`` (chat clock minus audio clock) from echo pairs.

Model: ``theta(a) = theta_j + s * (a - a_mid)`` on audio segment ``j``; one slope ``s`` for
the whole VOD (clock drift is physical and constant), and between segments a *positive*
jump (an ad-break cut removes broadcast time, so chat runs further ahead of the audio after
it; nothing makes the audio longer than the broadcast).

Robustness comes from the score, not from trimming: a pair contributes
``log(1 + contrast * p(y - theta) / p_max)`` where ``p`` is the lag prior, i.e. the
log-likelihood ratio of "echo" against "coincidence" in a mixture.  A coincidence far from
the curve adds ~0 whatever its distance, so outliers cannot drag the fit.

Building blocks (orchestrated by :mod:`.echofit`):

* :func:`estimate_slope` — a first drift: the shear that makes the offset histogram sharpest;
* :func:`best_path` — the best path through (audio block, theta) with at most ``max_cuts``
  positive jumps, each paying a penalty (dynamic programming: model selection over
  0..max_cuts cuts in one pass);
* :func:`profile_slope` — drift again, given the segments (each at its own offset) and a
  Gaussian prior on drift;
* :func:`split_range` + :func:`place_cut` — each cut moved to word level;
* :func:`refine_offsets` — ``theta_j`` and ``s`` refined on the continuous lag density.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class PathSegment:
    block_start: int  # first block (inclusive)
    block_end: int  # last block (exclusive)
    theta_index: int


def best_path(
    score_c: np.ndarray, min_jump_bins: int, max_cuts: int, penalty: float
) -> tuple[list[PathSegment], list[float]]:
    """Max-score path through (block, offset) with <= max_cuts positive jumps, each costing ``penalty``.

    Returns the chosen segments and the best total score for each number of cuts (model
    selection evidence).  Ties resolve to the fewest cuts and the lowest offset, so the result
    is deterministic.
    """
    n_blocks, n_theta = score_c.shape
    n_states = max_cuts + 1
    value = np.full((n_states, n_theta), -np.inf)
    value[0] = score_c[0]
    jumped = np.zeros((n_blocks, n_states, n_theta), dtype=bool)
    source = np.zeros((n_blocks, n_states, n_theta), dtype=np.int32)
    idx = np.arange(n_theta)
    for b in range(1, n_blocks):
        new = np.full_like(value, -np.inf)
        new[0] = value[0] + score_c[b]
        for j in range(1, n_states):
            prev = value[j - 1]
            run_max = np.maximum.accumulate(prev)
            run_arg = np.maximum.accumulate(np.where(prev == run_max, idx, 0))
            jump_val = np.full(n_theta, -np.inf)
            jump_src = np.zeros(n_theta, dtype=np.int64)
            if n_theta > min_jump_bins:
                jump_val[min_jump_bins:] = run_max[: n_theta - min_jump_bins] - penalty
                jump_src[min_jump_bins:] = run_arg[: n_theta - min_jump_bins]
            take_jump = jump_val > value[j]
            new[j] = np.where(take_jump, jump_val, value[j]) + score_c[b]
            jumped[b, j] = take_jump
            source[b, j] = jump_src
        value = new
    finals = [float(value[j].max()) for j in range(n_states)]
    n_cuts = int(np.argmax(np.array(finals) + 1e-9 * -np.arange(n_states)))
    theta = int(np.argmax(value[n_cuts]))
    # backtrack
    segments: list[PathSegment] = []
    end = n_blocks
    j = n_cuts
    for b in range(n_blocks - 1, 0, -1):
        if j > 0 and jumped[b, j, theta]:
            segments.append(PathSegment(b, end, theta))
            end = b
            theta = int(source[b, j, theta])
            j -= 1
    segments.append(PathSegment(0, end, theta))
    segments.reverse()
    return segments, finals


@dataclass(frozen=True)
class SplitProfile:
    """Every place a cut between two offsets could go, with how well the echoes fit it.

    Candidate ``k`` puts the cut in the open interval ``(lo[k], hi[k])`` between two
    consecutive evidence times; ``total[k]`` is the score of the left offset for evidence
    before it plus the right offset for evidence after it.
    """

    lo: np.ndarray
    hi: np.ndarray
    total: np.ndarray

    def interval(self, tolerance: float) -> tuple[float, float]:
        """Span of all candidates within ``tolerance`` of the best (the cut's uncertainty)."""
        good = np.flatnonzero(self.total >= self.total.max() - tolerance)
        return float(self.lo[good.min()]), float(self.hi[good.max()])

    def best(self, eps: float) -> list[tuple[float, float]]:
        """The candidate intervals scoring within ``eps`` of the best (equally good places)."""
        good = np.flatnonzero(self.total >= self.total.max() - eps)
        return [(float(self.lo[k]), float(self.hi[k])) for k in good]


def split_profile(
    a_pairs: np.ndarray,
    d_left: np.ndarray,
    d_right: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    group: np.ndarray | None = None,
    item_scale: float = 1.0,
) -> SplitProfile:
    """Score every cut position between two offsets by the echoes around it.

    ``d_left``/``d_right`` are each pair's delay under the left/right segment's offset.
    Each message counts at most 1 (its kernel value relative to the best, times its weight
    capped at 1): where a cut lies is a question of *how many* viewers echoed a sentence on
    each side, and a single message of a rare token is as often a coincidence as an echo.
    ``group`` ties pairs of one transcript item (a word occurrence) into one piece of
    evidence worth ``log(1 + count / item_scale)`` on each side: an echo burst of fifteen
    messages is strong evidence, one chance message a little, and forty chance messages
    containing "chat" not forty times as much (the log of a sum, like a mixture likelihood
    with a background level of ``item_scale``).
    """
    k_max = float(kernel.values.max())
    pair_w = np.minimum(w, 1.0)  # one message is at most one message, however rare its token
    sl = pair_w * kernel.continuous(d_left) / k_max
    sr = pair_w * kernel.continuous(d_right) / k_max
    if group is None:
        group = np.arange(a_pairs.size)
    _, inv = np.unique(group, return_inverse=True)
    n = int(inv.max()) + 1 if inv.size else 0
    gl = np.log1p(np.bincount(inv, weights=sl, minlength=n) / item_scale)
    gr = np.log1p(np.bincount(inv, weights=sr, minlength=n) / item_scale)
    ga = np.zeros(n)
    ga[inv] = a_pairs
    order = np.argsort(ga, kind="stable")
    ga, gl, gr = ga[order], gl[order], gr[order]
    uniq, first = np.unique(ga, return_index=True)
    cum_l = np.concatenate([[0.0], np.cumsum(gl)])
    cum_r = np.concatenate([[0.0], np.cumsum(gr)])
    # candidate k (0..len(uniq)): left gets the items before uniq[k]
    cuts = np.concatenate([first, [ga.size]])
    total = cum_l[cuts] + (cum_r[-1] - cum_r[cuts])
    lo = np.concatenate([[-np.inf], uniq])
    hi = np.concatenate([uniq, [np.inf]])
    return SplitProfile(lo, hi, total)


def place_cut(
    intervals: list[tuple[float, float]], word_start: np.ndarray, word_end: np.ndarray, window: tuple[float, float]
) -> float:
    """Where to put a cut the echoes place equally well anywhere in ``intervals``.

    At the longest pause between two words inside them (a splice inside running speech would
    leave a garbled word; ad breaks start and end on silence more often than not), or in the
    middle of the widest interval when they hold no pause.  ``window`` bounds open ends.
    """
    best_gap, best_at = -1.0, None
    clipped = [(max(lo, window[0]), min(hi, window[1])) for lo, hi in intervals]
    if word_start.size >= 2:
        gap_lo = word_end[:-1]
        gap_hi = word_start[1:]
        for lo, hi in clipped:
            inside = (gap_lo >= lo - 0.05) & (gap_hi <= hi + 0.05) & (gap_hi > gap_lo)
            if inside.any():
                idx = np.flatnonzero(inside)
                k = idx[int(np.argmax(gap_hi[idx] - gap_lo[idx]))]
                if gap_hi[k] - gap_lo[k] > best_gap:
                    best_gap, best_at = float(gap_hi[k] - gap_lo[k]), float(0.5 * (gap_lo[k] + gap_hi[k]))
    if best_at is not None:
        return best_at
    lo, hi = max(clipped, key=lambda iv: iv[1] - iv[0])
    return float(0.5 * (lo + hi))


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
