"""Steps 3 and 5: from echo pairs to a piecewise-linear theta(a) with per-segment evidence.

``theta(a)`` is chat clock minus audio clock for the audio point ``a`` (the streamer's own
time, with the reaction lag removed by the lag prior's shape).  See :mod:`.fit` for the
model and :mod:`.lag` for what the lag split rests on.

1. echo pairs over the metadata search range, widened by room for cuts and drift;
2. a first drift (sharpest histogram) and the main peak;
3. cuts by dynamic programming around the main peak; drift re-fitted given the segments;
   both twice;
4. each cut placed at word level, weighing tokens by how often they really echo;
5. offsets and drift refined; a segment the echoes do not support (too few matches, a jump
   that closed, or its echoes fit a neighbour's offset nearly as well) is merged away, and
   5 repeats;
6. evidence per segment: z against the reversed-transcript null, peak ratio, matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.echo import EchoIndex, EchoPairs
from dougchat_assets.align.fit import (
    PathSegment,
    ScoreKernel,
    SplitProfile,
    best_path,
    block_offset_scores,
    estimate_slope,
    offset_scores,
    place_cut,
    profile_slope,
    refine_offsets,
    robust_z,
    slope_step,
    split_profile,
)
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.significance import segment_null


@dataclass(frozen=True)
class SegmentFit:
    audio_start_s: float  # -inf for the first segment (extends before the audio)
    audio_end_s: float  # +inf for the last
    theta_s: float  # at a_mid (see EchoFit)
    z: float  # against the reversed-transcript null (see significance.py)
    prominence: float  # robust z of the peak minus the best wrong offset's (descriptive)
    n_matches: float
    peak_ratio: float  # score at the offset / best score at any other offset of the search window


@dataclass(frozen=True)
class EchoFit:
    segments: list[SegmentFit]
    slope: float  # d(theta)/da: chat seconds per audio second minus 1
    a_mid: float
    global_z: float
    theta_peak: float
    n_pairs: int
    inlier_delay_s: np.ndarray  # delays of inlier pairs under the fitted curve
    inlier_audio_s: np.ndarray
    inlier_chat_s: np.ndarray
    cut_evidence: list[float]  # best DP score per number of cuts
    cut_ranges: list[tuple[float, float]]  # per cut, the audio interval the echoes allow for it
    theta_lo: float  # the offset window the cut search used
    theta_hi: float


def fit_echo(
    index: EchoIndex,
    theta_lo: float,
    theta_hi: float,
    duration_s: float,
    params: AlignmentParams,
    kernel: ScoreKernel,
    words: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0)),
) -> tuple[EchoFit | None, EchoPairs]:
    """Fit theta(a) on echo pairs with the main peak in ``[theta_lo, theta_hi]``.

    ``words`` are the transcript's (start_s, end_s), used to put cuts in pauses.  Returns
    the fit (None without pairs) and the pairs it used.
    """
    reach = params.max_total_cut_s + params.min_cut_s + params.max_drift_s_per_h / 3600.0 * duration_s + 5.0
    pairs = index.pairs(
        theta_lo - reach,
        theta_hi + reach + kernel.span_s,
        max_pairs_per_token=params.max_pairs_per_token,
        pair_budget=params.pair_budget,
    )
    if pairs.n == 0:
        return None, pairs
    h = params.offset_bin_s
    a_mid = duration_s / 2.0
    shear_margin = params.max_drift_s_per_h / 3600.0 * a_mid + 2.0
    g_lo = theta_lo - shear_margin
    n_g = int(np.ceil((theta_hi - theta_lo + 2 * shear_margin) / h))
    y = pairs.y
    a = pairs.audio_s
    w = pairs.weight

    slope = estimate_slope(a, y, w, a_mid, g_lo, n_g, kernel, params.max_drift_s_per_h, duration_s)
    ys = y - slope * (a - a_mid)
    g_scores = offset_scores(ys, w, g_lo, n_g, kernel)
    gz, _, _ = robust_z(g_scores)
    peak = int(np.argmax(g_scores))
    theta_peak = g_lo + peak * h

    # cut search around the main peak; the slope is re-estimated given the segmentation
    # (profile likelihood) and the segmentation redone with it
    r = params.max_total_cut_s + params.min_cut_s
    l_lo = theta_peak - r
    n_l = int(np.ceil(2 * r / h))
    n_blocks = max(1, int(np.ceil(duration_s / params.block_s)))
    block = np.clip(np.floor(a / params.block_s).astype(np.int64), 0, n_blocks - 1)
    for _ in range(2):
        path, finals, penalty = _segment(block, ys, w, n_blocks, l_lo, n_l, kernel, params)
        thetas = np.array([l_lo + p.theta_index * h for p in path])
        blk_edges = np.array([p.block_start for p in path[1:]], dtype=np.int64)
        seg_blk = np.searchsorted(blk_edges, block, side="right")
        slope, thetas = profile_slope(
            seg_blk,
            a,
            y,
            w,
            thetas,
            slope,
            a_mid,
            kernel,
            params.max_drift_s_per_h,
            duration_s,
            params.drift_prior_sd_s_per_h,
        )
        ys = y - slope * (a - a_mid)

    # word-level cut positions, then drop segments the echoes do not support; cut placement
    # weighs each token by how often it really echoes (see _echo_propensity)
    group = pairs.word * (int(pairs.token.max()) + 1) + pairs.token.astype(np.int64)  # one (word, token) item
    q_lo, q_hi = kernel.lag.quantile(0.02), kernel.lag.quantile(0.98)
    seg_blk_pairs = np.searchsorted(np.array([p.block_start * params.block_s for p in path[1:]]), a, side="right")
    w_split = w * _echo_propensity(pairs.token, ys - thetas[seg_blk_pairs], q_lo, q_hi)
    edges = np.array(
        [
            _split(
                a,
                ys,
                w_split,
                kernel,
                thetas[i],
                thetas[i + 1],
                right.block_start * params.block_s,
                left.block_start * params.block_s,
                right.block_end * params.block_s,
                params,
                words,
                group,
            )
            for i, (left, right) in enumerate(zip(path[:-1], path[1:], strict=True))
        ]
    )
    # neighbouring placements may cross; an emptied segment then has no matches and is merged
    edges = np.maximum.accumulate(edges) if edges.size else edges
    s_step = slope_step(duration_s)
    while True:
        seg_of_pair = np.searchsorted(edges, a, side="right")
        thetas, slope = refine_offsets(
            seg_of_pair, a, y, w, thetas, slope, a_mid, kernel, s_step, params.drift_prior_sd_s_per_h
        )
        ys = y - slope * (a - a_mid)
        n_match = np.array([_matches(ys[seg_of_pair == j] - thetas[j], q_lo, q_hi) for j in range(thetas.size)])
        if thetas.size > 1 and n_match.min() < params.prune_min_matches:
            edges, thetas = _drop_segment(
                int(np.argmin(n_match)), edges, thetas, a, ys, w_split, kernel, params, words, group
            )
            continue
        jumps = np.diff(thetas)
        if jumps.size and jumps.min() < params.min_cut_s / 2:  # refinement closed a jump: not a cut
            i = int(np.argmin(jumps))
            weaker = i if n_match[i] <= n_match[i + 1] else i + 1
            edges, thetas = _drop_segment(weaker, edges, thetas, a, ys, w_split, kernel, params, words, group)
            continue
        # with offsets and cuts refined, is each segment still worth its own offset?  The same
        # test the cut search made (gain over the neighbours' offsets vs the cut penalty)
        gains = _own_offset_gains(ys, w, seg_of_pair, thetas, kernel)
        if thetas.size > 1 and gains.min() < penalty:
            edges, thetas = _drop_segment(
                int(np.argmin(gains)), edges, thetas, a, ys, w_split, kernel, params, words, group
            )
            continue
        item_seg = np.searchsorted(edges, index.item_ref_s, side="right")
        evidence = [
            _evidence(
                thetas[j],
                seg_of_pair == j,
                item_seg == j,
                index,
                pairs,
                ys,
                slope,
                a_mid,
                g_lo,
                n_g,
                shear_margin,
                kernel,
                params,
            )
            for j in range(thetas.size)
        ]
        break

    starts = np.concatenate([[-np.inf], edges])
    ends = np.concatenate([edges, [np.inf]])
    cut_ranges = []
    for i, edge in enumerate(edges):
        prof = _split_profile(a, ys, w_split, kernel, thetas[i], thetas[i + 1], starts[i], ends[i + 1], group)
        lo, hi = (edge, edge) if prof is None else prof.interval(params.split_tie_tolerance)
        lo = max(lo, starts[i], 0.0)
        hi = min(hi, ends[i + 1], duration_s)
        cut_ranges.append((float(min(lo, edge)), float(max(hi, edge))))
    segs = [
        SegmentFit(
            float(starts[j]), float(ends[j]), float(thetas[j]), ev.z, ev.prominence, float(n_match[j]), ev.peak_ratio
        )
        for j, ev in enumerate(evidence)
    ]
    in_d, in_a, in_c = [], [], []
    for j, th in enumerate(thetas):
        m = seg_of_pair == j
        d = ys[m] - th
        inl = (d >= q_lo) & (d <= q_hi)
        in_d.append(d[inl])
        in_a.append(a[m][inl])
        in_c.append(pairs.chat_s[m][inl])
    fit = EchoFit(
        segments=segs,
        slope=float(slope),
        a_mid=a_mid,
        global_z=float(gz[peak]),
        theta_peak=float(theta_peak),
        n_pairs=pairs.n,
        inlier_delay_s=np.concatenate(in_d),
        inlier_audio_s=np.concatenate(in_a),
        inlier_chat_s=np.concatenate(in_c),
        cut_evidence=finals,
        cut_ranges=cut_ranges,
        theta_lo=l_lo,
        theta_hi=l_lo + n_l * h,
    )
    return fit, pairs


def _segment(
    block: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    n_blocks: int,
    l_lo: float,
    n_l: int,
    kernel: ScoreKernel,
    params: AlignmentParams,
) -> tuple[list[PathSegment], list[float], float]:
    """Best (block, theta) path with a penalty per cut scaled to the blocks' noise level."""
    s_blk = block_offset_scores(block, ys, w, n_blocks, l_lo, n_l, kernel)
    s_c = s_blk - np.median(s_blk, axis=1, keepdims=True)
    nonempty = np.abs(s_blk).sum(axis=1) > 0
    # the spread of a block's score across offsets (most of them wrong); a plain standard
    # deviation, because in sparse blocks most offsets score exactly 0 and a MAD collapses
    sigma = float(np.std(s_c[nonempty])) if nonempty.any() else 1.0
    sigma = sigma if sigma > 0 else 1.0
    # a cut must gain what ~penalty_blocks blocks of noise could fake; not more on long VODs:
    # there every true segment carries far more evidence, and spurious ones are pruned later
    penalty = params.cut_penalty * sigma * float(np.sqrt(max(1, min(int(nonempty.sum()), params.penalty_blocks))))
    path, finals = best_path(s_c, int(np.ceil(params.min_cut_s / kernel.bin_s)), params.max_cuts, penalty)
    return path, finals, penalty


