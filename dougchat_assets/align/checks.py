"""Confidence stage, checks: asset-check evaluators for an alignment: is it sure, consistent and physically plausible?

Each returns ``CheckOutcome(passed, value, threshold, description)``; the Dagster layer
turns them into ``AssetCheckResult`` rows.  All thresholds live in one dataclass so the
asset's metadata can record exactly what was applied.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np

from dougchat_assets.align.result import AlignmentResult


@dataclass(frozen=True)
class AlignmentThresholds:
    min_confidence: float = 0.5
    max_anchor_residual_sigma: float = 3.0  # weighted median |curve(anchor chat) - anchor audio| / anchor sigma
    max_abs_drift_s_per_h: float = 20.0  # real clocks drift a few s/h; more means a bad fit
    min_offset_s: float = -900.0  # audio may start up to 15 min after the metadata start...
    max_offset_over_duration: float = 1.0  # ...and cannot be ahead of it by more than its length
    max_ambiguous_share: float = 0.2  # share of chat whose side of a cut the echoes cannot tell

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CheckOutcome(NamedTuple):
    passed: bool
    value: float | None
    threshold: float | tuple[float, float]
    description: str


def check_confidence(result: AlignmentResult, thresholds: AlignmentThresholds) -> CheckOutcome:
    value = float(result.confidence)
    if result.method.startswith("override"):
        why = f"{result.method}: a reviewer's curve"
    else:
        why = f"weakest segment {min((s.confidence for s in result.segments), default=0.0):.2f}"
        echo = result.params.get("echo") or {}
        copies = echo.get("sentence_copy_share")
        limit = (result.params.get("params") or {}).get("max_copy_share")
        if copies is not None and limit is not None and copies > limit:
            why += (
                f"; {100 * copies:.0f}% of the peak's evidence is whole sentences restated in chat, which"
                " is viewers quoting or the streamer reading chat aloud: listen to one and save an override"
            )
    return CheckOutcome(
        value >= thresholds.min_confidence,
        value,
        thresholds.min_confidence,
        f"alignment confidence {value:.2f} (needs >= {thresholds.min_confidence:.2f}; {why})",
    )


def check_anchor_residual(result: AlignmentResult, thresholds: AlignmentThresholds) -> CheckOutcome:
    """Weighted median of |residual| / sigma over anchors; passes (value None) when no anchor was found.

    Each residual is judged against its own anchor's uncertainty (``Anchor.sigma_s``: its
    kind's timing spread and how sharply its burst locates), so a broad hype burst after a
    countdown is not held to a sharp call-answer's standard.  The median, because a call
    anchor can lock onto a neighbouring burst of the same token; one such miss should not
    fail a VOD whose other anchors agree.
    """
    limit = thresholds.max_anchor_residual_sigma
    if not result.anchors:
        return CheckOutcome(True, None, limit, "no anchor events found (countdown/calls): nothing to check")
    res = np.array([abs(a.residual_s) for a in result.anchors])
    z = np.array([abs(a.residual_s) / max(a.sigma_s, 1e-3) for a in result.anchors])
    w = np.array([max(a.weight, 1e-9) for a in result.anchors])
    order = np.argsort(z, kind="stable")
    cum = np.cumsum(w[order])
    k = order[int(np.searchsorted(cum, cum[-1] / 2.0))]
    value = float(z[k])
    return CheckOutcome(
        value <= limit,
        value,
        limit,
        f"median anchor residual {value:.2f} sigma ({res[k]:.2f} s against {result.anchors[k].sigma_s:.2f} s, "
        f"{result.anchors[k].kind}) over {len(result.anchors)} anchors (max {res.max():.1f} s; allowed {limit:.1f} sigma)",
    )


def check_drift(result: AlignmentResult, thresholds: AlignmentThresholds) -> CheckOutcome:
    value = float(result.drift_s_per_h)
    return CheckOutcome(
        abs(value) <= thresholds.max_abs_drift_s_per_h,
        value,
        thresholds.max_abs_drift_s_per_h,
        f"clock drift {value:+.2f} s/h (plausible within +-{thresholds.max_abs_drift_s_per_h:.0f} s/h)",
    )


def check_offset_range(
    result: AlignmentResult, audio_duration_s: float, thresholds: AlignmentThresholds
) -> CheckOutcome:
    lo = thresholds.min_offset_s
    hi = thresholds.max_offset_over_duration * float(audio_duration_s)
    value = float(result.offset_s)
    return CheckOutcome(
        lo <= value <= hi,
        value,
        (lo, hi),
        f"offset audio_s - chat_s {value:+.1f} s at the first knot (plausible {lo:.0f} .. {hi:.0f} s)",
    )


def check_cut_ambiguity(result: AlignmentResult, thresholds: AlignmentThresholds) -> CheckOutcome:
    """Share of viewer messages in ``cut_position`` spans (they are flagged, not trusted).

    Those messages may sit on the wrong side of a cut; downstream drops them.  When too much
    of the VOD is in that state, the curve is not worth using without a reviewer.
    """
    value = float(result.ambiguous_share)
    n = sum(1 for s in result.uncertain_spans if s.kind == "cut_position")
    return CheckOutcome(
        value <= thresholds.max_ambiguous_share,
        value,
        thresholds.max_ambiguous_share,
        f"{100 * value:.1f}% of chat is near a cut whose position the echoes leave open "
        f"({n} span(s); allowed {100 * thresholds.max_ambiguous_share:.0f}%)",
    )


def evaluate_checks(
    result: AlignmentResult, audio_duration_s: float, thresholds: AlignmentThresholds | None = None
) -> dict[str, CheckOutcome]:
    """All checks by name (stable order)."""
    t = thresholds or AlignmentThresholds()
    return {
        "alignment_confidence": check_confidence(result, t),
        "alignment_anchor_residual": check_anchor_residual(result, t),
        "alignment_drift_plausible": check_drift(result, t),
        "alignment_offset_plausible": check_offset_range(result, audio_duration_s, t),
        "alignment_cut_ambiguity": check_cut_ambiguity(result, t),
    }


def all_passed(outcomes: dict[str, CheckOutcome]) -> bool:
    return all(o.passed for o in outcomes.values())
