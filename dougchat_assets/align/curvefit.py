"""Curve-fit stage: from echo pairs to the offset curve (offset, drift, cuts) and its knots.

``theta(a)`` is chat clock minus audio clock for the audio point ``a`` (the streamer's own
time, with the reaction lag removed by the lag prior's shape, see :mod:`.lag`).  Model:
``theta(a) = theta_j + s * (a - a_mid)`` on audio segment ``j`` — one slope ``s`` for the whole
VOD (:mod:`.drift`) and a positive jump at every cut (:mod:`.cuts`).  The score every step
maximises is :mod:`.score`'s.

:func:`fit_echo` runs the steps in order:

1. echo pairs over the metadata search range, widened by room for cuts and drift;
2. a first drift (sharpest histogram) and the main peak;
3. cuts by dynamic programming around the main peak; drift re-fitted given the segments;
   both twice;
4. each cut placed at word level, weighing tokens by how often they really echo;
5. offsets and drift refined; a segment the echoes do not support (too few matches, a jump
   that closed, or its echoes fit a neighbour's offset nearly as well) is merged away, and
   5 repeats.

How sure the result is belongs to the next stage (:mod:`.confidence`); :func:`echo_knots`
turns the fit plus those confidences into the knots of :mod:`.curve`'s contract, and
:func:`xcorr_curve` is the fallback curve when there is no usable echo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.cuts import (
    cut_profile,
    drop_segment,
    echo_matches,
    echo_propensity,
    own_offset_gains,
    place_split,
    segment_path,
)
from dougchat_assets.align.drift import estimate_slope, profile_slope, refine_offsets, slope_step
from dougchat_assets.align.echo import EchoIndex, EchoPairs
from dougchat_assets.align.metadata import FirstGuess
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import Knot, UncertainSpan
from dougchat_assets.align.score import ScoreKernel, offset_scores, robust_z
from dougchat_assets.align.xcorr import XcorrCurve

METHOD_ECHO = "echo"
METHOD_XCORR = "xcorr"
METHOD_METADATA = "metadata"


@dataclass(frozen=True)
class SegmentFit:
    audio_start_s: float  # -inf for the first segment (extends before the audio)
    audio_end_s: float  # +inf for the last
    theta_s: float  # at a_mid (see EchoFit)
    n_matches: float  # echo matches beyond chance (see cuts.echo_matches)


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
    # the window the main peak was searched in (the confidence stage's look-elsewhere window)
    search_lo: float
    n_search: int
    shear_margin_s: float


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
        path, finals, penalty = segment_path(block, ys, w, n_blocks, l_lo, n_l, kernel, params)
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
    # weighs each token by how often it really echoes (see echo_propensity)
    group = pairs.word * (int(pairs.token.max()) + 1) + pairs.token.astype(np.int64)  # one (word, token) item
    q_lo, q_hi = kernel.lag.quantile(0.02), kernel.lag.quantile(0.98)
    seg_blk_pairs = np.searchsorted(np.array([p.block_start * params.block_s for p in path[1:]]), a, side="right")
    w_split = w * echo_propensity(pairs.token, ys - thetas[seg_blk_pairs], q_lo, q_hi)
    edges = np.array(
        [
            place_split(
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
        n_match = np.array([echo_matches(ys[seg_of_pair == j] - thetas[j], q_lo, q_hi) for j in range(thetas.size)])
        if thetas.size > 1 and n_match.min() < params.prune_min_matches:
            edges, thetas = drop_segment(
                int(np.argmin(n_match)), edges, thetas, a, ys, w_split, kernel, params, words, group
            )
            continue
        jumps = np.diff(thetas)
        if jumps.size and jumps.min() < params.min_cut_s / 2:  # refinement closed a jump: not a cut
            i = int(np.argmin(jumps))
            weaker = i if n_match[i] <= n_match[i + 1] else i + 1
            edges, thetas = drop_segment(weaker, edges, thetas, a, ys, w_split, kernel, params, words, group)
            continue
        # with offsets and cuts refined, is each segment still worth its own offset?  The same
        # test the cut search made (gain over the neighbours' offsets vs the cut penalty)
        gains = own_offset_gains(ys, w, seg_of_pair, thetas, kernel)
        if thetas.size > 1 and gains.min() < penalty:
            edges, thetas = drop_segment(
                int(np.argmin(gains)), edges, thetas, a, ys, w_split, kernel, params, words, group
            )
            continue
        break

    starts = np.concatenate([[-np.inf], edges])
    ends = np.concatenate([edges, [np.inf]])
    cut_ranges = []
    for i, edge in enumerate(edges):
        prof = cut_profile(a, ys, w_split, kernel, thetas[i], thetas[i + 1], starts[i], ends[i + 1], group)
        lo, hi = (edge, edge) if prof is None else prof.interval(params.split_tie_tolerance)
        lo = max(lo, starts[i], 0.0)
        hi = min(hi, ends[i + 1], duration_s)
        cut_ranges.append((float(min(lo, edge)), float(max(hi, edge))))
    segs = [SegmentFit(float(starts[j]), float(ends[j]), float(thetas[j]), float(n_match[j])) for j in range(thetas.size)]
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
        search_lo=g_lo,
        n_search=n_g,
        shear_margin_s=shear_margin,
    )
    return fit, pairs


def theta_at(fit: EchoFit, audio_s: np.ndarray) -> np.ndarray:
    """The fitted theta (chat clock minus audio clock, prior lag split) at each audio time."""
    a = np.asarray(audio_s, dtype=np.float64)
    edges = np.array([seg.audio_end_s for seg in fit.segments[:-1]], dtype=np.float64)
    thetas = np.array([seg.theta_s for seg in fit.segments])
    return thetas[np.searchsorted(edges, a, side="right")] + fit.slope * (a - fit.a_mid)


def echo_knots(fit: EchoFit, ref: int, duration: float, confidence: list[float], shift_s: float = 0.0) -> list[Knot]:
    """Two knots per segment at its audio ends, stamped with that segment's confidence.

    ``shift_s`` moves the lag split (see :mod:`.readaloud`): every message maps ``shift_s``
    later into the audio (theta smaller by ``shift_s``).
    """
    s = fit.slope
    segs = fit.segments
    # knots: segment j covers audio [A_j, A_{j+1}]; chat = a + theta_j - shift + s (a - a_mid)
    edges = [0.0] + [seg.audio_end_s for seg in segs[:-1]] + [duration]

    def chat_at(j: int, a: float) -> float:
        return a + segs[j].theta_s - shift_s + s * (a - fit.a_mid)

    knots: list[Knot] = []
    last = None
    for j in range(len(segs)):
        a0, a1 = edges[j], max(edges[j + 1], edges[j] + 1e-3)
        for a in (a0, a1):
            t_ms = int(round(ref + 1000.0 * chat_at(j, a)))
            if last is not None and t_ms <= last:
                t_ms = last + 1
            knots.append(Knot(t_ms, float(a), j, confidence[j], METHOD_ECHO))
            last = t_ms
    return knots


def _chat_ms(fit: EchoFit, ref: int, shift_s: float, segment: int, audio_s: float) -> int:
    """The chat time (epoch ms) segment ``segment``'s line maps to ``audio_s``."""
    theta = fit.segments[segment].theta_s
    return int(round(ref + 1000.0 * (audio_s + theta - shift_s + fit.slope * (audio_s - fit.a_mid))))