def _own_offset_gains(
    ys: np.ndarray, w: np.ndarray, seg_of_pair: np.ndarray, thetas: np.ndarray, kernel: ScoreKernel
) -> np.ndarray:
    """Per segment: its pairs' score at its own offset minus at the better neighbour's offset.

    A segment whose echoes fit a neighbour's offset about as well is not evidence of a cut.
    A weak but real segment (sparse chat) keeps its offset: it shows up with low confidence
    instead of being silently forced onto the wrong side of a cut.
    """
    gains = np.full(thetas.size, np.inf)
    for j in range(thetas.size):
        m = seg_of_pair == j
        own = float(np.sum(w[m] * kernel.continuous(ys[m] - thetas[j])))
        others = [
            float(np.sum(w[m] * kernel.continuous(ys[m] - thetas[i]))) for i in (j - 1, j + 1) if 0 <= i < thetas.size
        ]
        gains[j] = own - max(others) if others else np.inf
    return gains


def _matches(d: np.ndarray, q_lo: float, q_hi: float) -> float:
    """Echo matches in excess of coincidences: pairs whose delay is plausible under the lag
    prior, minus the average count in windows of equal width at wrong offsets (30-150 s away)."""
    inl = float(np.sum((d >= q_lo) & (d <= q_hi)))
    bg = 0.0
    for off in (-150.0, -90.0, -30.0, 30.0, 90.0, 150.0):
        bg += float(np.sum((d >= q_lo + off) & (d <= q_hi + off)))
    return inl - bg / 6.0


