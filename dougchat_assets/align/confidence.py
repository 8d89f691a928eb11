"""Confidence stage: how sure is the fitted curve, segment by segment and overall?

Runs after the curve fit (:mod:`.curvefit`) and never changes the curve.  Per segment:

* ``z`` — its echo score against a null from the same data with the time link broken
  (:mod:`.significance`): more than unstructured coincidence?
* ``peak_ratio`` — its score against the best *other* offset of the same data: more than a
  structured coincidence (another stream of the same streamer with the same routine)?
* ``n_matches`` — enough echoes beyond chance at all;
* sliding windows inside it (:func:`echo_windows`) agree with the curve.

:func:`segment_confidence` combines them; :func:`overall_confidence` weighs segments by the
chat they map.  The asset checks (:mod:`.checks`) then judge the result against
:class:`~dougchat_assets.align.checks.AlignmentThresholds`.  To change how sure the
estimator claims to be, change this module (and calibrate with ``bench/alignment.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.curve import inverse_map
from dougchat_assets.align.curvefit import EchoFit
from dougchat_assets.align.echo import EchoIndex, EchoPairs
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import Knot, SegmentInfo, WindowEstimate
from dougchat_assets.align.score import ScoreKernel, offset_scores, robust_z
from dougchat_assets.align.significance import segment_null
from dougchat_assets.align.xcorr import XcorrCurve, xcorr_offsets


def echo_evidence(fit: EchoFit, index: EchoIndex, pairs: EchoPairs, kernel: ScoreKernel,
                  params: AlignmentParams) -> list[SegmentEvidence]:
    """:func:`segment_evidence` of every segment of the fit."""
    edges = np.array([seg.audio_end_s for seg in fit.segments[:-1]], dtype=np.float64)
    a = pairs.audio_s
    ys = pairs.y - fit.slope * (a - fit.a_mid)
    seg_of_pair = np.searchsorted(edges, a, side="right")
    item_seg = np.searchsorted(edges, index.item_ref_s, side="right")
    return [
        segment_evidence(
            seg.theta_s,
            seg_of_pair == j,
            item_seg == j,
            index,
            pairs,
            ys,
            fit.slope,
            fit.a_mid,
            fit.search_lo,
            fit.n_search,
            fit.shear_margin_s,
            kernel,
            params,
        )
        for j, seg in enumerate(fit.segments)
    ]


def echo_segments(
    fit: EchoFit, evidence: list[SegmentEvidence], windows: list[WindowEstimate], duration: float, p: AlignmentParams
) -> list[SegmentInfo]:
    """Per segment: its evidence, the agreement of the windows inside it, and its confidence."""
    segs = fit.segments
    edges = [0.0] + [seg.audio_end_s for seg in segs[:-1]] + [duration]
    infos: list[SegmentInfo] = []
    for j, (seg, ev) in enumerate(zip(segs, evidence, strict=True)):
        inside = [
            w
            for w in windows
            if w.method == "echo" and edges[j] <= w.audio_center_s < edges[j + 1] and w.score >= p.window_min_z
        ]
        agreement = float(np.mean([w.agrees for w in inside])) if inside else 1.0
        conf = segment_confidence(ev.z, ev.peak_ratio, seg.n_matches, agreement if len(inside) >= 2 else None, p)
        intercept = seg.theta_s - fit.slope * fit.a_mid
        infos.append(
            SegmentInfo(
                j, edges[j], edges[j + 1], intercept, seg.n_matches, ev.z, ev.prominence, agreement, conf, ev.peak_ratio
            )
        )
    return infos


def xcorr_segment(xc: XcorrCurve, theta: float, duration: float, p: AlignmentParams) -> SegmentInfo:
    """The fallback's one segment.  Chat density alone cannot tell this stream's chat from
    another's (both get busy after speech), so its confidence is capped below any sensible
    pass threshold."""
    conf = float(np.clip((xc.z - p.z_conf_lo) / (p.z_conf_hi - p.z_conf_lo), 0.0, 1.0)) * p.xcorr_max_confidence
    return SegmentInfo(0, 0.0, duration, theta, 0.0, xc.z, 0.0, 1.0, conf)


@dataclass(frozen=True)
class SegmentEvidence:
    z: float
    prominence: float
    peak_ratio: float


def segment_evidence(
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
) -> SegmentEvidence:
    """Significance of segment j's offset, two ways.

    * ``z``: the pair score against the reversed-transcript null (searched over the same
      global window as the main peak) — calibrated against unstructured coincidences;
    * ``peak_ratio``: the score at the offset over the best score anywhere else in that window
      (more than ``ratio_exclusion_s`` beyond the peak's own extent away: chat whose
      reaction delays spread wider than the lag prior makes a wider peak, and its flanks are
      the same echoes, not rival offsets).  Other offsets of the same data keep all of its
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
    elsewhere = np.abs(np.arange(n_g) - jt) * h > params.ratio_exclusion_s + _peak_half_width_s(sc, jt, h, params)
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
    return SegmentEvidence(null.z, prom, float(ratio))


