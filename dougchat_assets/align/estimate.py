"""The alignment estimator: chat UTC time -> audio seconds, with how sure it is.

Pipeline (one function per step, each in its own module):

1. :mod:`.metadata` — first guess and search range from ``started_at``, export offsets and
   audio duration vs chat span;
2. :mod:`.xcorr` — chat density vs speech activity, globally and per window (weak: used as
   fallback and second opinion);
3. :mod:`.echo` + :mod:`.calls` — lexical echo pairs, rarity-weighted;
4. :mod:`.anchors` — countdown and call bursts, to check the curve;
5. :mod:`.fit` / :mod:`.echofit` — robust piecewise-linear fit with cut model selection,
   lag removed by the prior of :mod:`.lag`;
6. confidence per segment and overall (here).

Output knots follow :mod:`.curve`'s contract and map a message to the audio second that was
playing *at the streamer* when it was sent (not what it reacted to).  Where the curve cannot
vouch for that (messages sent during a cut, or near a cut the echoes cannot place exactly)
the result lists ``uncertain_spans``; later stages drop messages inside them.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np

from dougchat_assets.align.anchors import AudioEvent, call_events, countdown_event, find_burst
from dougchat_assets.align.calls import reference_times
from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_assets.align.echo import EchoIndex, EchoPairs, token_messages
from dougchat_assets.align.echofit import EchoFit, fit_echo
from dougchat_assets.align.fit import ScoreKernel, offset_scores, robust_z
from dougchat_assets.align.inputs import AlignmentInputs
from dougchat_assets.align.metadata import FirstGuess, first_guess
from dougchat_assets.align.override import Override
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import AlignmentResult, Anchor, Knot, SegmentInfo, UncertainSpan, WindowEstimate
from dougchat_assets.align.xcorr import activity_for, xcorr_offsets

METHOD_ECHO = "echo"
METHOD_XCORR = "xcorr"
METHOD_METADATA = "metadata"


def estimate_alignment(inputs: AlignmentInputs, params: AlignmentParams | None = None) -> AlignmentResult:
    """Estimate the chat->audio curve of one VOD (pure: same inputs, same result)."""
    p = params or AlignmentParams()
    ref = inputs.reference_utc_ms()
    duration = float(inputs.meta.audio_duration_s)
    chat_s = inputs.chat.timing_s(ref)
    guess = first_guess(inputs, ref, p)
    kernel = ScoreKernel.build(p.lag, p.offset_bin_s, p.echo_contrast)

    index = EchoIndex(
        inputs.words,
        inputs.chat,
        chat_s,
        duration,
        reference_times(inputs.words),
        token_window_s=p.token_window_s,
        min_token_weight=p.min_token_weight,
        burst_gap_s=p.burst_gap_s,
    )
    ok = inputs.words.ok
    fit, pairs = fit_echo(
        index, guess.theta_lo, guess.theta_hi, duration, p, kernel, (inputs.words.start_s[ok], inputs.words.end_s[ok])
    )

    act, act_source = activity_for(inputs, p.xcorr_bin_s)
    usable_s = chat_s[inputs.chat.usable]
    xc = xcorr_offsets(usable_s, act, p.xcorr_bin_s, guess.theta_lo, guess.theta_hi, p.xcorr_smooth_s, p.lag)

    spans: list[UncertainSpan] = []
    if fit is not None and sum(s.n_matches for s in fit.segments) >= p.min_segment_matches:
        knots, seg_infos, windows = _from_echo(fit, pairs, ref, duration, p, kernel)
        spans = _uncertain_spans(fit, ref)
        method = METHOD_ECHO
        description = (
            f"lexical echo ({pairs.n} pairs, {len(fit.segments) - 1} cut(s) by penalised DP, "
            f"drift fitted), lag prior median {p.lag.median_s:.2f} s removed"
        )
    else:
        knots, seg_infos, windows = _from_xcorr(xc, guess, ref, duration, p)
        method = METHOD_XCORR if xc.z > 0 else METHOD_METADATA
        description = "no usable lexical echo: global chat-density x speech cross-correlation (weak)"

    xc_windows = _xcorr_windows(usable_s, act, knots, ref, duration, p)
    windows = windows + xc_windows
    anchors = _anchors(inputs, chat_s, knots, ref, p)
    confidence = _overall_confidence(seg_infos, knots, chat_s[inputs.chat.usable], ref)
    usable_ms = inputs.chat.sent_at_utc_ms[inputs.chat.usable]
    ambiguous = 0.0
    if usable_ms.size and spans:
        inside = np.zeros(usable_ms.size, dtype=bool)
        for span in spans:
            if span.kind == "cut_position":
                inside |= (usable_ms >= span.start_utc_ms) & (usable_ms < span.end_utc_ms)
        ambiguous = float(inside.mean())
    slope = fit.slope if (fit is not None and method == METHOD_ECHO) else 0.0
    k = 1.0 / (1.0 + slope)
    lag_spread = (
        float(np.subtract(*np.quantile(fit.inlier_delay_s, [0.75, 0.25])))
        if fit is not None and fit.inlier_delay_s.size >= 20
        else float("nan")
    )
    first_audio = float(knots[0].audio_s)
    offset_s = first_audio - (knots[0].chat_utc_ms - ref) / 1000.0
    result_params = {
        "params": p.as_dict(),
        "reference": "metadata started_at" if inputs.meta.started_at_utc_ms is not None else "first chat message",
        "first_guess": {
            "theta_s": guess.theta_s,
            "theta_lo_s": guess.theta_lo,
            "theta_hi_s": guess.theta_hi,
            "source": guess.source,
            "export_start_utc_ms": guess.export_start_utc_ms,
            "start_disagreement_s": guess.start_disagreement_s,
        },
        "echo": None
        if fit is None
        else {
            "n_pairs": fit.n_pairs,
            "global_z": fit.global_z,
            "cut_evidence": fit.cut_evidence,
            "n_inliers": int(fit.inlier_delay_s.size),
            "lag_observed_q10_q50_q90_s": [float(x) for x in np.quantile(fit.inlier_delay_s, [0.1, 0.5, 0.9])]
            if fit.inlier_delay_s.size
            else None,
            "lag_prior_iqr_s": p.lag.iqr_s,
        },
        # reported, not used in the confidence: on the demo and simulated VODs chat density
        # follows speech too loosely for its windows to confirm or refute a curve
        "xcorr": {
            "best_offset_s": -xc.best_theta_s,
            "z": xc.z,
            "activity": act_source,
            "window_agreement": float(np.mean([w.agrees for w in xc_windows])) if xc_windows else None,
        },
    }
    echo_ms = np.zeros(0, dtype=np.int64)
    echo_a = np.zeros(0)
    if fit is not None and fit.inlier_chat_s.size:
        step = max(1, int(np.ceil(fit.inlier_chat_s.size / 4000)))
        echo_ms = np.round(ref + 1000.0 * fit.inlier_chat_s[::step]).astype(np.int64)
        echo_a = fit.inlier_audio_s[::step].copy()
    return AlignmentResult(
        knots=knots,
        anchors=anchors,
        window_estimates=windows,
        segments=seg_infos,
        reference_utc_ms=ref,
        reaction_lag_s=p.lag.median_s,
        lag_spread_s=lag_spread,
        drift_s_per_h=(k - 1.0) * 3600.0,
        offset_s=offset_s,
        confidence=confidence,
        method=f"{method}: {description}",
        params=result_params,
        uncertain_spans=spans,
        ambiguous_share=ambiguous,
        echo_chat_utc_ms=echo_ms,
        echo_audio_s=echo_a,
    )


def _from_echo(
    fit: EchoFit,
    pairs: EchoPairs,
    ref: int,
    duration: float,
    p: AlignmentParams,
    kernel: ScoreKernel,
) -> tuple[list[Knot], list[SegmentInfo], list[WindowEstimate]]:
    """Knots and per-segment evidence from the echo fit (segment j: two knots at its audio ends)."""
    s = fit.slope
    segs = fit.segments
    # knots: segment j covers audio [A_j, A_{j+1}]; chat = a + theta_j + s (a - a_mid)
    edges = [0.0] + [seg.audio_end_s for seg in segs[:-1]] + [duration]

    def chat_at(j: int, a: float) -> float:
        return a + segs[j].theta_s + s * (a - fit.a_mid)

    windows = _echo_windows(fit, pairs, ref, duration, p, kernel)
    raw: list[tuple[int, float, int]] = []
    for j in range(len(segs)):
        a0, a1 = edges[j], max(edges[j + 1], edges[j] + 1e-3)
        raw.append((int(round(ref + 1000.0 * chat_at(j, a0))), a0, j))
        raw.append((int(round(ref + 1000.0 * chat_at(j, a1))), a1, j))
    infos: list[SegmentInfo] = []
    for j, seg in enumerate(segs):
        inside = [
            w
            for w in windows
            if w.method == "echo" and edges[j] <= w.audio_center_s < edges[j + 1] and w.score >= p.window_min_z
        ]
        agreement = float(np.mean([w.agrees for w in inside])) if inside else 1.0
        conf = segment_confidence(seg.z, seg.peak_ratio, seg.n_matches, agreement if len(inside) >= 2 else None, p)
        intercept = seg.theta_s - s * fit.a_mid
        infos.append(
            SegmentInfo(
                j,
                edges[j],
                edges[j + 1],
                intercept,
                seg.n_matches,
                seg.z,
                seg.prominence,
                agreement,
                conf,
                seg.peak_ratio,
            )
        )
    knots: list[Knot] = []
    last = None
    for t_ms, a, j in raw:
        if last is not None and t_ms <= last:
            t_ms = last + 1
        knots.append(Knot(t_ms, float(a), j, infos[j].confidence, METHOD_ECHO))
        last = t_ms
    return knots, infos, windows


def _uncertain_spans(fit: EchoFit, ref: int) -> list[UncertainSpan]:
    """Chat-time spans around each cut: the cut itself, and where its position is uncertain.

    With the cut anywhere in ``(lo, hi)`` (audio), a message the left line maps into
    ``[lo, cut)`` or the right line into ``(cut, hi]`` may belong to the other side, and be off
    by up to the cut's length.
    """
    spans: list[UncertainSpan] = []
    segs = fit.segments

    def chat_ms(j: int, a: float) -> int:
        return int(round(ref + 1000.0 * (a + segs[j].theta_s + fit.slope * (a - fit.a_mid))))

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


def segment_confidence(
    z: float, peak_ratio: float, n_matches: float, window_agreement: float | None, p: AlignmentParams
) -> float:
    """Confidence of one segment in [0, 1]: every kind of evidence must agree.

    * pair-score z against the reversed-transcript null (more than unstructured coincidence?),
    * peak ratio against every other offset of the same data (more than a structured
      coincidence, e.g. another stream of the same streamer with the same routine?),
    * enough echo matches at all,
    * sliding windows inside the segment agree with the curve (when there are >= 2).

    The weakest of the first two wins, times the others, so a mismatched export that happens
    to line up a countdown and a "we are live" cannot borrow confidence from its z.
    """
    c_z = float(np.clip((z - p.z_conf_lo) / (p.z_conf_hi - p.z_conf_lo), 0.0, 1.0))
    c_s = float(np.clip((peak_ratio - p.ratio_conf_lo) / (p.ratio_conf_hi - p.ratio_conf_lo), 0.0, 1.0))
    c_n = float(np.clip(n_matches / p.min_segment_matches, 0.0, 1.0))
    c_w = 1.0 if window_agreement is None else float(window_agreement)
    return min(c_z, c_s) * c_n * c_w


def _echo_windows(
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


def _xcorr_windows(
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
        chat_ms = _inverse_map(knots, centre)
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


def _inverse_map(knots: list[Knot], audio_s: float) -> int:
    """First chat time whose mapped audio reaches ``audio_s`` (for locating windows/anchors)."""
    xs = np.array([k.chat_utc_ms for k in knots], dtype=np.int64)
    ys = np.array([k.audio_s for k in knots])
    if len(knots) == 1:
        return int(xs[0] + round(1000.0 * (audio_s - ys[0])))
    for i in range(len(knots) - 1):
        if ys[i] <= audio_s <= ys[i + 1] and ys[i + 1] > ys[i]:
            frac = (audio_s - ys[i]) / (ys[i + 1] - ys[i])
            return int(xs[i] + round(frac * (xs[i + 1] - xs[i])))
    if audio_s < ys[0]:
        slope = (ys[1] - ys[0]) / max(1, xs[1] - xs[0])
        return int(xs[0] + round((audio_s - ys[0]) / slope)) if slope > 0 else int(xs[0])
    slope = (ys[-1] - ys[-2]) / max(1, xs[-1] - xs[-2])
    return int(xs[-1] + round((audio_s - ys[-1]) / slope)) if slope > 0 else int(xs[-1])


def _anchors(
    inputs: AlignmentInputs, chat_s: np.ndarray, knots: list[Knot], ref: int, p: AlignmentParams
) -> list[Anchor]:
    events: list[AudioEvent] = []
    cd = countdown_event(inputs)
    if cd is not None:
        events.append(cd)
    events.extend(call_events(inputs))
    if not events:
        return []
    tok_ids, msg_idx = token_messages(inputs.chat)
    vocab = {t: i for i, t in enumerate(inputs.chat.vocab)}
    anchors: list[Anchor] = []
    for ev in events:
        ids = [vocab[t] for t in ev.tokens if t in vocab]
        if not ids:
            continue
        msgs = np.unique(msg_idx[np.isin(tok_ids, ids)])
        if msgs.size < 5:
            continue
        pred_ms = _inverse_map(knots, ev.audio_s)
        burst = find_burst(chat_s[msgs], (pred_ms - ref) / 1000.0, p.lag, search_s=30.0 if ev.kind == "call" else 90.0)
        if burst is None:
            continue
        chat_ms = int(round(ref + 1000.0 * burst.chat_s))
        resid = float(map_chat_to_audio(knots, np.array([chat_ms]))[0] - ev.audio_s)
        anchors.append(Anchor(ev.kind, chat_ms, float(ev.audio_s), float(burst.n_messages), resid))
    return anchors


def _from_xcorr(
    xc, guess: FirstGuess, ref: int, duration: float, p: AlignmentParams
) -> tuple[list[Knot], list[SegmentInfo], list[WindowEstimate]]:
    """One offset, slope 1: what chat density alone supports.  Confidence stays low by design."""
    theta = xc.best_theta_s if xc.z > 0 else guess.theta_s
    # chat density alone cannot tell this stream's chat from another's (both get busy after
    # speech), so its confidence is capped below any sensible pass threshold
    conf = float(np.clip((xc.z - p.z_conf_lo) / (p.z_conf_hi - p.z_conf_lo), 0.0, 1.0)) * p.xcorr_max_confidence
    method = METHOD_XCORR if xc.z > 0 else METHOD_METADATA
    k0 = Knot(int(round(ref + 1000.0 * theta)), 0.0, 0, conf, method)
    k1 = Knot(int(round(ref + 1000.0 * (theta + duration))), duration, 0, conf, method)
    info = SegmentInfo(0, 0.0, duration, theta, 0.0, xc.z, 0.0, 1.0, conf)
    return [k0, k1], [info], []


def _overall_confidence(infos: list[SegmentInfo], knots: list[Knot], usable_s: np.ndarray, ref: int) -> float:
    """Segment confidences weighted by the share of chat each segment maps."""
    if not infos:
        return 0.0
    if len(infos) == 1 or usable_s.size == 0:
        return float(min(i.confidence for i in infos)) if usable_s.size == 0 else float(infos[0].confidence)
    # chat range of each segment: from its first knot to the next segment's first knot
    starts = []
    for j in range(len(infos)):
        ks = [k for k in knots if k.segment == j]
        starts.append((ks[0].chat_utc_ms - ref) / 1000.0)
    bounds = np.array(starts[1:])
    seg = np.searchsorted(bounds, usable_s, side="right")
    counts = np.bincount(seg, minlength=len(infos)).astype(np.float64)
    conf = np.array([i.confidence for i in infos])
    return float(np.sum(conf * counts) / max(counts.sum(), 1.0))


def with_override(result: AlignmentResult, override: Override, started_at_utc_ms: int | None,
                  audio_duration_s: float | None = None) -> AlignmentResult:
    """The same evidence, but the curve a reviewer saved: it wins, and the record says so.

    Confidence becomes 1.0 (a person checked it) and the reviewer's ``[[flags]]`` become the
    uncertain spans (kind ``"reviewer_flag"``); the estimator's own confidence, method, knots
    and spans stay in ``params['estimator']`` so the override can be audited against them.
    ``audio_duration_s`` places a global offset's two knots at the audio's ends.
    """
    knots = [
        Knot(k.chat_utc_ms, k.audio_s, k.segment, 1.0, "override")
        for k in override.to_knots(started_at_utc_ms, audio_duration_s)
    ]
    params = dict(result.params)
    params["estimator"] = {
        "confidence": result.confidence,
        "method": result.method,
        "knots": result.knots_as_rows(),
        "uncertain_spans": [asdict(s) for s in result.uncertain_spans],
    }
    params["override"] = {"source": override.source, "reviewer": override.reviewer, "saved_at": override.saved_at}
    spans = [
        UncertainSpan("reviewer_flag", f.chat_utc_ms_start, f.chat_utc_ms_end, float("nan")) for f in override.flags
    ]
    offset = float(knots[0].audio_s) - (knots[0].chat_utc_ms - result.reference_utc_ms) / 1000.0
    return replace(
        result,
        knots=knots,
        method=f"override: {override.source or 'reviewer'}",
        confidence=1.0,
        offset_s=offset,
        uncertain_spans=spans,
        ambiguous_share=0.0,
        params=params,
    )