def _split_profile(
    a: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    theta_left: float,
    theta_right: float,
    left_start: float,
    right_end: float,
    group: np.ndarray,
) -> SplitProfile | None:
    """Split profile between two offsets over the evidence between the neighbouring cuts."""
    m = (a >= left_start) & (a < right_end)
    if m.sum() < 2:
        return None
    return split_profile(a[m], ys[m] - theta_left, ys[m] - theta_right, w[m], kernel, group[m])


def _split(
    a: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    theta_left: float,
    theta_right: float,
    edge: float,
    left_start: float,
    right_end: float,
    params: AlignmentParams,
    words: tuple[np.ndarray, np.ndarray],
    group: np.ndarray,
) -> float:
    """Audio time of the cut between two offsets: where the echoes fit best (searched between
    the neighbouring cuts), at the longest pause there; ``edge`` when there is no evidence."""
    prof = _split_profile(a, ys, w, kernel, theta_left, theta_right, left_start, right_end, group)
    if prof is None:
        return float(edge)
    lo_w = left_start if np.isfinite(left_start) else float(a.min()) - 1.0
    hi_w = right_end if np.isfinite(right_end) else float(a.max()) + 1.0
    return place_cut(prof.best(params.split_best_tolerance), words[0], words[1], (lo_w, hi_w))