def segment_confidence(
    z: float, peak_ratio: float, n_matches: float, window_agreement: float | None, p: AlignmentParams
) -> float:
    """Confidence of one segment in [0, 1]: every kind of evidence must agree.

    * pair-score z against the reversed-transcript null (more than unstructured coincidence?),
    * peak ratio against every other offset of the same data (more than a structured
      coincidence, e.g. another stream of the same streamer with the same routine?),
    * enough echo matches at all,
    * sliding windows inside the segment agree with the curve (when there are >= 2; the
      share's ``window_agreement_power``, as one window of sparse chat easily misses).

    The weakest of the first two wins, times the others, so a mismatched export that happens
    to line up a countdown and a "we are live" cannot borrow confidence from its z.
    """
    c_z = float(np.clip((z - p.z_conf_lo) / (p.z_conf_hi - p.z_conf_lo), 0.0, 1.0))
    c_s = float(np.clip((peak_ratio - p.ratio_conf_lo) / (p.ratio_conf_hi - p.ratio_conf_lo), 0.0, 1.0))
    c_n = float(np.clip(n_matches / p.min_segment_matches, 0.0, 1.0))
    c_w = 1.0 if window_agreement is None else float(window_agreement) ** p.window_agreement_power
    return min(c_z, c_s) * c_n * c_w


def echo_windows(
    fit: EchoFit, pairs: EchoPairs, ref: int, duration: float, p: AlignmentParams, kernel: ScoreKernel
) -> list[WindowEstimate]:
    """Local offset estimates from echo pairs in sliding audio windows (drift-corrected)."""
    out: list[WindowEstimate] = []
    if pairs.n == 0:
        return out
    h = p.offset_bin_s
    a = pairs.audio_s
    ys = pairs.y - fit.slope * (a - fit.a_mid)
    n_l = int(np.ceil((fit.theta_hi - fit.theta_lo) / h))
    width = min(p.window_s, max(60.0, duration / 3.0))
    step = min(p.window_step_s, width / 2.0)
    starts = np.arange(0.0, max(duration - width, 0.0) + step / 2, step)
    order = np.argsort(a, kind="stable")
    a_sorted = a[order]
    for w0 in starts:
        i0, i1 = np.searchsorted(a_sorted, [w0, w0 + width])
        sel = order[i0:i1]
        if sel.size < 5:
            continue
        sc = offset_scores(ys[sel], pairs.weight[sel], fit.theta_lo, n_l, kernel)
        z, _, _ = robust_z(sc)
        j = int(np.argmax(sc))
        theta_c = fit.theta_lo + j * h
        centre = w0 + width / 2.0
        # agreement with any segment line at this point (a window may straddle a cut)
        agrees = any(abs(theta_c - (seg.theta_s)) <= p.agree_tol_s for seg in fit.segments)
        theta_at_centre = theta_c + fit.slope * (centre - fit.a_mid)
        chat_ms = int(round(ref + 1000.0 * (centre + theta_at_centre)))
        n_near = int(np.sum(np.abs(ys[sel] - theta_c - kernel.lag.median_s) < 3.0))
        out.append(
            WindowEstimate("echo", float(centre), chat_ms, float(-theta_at_centre), float(z[j]), n_near, bool(agrees))
        )
    return out


