"""What ``offset_curve`` runs for one VOD: estimate, apply the reviewer's override, check.

Pure logic beside the stages (no DuckDB, no Dagster): :mod:`.warehouse` reads the inputs
and writes the outcome, :mod:`.estimate` runs the stages, :mod:`.override` reads the file.

An override is a person's answer, so it must not depend on the estimator working: when the
estimate raises or finds nothing usable (no transcript words, no chat), the override still
yields a curve.  The checks and the recorded method then describe the curve that is used —
the override — with the estimator's own result (or its error) kept for audit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from dougchat_assets.align.checks import AlignmentThresholds, CheckOutcome, evaluate_checks
from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_assets.align.estimate import estimate_alignment
from dougchat_assets.align.inputs import AlignmentInputs
from dougchat_assets.align.override import Override, OverrideBounds, load_override, override_path
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.readaloud import read_delay_under, reads_around
from dougchat_assets.align.result import AlignmentResult, Knot, SegmentInfo, UncertainSpan

METHOD_OVERRIDE = "override"


@dataclass
class AlignmentOutcome:
    """The curve used for a VOD, its checks, and where an override came from (if any)."""

    result: AlignmentResult
    checks: dict[str, CheckOutcome]
    override_file: Path | None

    @property
    def source(self) -> str:
        return "override" if self.override_file is not None else "estimate"


def override_bounds(inputs: AlignmentInputs) -> OverrideBounds:
    """The VOD facts an override is range-checked against (the reviewer reads the same ones)."""
    times = inputs.chat.sent_at_utc_ms
    return OverrideBounds(
        started_at_utc_ms=inputs.meta.started_at_utc_ms,
        audio_duration_s=inputs.meta.audio_duration_s,
        chat_first_ms=int(times.min()) if times.size else None,
        chat_last_ms=int(times.max()) if times.size else None,
    )


def align_vod(
    inputs: AlignmentInputs,
    overrides_dir: str | Path,
    vod_id: str,
    *,
    params: AlignmentParams | None = None,
    thresholds: AlignmentThresholds | None = None,
) -> AlignmentOutcome:
    """Estimate the curve; a reviewer's override file, when present, wins and is recorded as such.

    The override is read (and range-checked against this VOD) before the estimate, so a bad
    file fails at once with the file and field named.  With an override, an estimator
    failure is recorded, not raised.
    """
    path = override_path(overrides_dir, vod_id)
    override = load_override(path, vod_id=vod_id, bounds=override_bounds(inputs)) if path.exists() else None
    if override is None:
        result = estimate_alignment(inputs, params)
        return AlignmentOutcome(result, evaluate_checks(result, inputs.meta.audio_duration_s, thresholds), None)
    try:
        estimate: AlignmentResult | str = estimate_alignment(inputs, params)
    except Exception as exc:  # noqa: BLE001 - the reviewer's curve does not need the estimate
        estimate = f"{type(exc).__name__}: {exc}"
    result = with_override(estimate, override, inputs)
    result = with_read_delay(result, inputs, params or AlignmentParams())
    return AlignmentOutcome(result, evaluate_checks(result, inputs.meta.audio_duration_s, thresholds), path)


def with_read_delay(result: AlignmentResult, inputs: AlignmentInputs, params: AlignmentParams) -> AlignmentResult:
    """Record, in ``params['override']``, the read delay the reviewer's curve implies
    (``read_delay_s``, None when fewer than ``min_read_alouds`` reads agree) and the reads it
    rests on: the measurement ``[alignment] read_delay_s`` is set from."""
    reads, sent_audio = reads_around(inputs, result.knots, params)
    delay, n = read_delay_under(reads, sent_audio, cluster_s=params.read_cluster_s, min_reads=params.min_read_alouds)
    info = dict(result.params.get("override") or {})
    info.update(read_delay_s=delay, read_alouds=n)
    return replace(result, params={**result.params, "override": info})


def with_override(
    estimate: AlignmentResult | str,
    override: Override,
    inputs: AlignmentInputs,
) -> AlignmentResult:
    """The curve a reviewer saved, described as what it is.

    Confidence is 1.0 (a person checked it), the method is ``"override: <source>"``, the
    reviewer's ``[[flags]]`` become the uncertain spans (kind ``"reviewer_flag"``), and drift
    and offset are those of the override's knots.  Anchors are re-measured against the
    override's curve (so the anchor check judges the curve in use).  ``estimate`` is the
    estimator's result — kept in ``params['estimator']`` for audit — or the text of its error.
    """
    started = inputs.meta.started_at_utc_ms
    duration = float(inputs.meta.audio_duration_s)
    knots = [
        Knot(k.chat_utc_ms, k.audio_s, k.segment, 1.0, METHOD_OVERRIDE) for k in override.to_knots(started, duration)
    ]
    ref = inputs.reference_utc_ms() if isinstance(estimate, str) else estimate.reference_utc_ms
    spans = [
        UncertainSpan("reviewer_flag", f.chat_utc_ms_start, f.chat_utc_ms_end, float("nan")) for f in override.flags
    ]
    offset = float(knots[0].audio_s) - (knots[0].chat_utc_ms - ref) / 1000.0
    drift = _drift_s_per_h(knots)
    segments = _segments(knots, ref, duration)
    if isinstance(estimate, str):
        params: dict = {"estimator": {"error": estimate}}
        base = AlignmentResult(
            knots=knots, anchors=[], window_estimates=[], segments=segments, reference_utc_ms=ref,
            reaction_lag_s=float(AlignmentParams().lag.median_s), lag_spread_s=float("nan"), drift_s_per_h=drift,
            offset_s=offset, confidence=1.0, method="", params=params,
        )
    else:
        params = dict(estimate.params)
        params["estimator"] = {
            "confidence": estimate.confidence,
            "method": estimate.method,
            "knots": estimate.knots_as_rows(),
            "uncertain_spans": [asdict(s) for s in estimate.uncertain_spans],
            "drift_s_per_h": estimate.drift_s_per_h,
            "offset_s": estimate.offset_s,
        }
        anchors = [
            replace(a, residual_s=float(_map(knots, a.chat_utc_ms) - a.audio_s)) for a in estimate.anchors
        ]
        base = replace(estimate, anchors=anchors, segments=segments)
    params["override"] = {"source": override.source, "reviewer": override.reviewer, "saved_at": override.saved_at}
    return replace(
        base,
        knots=knots,
        method=f"{METHOD_OVERRIDE}: {override.source or 'reviewer'}",
        confidence=1.0,
        offset_s=offset,
        drift_s_per_h=drift,
        uncertain_spans=spans,
        ambiguous_share=0.0,
        params=params,
        latency_source=METHOD_OVERRIDE,  # the reviewer's curve carries their split
    )


def _map(knots: list[Knot], chat_utc_ms: int) -> float:
    return float(map_chat_to_audio(knots, chat_utc_ms))


def _drift_s_per_h(knots: list[Knot]) -> float:
    """Audio seconds gained per broadcast hour along the override's sloped (non-flat) stretches."""
    chat = sum((b.chat_utc_ms - a.chat_utc_ms) / 1000.0 for a, b in zip(knots, knots[1:]) if b.audio_s != a.audio_s)
    audio = sum(b.audio_s - a.audio_s for a, b in zip(knots, knots[1:]) if b.audio_s != a.audio_s)
    return (audio / chat - 1.0) * 3600.0 if chat > 0 else 0.0


def _segments(knots: list[Knot], ref: int, duration: float) -> list[SegmentInfo]:
    """One fully trusted segment per stretch of the override (what the plot and checks read)."""
    out: list[SegmentInfo] = []
    for j in sorted({k.segment for k in knots}):
        ks = [k for k in knots if k.segment == j]
        a0, a1 = (ks[0].audio_s, ks[-1].audio_s) if len(ks) > 1 else (0.0, duration)
        intercept = (ks[0].chat_utc_ms - ref) / 1000.0 - ks[0].audio_s
        out.append(SegmentInfo(j, float(a0), float(a1), intercept, 0.0, float("nan"), 0.0, 1.0, 1.0))
    return out