@dataclass(frozen=True)
class _Evidence:
    z: float
    prominence: float
    peak_ratio: float


def _evidence(
    theta: float,
    pair_mask: np.ndarray,
    item_mask: np.ndarray,
    index: EchoIndex,
    pairs: EchoPairs,
    ys: np.ndarray,
    slope: float,
    a_mid: float,
    g_lo: float,
    n_g: int,
    shear_margin: float,
    kernel: ScoreKernel,
    params: AlignmentParams,
) -> _Evidence:
    """Significance of segment j's offset, two ways.

    * ``z``: the pair score against the reversed-transcript null (searched over the same
      global window as the main peak) — calibrated against unstructured coincidences;
    * ``peak_ratio``: the score at the offset over the best score anywhere else in that window
      (more than ``ratio_exclusion_s`` away).  Other offsets of the same data keep all of its
      structure, so this is the guard against *structured* coincidences: two streams of one
      streamer that both open with a countdown and "we are live" line up a few sentences and
      make a tall peak, but one no taller than other chance peaks (ratio ~1-1.7), while a real
      alignment towers over every other offset (ratio ~3-7).
    """
    h = kernel.bin_s
    sc = offset_scores(ys[pair_mask], pairs.weight[pair_mask], g_lo, n_g, kernel)
    rz, _, _ = robust_z(sc)
    jt = int(np.clip(round((theta - g_lo) / h), 0, n_g - 1))
    real = float(sc[max(0, jt - 1) : jt + 2].max())
    far = np.abs(np.arange(n_g) - jt) * h > 6.0
    prom = float(rz[max(0, jt - 1) : jt + 2].max() - (rz[far].max() if far.any() else 0.0))
    elsewhere = np.abs(np.arange(n_g) - jt) * h > params.ratio_exclusion_s
    ratio = real / max(float(sc[elsewhere].max()) if elsewhere.any() else 0.0, 1e-9)
    null = segment_null(
        index,
        item_mask,
        real,
        slope,
        a_mid,
        g_lo,
        n_g,
        kernel,
        n_samples=params.null_samples,
        shear_margin_s=shear_margin,
        max_pairs_per_token=params.max_pairs_per_token,
        pair_budget=params.pair_budget,
    )
    return _Evidence(null.z, prom, float(ratio))


def _drop_segment(
    j: int,
    edges: np.ndarray,
    thetas: np.ndarray,
    a: np.ndarray,
    ys: np.ndarray,
    w: np.ndarray,
    kernel: ScoreKernel,
    params: AlignmentParams,
    words: tuple[np.ndarray, np.ndarray],
    group: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Remove segment j: an end segment merges into its neighbour; a middle one is replaced by
    a single cut between its neighbours, placed by the echoes inside its span."""
    if j == 0:
        return edges[1:], thetas[1:]
    if j == thetas.size - 1:
        return edges[:-1], thetas[:-1]
    lo_a = edges[j - 2] if j >= 2 else -np.inf
    hi_a = edges[j + 1] if j + 1 < edges.size else np.inf
    split = _split(
        a,
        ys,
        w,
        kernel,
        thetas[j - 1],
        thetas[j + 1],
        0.5 * (edges[j - 1] + edges[j]),
        lo_a,
        hi_a,
        params,
        words,
        group,
    )
    return np.concatenate([edges[: j - 1], [split], edges[j + 1 :]]), np.concatenate([thetas[:j], thetas[j + 1 :]])


def _echo_propensity(token: np.ndarray, d: np.ndarray, q_lo: float, q_hi: float) -> np.ndarray:
    """Per pair, the share of its token's plausible-delay pairs that are real echoes.

    Under the fitted curve, a token that chat really echoes (a name, "1" after a call) has
    far more pairs at plausible delays than at wrong offsets; one that it merely also uses
    ("chat": the streamer addresses chat, chat talks about chat) has as many either way.
    Rarity weights cannot tell these apart (both can be moderately common); this can.  Used
    only to place cuts, never for significance, so it cannot inflate a coincidence.
    """
    if token.size == 0:
        return np.ones(0)
    n = int(token.max()) + 1
    inl = np.bincount(token, weights=((d >= q_lo) & (d <= q_hi)).astype(float), minlength=n)
    bg = np.zeros(n)
    for off in (-150.0, -90.0, -30.0, 30.0, 90.0, 150.0):
        bg += np.bincount(token, weights=((d >= q_lo + off) & (d <= q_hi + off)).astype(float), minlength=n)
    bg /= 6.0
    rho = np.clip((inl - bg) / (inl + 1.0), 0.0, 1.0)
    return rho[token]