def uncertain_spans(fit: EchoFit, ref: int, shift_s: float = 0.0) -> list[UncertainSpan]:
    """Chat-time spans around each cut: the cut itself, and where its position is uncertain.

    With the cut anywhere in ``(lo, hi)`` (audio), a message the left line maps into
    ``[lo, cut)`` or the right line into ``(cut, hi]`` may belong to the other side, and be off
    by up to the cut's length.
    """
    spans: list[UncertainSpan] = []
    segs = fit.segments

    def chat_ms(j: int, a: float) -> int:
        return _chat_ms(fit, ref, shift_s, j, a)

    for i, (lo, hi) in enumerate(fit.cut_ranges):
        cut = segs[i].audio_end_s
        jump = float(segs[i + 1].theta_s - segs[i].theta_s)
        left0, cut0, cut1, right1 = chat_ms(i, lo), chat_ms(i, cut), chat_ms(i + 1, cut), chat_ms(i + 1, hi)
        if cut0 > left0:
            spans.append(UncertainSpan("cut_position", left0, cut0, jump))
        spans.append(UncertainSpan("cut", cut0, max(cut1, cut0 + 1), 0.0))
        if right1 > cut1:
            spans.append(UncertainSpan("cut_position", cut1, right1, jump))
    return spans


def unsupported_spans(fit: EchoFit, ref: int, duration_s: float, params: AlignmentParams,
                      shift_s: float = 0.0) -> list[UncertainSpan]:
    """Chat-time spans the echoes cannot vouch for: audio before the first or after the last echo.

    Between two echoes a cut shows as a jump between the lines on either side of it (and its
    position as a ``cut_position`` span).  Beyond the last echo — a stream that ends in music,
    a long silence after an ad break — the curve is extrapolated: a cut there leaves no trace
    and every later message would be off by its length while every check passes.  Audio more
    than ``params.echo_reach_s`` beyond the first or last echo is therefore unsupported.
    """
    if fit.inlier_audio_s.size == 0:
        return []
    segs = fit.segments
    first, last = float(fit.inlier_audio_s.min()), float(fit.inlier_audio_s.max())

    def chat_ms(j: int, a: float) -> int:
        return _chat_ms(fit, ref, shift_s, j, a)

    spans = []
    if first - params.echo_reach_s > 0.0:
        spans.append(UncertainSpan("unsupported", chat_ms(0, 0.0), chat_ms(0, first - params.echo_reach_s),
                                   params.max_total_cut_s))
    if last + params.echo_reach_s < duration_s:
        j = len(segs) - 1
        spans.append(UncertainSpan("unsupported", chat_ms(j, last + params.echo_reach_s), chat_ms(j, duration_s),
                                   params.max_total_cut_s))
    return spans


def xcorr_theta(xc: XcorrCurve, guess: FirstGuess) -> float:
    """The fallback offset: chat density's best, else the metadata guess."""
    return xc.best_theta_s if xc.z > 0 else guess.theta_s


def xcorr_curve(theta: float, method: str, ref: int, duration: float, confidence: float) -> list[Knot]:
    """One offset, slope 1: what chat density alone supports (confidence from :mod:`.confidence`)."""
    k0 = Knot(int(round(ref + 1000.0 * theta)), 0.0, 0, confidence, method)
    k1 = Knot(int(round(ref + 1000.0 * (theta + duration))), duration, 0, confidence, method)
    return [k0, k1]