def xcorr_windows(
    usable_s: np.ndarray, act: np.ndarray, knots: list[Knot], ref: int, duration: float, p: AlignmentParams
) -> list[WindowEstimate]:
    """Chat-density x activity in 10-minute audio windows, near the curve (second opinion)."""
    out: list[WindowEstimate] = []
    width = min(600.0, max(120.0, duration / 2.0))
    bin_s = p.xcorr_bin_s
    for w0 in np.arange(0.0, max(duration - width, 0.0) + width / 4, width / 2):
        i0, i1 = int(w0 / bin_s), int(min(duration, w0 + width) / bin_s)
        seg = np.zeros_like(act)
        seg[i0:i1] = act[i0:i1]
        centre = w0 + width / 2.0
        # curve's theta at the window centre: chat time whose audio is the centre
        chat_ms = inverse_map(knots, centre)
        theta_curve = (chat_ms - ref) / 1000.0 - centre
        xc = xcorr_offsets(usable_s, seg, bin_s, theta_curve - 60.0, theta_curve + 60.0, p.xcorr_smooth_s, p.lag)
        agrees = abs(xc.best_theta_s - theta_curve) <= 3 * p.agree_tol_s
        out.append(
            WindowEstimate(
                "xcorr",
                float(centre),
                int(round(ref + 1000.0 * (centre + xc.best_theta_s))),
                float(-xc.best_theta_s),
                xc.z,
                0,
                bool(agrees),
            )
        )
    return out


def overall_confidence(infos: list[SegmentInfo], knots: list[Knot], usable_s: np.ndarray, ref: int) -> float:
    """Segment confidences weighted by the share of chat each segment maps."""
    if not infos:
        return 0.0
    if usable_s.size == 0:
        return float(min(i.confidence for i in infos))
    shares = segment_chat_shares(infos, knots, usable_s, ref)
    return float(np.sum(np.array([i.confidence for i in infos]) * shares))


def segment_chat_shares(infos: list[SegmentInfo], knots: list[Knot], usable_s: np.ndarray, ref: int) -> np.ndarray:
    """Share of the usable chat each segment maps: from its first knot to the next segment's."""
    if len(infos) == 1:
        return np.ones(1)
    starts = []
    for j in range(len(infos)):
        ks = [k for k in knots if k.segment == j]
        starts.append((ks[0].chat_utc_ms - ref) / 1000.0)
    seg = np.searchsorted(np.array(starts[1:]), usable_s, side="right")
    counts = np.bincount(seg, minlength=len(infos)).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


def _peak_half_width_s(scores: np.ndarray, j: int, bin_s: float, params: AlignmentParams) -> float:
    """How far the peak at ``j`` extends (either side): bins still above ``peak_floor`` of its height.

    Measured on the score curve itself, so it follows the echo delays' real spread rather than
    the lag prior's.
    """
    base = float(np.median(scores))
    height = float(scores[j]) - base
    if height <= 0:
        return 0.0
    above = scores - base >= params.peak_floor * height
    lo = j
    while lo > 0 and above[lo - 1]:
        lo -= 1
    hi = j
    while hi < scores.size - 1 and above[hi + 1]:
        hi += 1
    return max(j - lo, hi - j) * bin_s


def sentence_copy_share(fit: EchoFit, pairs: EchoPairs, copies: np.ndarray, kernel: ScoreKernel) -> float:
    """Share of the fit's echo evidence (kernel-weighted) that comes from messages restating a
    whole sentence (:func:`~dougchat_assets.align.readaloud.sentence_copies`).

    Those may be read-aloud messages, whose speech *follows* them: a curve resting mostly on
    them may have the direction of time wrong (off by the lag plus the read delay), which
    nothing else in the echoes can reveal.
    """
    if pairs.n == 0:
        return 0.0
    edges = np.array([seg.audio_end_s for seg in fit.segments[:-1]], dtype=np.float64)
    thetas = np.array([seg.theta_s for seg in fit.segments])
    a = pairs.audio_s
    d = pairs.y - thetas[np.searchsorted(edges, a, side="right")] - fit.slope * (a - fit.a_mid)
    score = pairs.weight * kernel.continuous(d)
    total = float(score.sum())
    return float(score[copies[pairs.msg]].sum() / total) if total > 0 else 0.0


def copy_factor(copy_share: float, params: AlignmentParams) -> float:
    """Confidence multiplier: 1 up to ``max_copy_share`` of the evidence from sentence copies,
    falling to 0 when all of it is."""
    lo = params.max_copy_share
    return float(np.clip((1.0 - copy_share) / (1.0 - lo), 0.0, 1.0))
