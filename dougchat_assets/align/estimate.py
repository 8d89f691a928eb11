"""The alignment estimator: chat UTC time -> audio seconds, with how sure it is.

The stages run in one direction; each lives in its own modules, and this driver only calls
them in order.  To change the algorithm, change the stage:

1. **evidence** — :mod:`.metadata` (first guess and search range from ``started_at``, export
   offsets, audio duration vs chat span); :mod:`.echo` + :mod:`.calls` (lexical echo pairs,
   rarity-weighted); :mod:`.xcorr` (chat density vs speech activity: fallback and second
   opinion); :mod:`.anchors` (countdown and call bursts); :mod:`.readaloud` (chat messages
   the streamer reads aloud: they measure the reaction lag the echoes cannot);
2. **curve fit** — :mod:`.curvefit` (offset, drift via :mod:`.drift`, cuts via :mod:`.cuts`,
   all maximising :mod:`.score`'s echo score with the lag removed by :mod:`.lag`'s prior);
3. **confidence and checks** — :mod:`.confidence` (per segment and overall, with the null
   of :mod:`.significance`), then :mod:`.checks` on the result.

Beside them: :mod:`.pipeline` (estimate + the reviewer's override + checks, what the asset
runs), :mod:`.override` (the one override file module), :mod:`.warehouse` (DuckDB reads
and writes only) and :mod:`.plot`.

Output knots follow :mod:`.curve`'s contract and map a message to the audio second that was
playing *at the streamer* when it was sent (not what it reacted to).  Where the curve cannot
vouch for that (messages sent during a cut, or near a cut the echoes cannot place exactly)
the result lists ``uncertain_spans``; later stages drop messages inside them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dougchat_assets.align.anchors import anchor_residuals
from dougchat_assets.align.calls import reference_times
from dougchat_assets.align.confidence import (
    echo_evidence,
    echo_segments,
    copy_factor,
    echo_windows,
    overall_confidence,
    sentence_copy_share,
    xcorr_segment,
    xcorr_windows,
)
from dougchat_assets.align.curvefit import (
    METHOD_ECHO,
    EchoFit,
    METHOD_METADATA,
    METHOD_XCORR,
    echo_knots,
    fit_echo,
    theta_at,
    uncertain_spans,
    unsupported_spans,
    xcorr_curve,
    xcorr_theta,
)
from dougchat_assets.align.echo import EchoIndex, EchoPairs
from dougchat_assets.align.inputs import AlignmentInputs, ChatMessages
from dougchat_assets.align.metadata import first_guess
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.readaloud import LatencyEstimate, measure_latency, reads_around, sentence_copies
from dougchat_assets.align.result import AlignmentResult, Knot, SegmentInfo, UncertainSpan, WindowEstimate
from dougchat_assets.align.score import ScoreKernel
from dougchat_assets.align.xcorr import activity_for, xcorr_offsets

__all__ = ["METHOD_ECHO", "METHOD_METADATA", "METHOD_XCORR", "estimate_alignment"]


def estimate_alignment(inputs: AlignmentInputs, params: AlignmentParams | None = None) -> AlignmentResult:
    """Estimate the chat->audio curve of one VOD (pure: same inputs, same result)."""
    p = params or AlignmentParams()
    ref = inputs.reference_utc_ms()
    duration = float(inputs.meta.audio_duration_s)
    chat_s = inputs.chat.timing_s(ref)
    guess = first_guess(inputs, ref, p)
    kernel = ScoreKernel.build(p.lag, p.offset_bin_s, p.echo_contrast)

    copies = sentence_copies(inputs.words, inputs.chat, min_tokens=p.read_min_tokens, min_share=p.read_min_share)
    ok = inputs.words.ok
    word_times = (inputs.words.start_s[ok], inputs.words.end_s[ok])

    def echo_candidate(chat: ChatMessages, theta_lo: float, theta_hi: float) -> _EchoCandidate | None:
        index = EchoIndex(
            inputs.words,
            chat,
            chat_s,
            duration,
            reference_times(inputs.words),
            token_window_s=p.token_window_s,
            min_token_weight=p.min_token_weight,
            burst_gap_s=p.burst_gap_s,
        )
        fit, pairs = fit_echo(index, theta_lo, theta_hi, duration, p, kernel, word_times)
        if fit is None or sum(s.n_matches for s in fit.segments) < p.min_segment_matches:
            return None
        windows = echo_windows(fit, pairs, ref, duration, p, kernel)
        infos = echo_segments(fit, echo_evidence(fit, index, pairs, kernel, p), windows, duration, p)
        return _EchoCandidate(fit, pairs, windows, infos)

    act, act_source = activity_for(inputs, p.xcorr_bin_s)
    usable_s = chat_s[inputs.chat.usable]
    xc = xcorr_offsets(usable_s, act, p.xcorr_bin_s, guess.theta_lo, guess.theta_hi, p.xcorr_smooth_s, p.lag)

    spans: list[UncertainSpan] = []
    copy_share: float | None = None
    echo = echo_candidate(inputs.chat, guess.theta_lo, guess.theta_hi)
    later: dict | None = None
    if echo is not None:
        all_pairs = echo.pairs
        copy_share = sentence_copy_share(echo.fit, all_pairs, copies, kernel)
        echo = echo.discounted(copy_factor(copy_share, p), usable_s, ref, duration)
        if copy_share > p.max_copy_share:
            # the peak rests on sentence copies: it may be the streamer reading chat (speech
            # after the message), in which case the viewers' echoes sit later by lag + read delay
            lo, hi = echo.fit.theta_peak + p.copy_lead_s[0], echo.fit.theta_peak + p.copy_lead_s[1]
            alt = echo_candidate(inputs.chat.without(copies), lo, hi)
            if alt is not None:
                alt_share = sentence_copy_share(alt.fit, all_pairs, copies, kernel)
                alt = alt.discounted(copy_factor(alt_share, p), usable_s, ref, duration)
                later = {"theta_peak_s": alt.fit.theta_peak, "confidence": alt.confidence, "copy_share": alt_share,
                         "chosen": alt.confidence > echo.confidence}
                if alt.confidence > echo.confidence:
                    echo, copy_share = alt, alt_share
    if echo is not None:
        fit, pairs, windows, seg_infos = echo.fit, echo.pairs, echo.windows, echo.infos
        seg_conf = [i.confidence for i in seg_infos]
        prior_knots = echo_knots(fit, ref, duration, seg_conf)
        latency = _latency(inputs, fit, prior_knots, p)
        knots = echo_knots(fit, ref, duration, seg_conf, latency.shift_s)
        spans = uncertain_spans(fit, ref, latency.shift_s) + unsupported_spans(fit, ref, duration, p, latency.shift_s)
        method = METHOD_ECHO
        description = (
            f"lexical echo ({pairs.n} pairs, {len(fit.segments) - 1} cut(s) by penalised DP, "
            f"drift fitted), lag {latency.lag_s:.2f} s removed ("
            + ("prior median" if latency.source == "prior" else f"measured from {latency.n_reads} read-alouds")
            + ")"
        )
    else:
        fit = None
        theta = xcorr_theta(xc, guess)
        method = METHOD_XCORR if xc.z > 0 else METHOD_METADATA
        seg_infos = [xcorr_segment(xc, theta, duration, p)]
        knots = xcorr_curve(theta, method, ref, duration, seg_infos[0].confidence)
        windows = []
        prior_knots = knots
        latency = LatencyEstimate("prior", p.lag.median_s, 0.0, float("inf"), 0, 0.0)
        description = "no usable lexical echo: global chat-density x speech cross-correlation (weak)"

    xc_windows = xcorr_windows(usable_s, act, knots, ref, duration, p)
    windows = windows + xc_windows
    # anchors are located with the prior lag, like the prior-split curve; moved with the split
    shift_ms = int(round(1000.0 * latency.shift_s))
    anchors = [
        replace(a, chat_utc_ms=a.chat_utc_ms - shift_ms) for a in anchor_residuals(inputs, chat_s, prior_knots, ref, p)
    ]
    confidence = overall_confidence(seg_infos, knots, chat_s[inputs.chat.usable], ref)
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
            "sentence_copy_share": copy_share,
            "echoes_after_copies": later,
        },
        "latency": latency.as_dict(),
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
        reaction_lag_s=latency.lag_s,
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
        latency_source=latency.source,
        latency_lo_s=latency.lo_s,
        latency_hi_s=latency.hi_s,
        n_read_alouds=latency.n_reads,
    )


@dataclass(frozen=True)
class _EchoCandidate:
    """One echo fit with its evidence: the pairs, window estimates and segment confidences."""

    fit: EchoFit
    pairs: EchoPairs
    windows: list[WindowEstimate]
    infos: list[SegmentInfo]
    confidence: float = 0.0  # overall, after :meth:`discounted`

    def discounted(self, factor: float, usable_s: np.ndarray, ref: int, duration: float) -> _EchoCandidate:
        """Segment confidences times ``factor`` (the sentence-copy factor), and the overall one."""
        infos = [replace(i, confidence=i.confidence * factor) for i in self.infos]
        knots = echo_knots(self.fit, ref, duration, [i.confidence for i in infos])
        return replace(self, infos=infos, confidence=overall_confidence(infos, knots, usable_s, ref))


def _latency(inputs: AlignmentInputs, fit: EchoFit, prior_knots: list[Knot], p: AlignmentParams) -> LatencyEstimate:
    """Read-alouds found around the prior-split curve, and the lag split they measure."""
    reads, _ = reads_around(inputs, prior_knots, p)
    return measure_latency(
        reads,
        theta_at(fit, reads.audio_s),
        fit.inlier_delay_s,
        p.lag.median_s,
        read_delay_s=p.read_delay_s,
        min_reads=p.min_read_alouds,
        cluster_s=p.read_cluster_s,
    )
