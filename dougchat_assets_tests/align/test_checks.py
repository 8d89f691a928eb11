"""Check evaluators: each can fail, and says what it measured against what."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dougchat_assets.align import AlignmentResult, AlignmentThresholds, Anchor, Knot, evaluate_checks
from dougchat_assets.align.checks import (
    check_anchor_residual,
    check_confidence,
    check_cut_ambiguity,
    check_drift,
    check_offset_range,
)

T0 = 1_772_478_000_000


def _result(**kw) -> AlignmentResult:
    base = AlignmentResult(
        knots=[Knot(T0, 0.0), Knot(T0 + 600_000, 600.0)],
        anchors=[],
        window_estimates=[],
        segments=[],
        reference_utc_ms=T0,
        reaction_lag_s=4.4,
        lag_spread_s=2.0,
        drift_s_per_h=1.0,
        offset_s=-30.0,
        confidence=0.9,
        method="echo: test",
    )
    return replace(base, **kw)


def test_all_pass_on_a_plausible_result():
    out = evaluate_checks(_result(), audio_duration_s=600.0)
    assert list(out) == [
        "alignment_confidence",
        "alignment_anchor_residual",
        "alignment_drift_plausible",
        "alignment_offset_plausible",
        "alignment_cut_ambiguity",
    ]
    assert all(o.passed for o in out.values())
    passed, value, threshold, description = out["alignment_confidence"]
    assert value == 0.9 and threshold == 0.5 and "0.90" in description


def test_each_check_can_fail():
    t = AlignmentThresholds()
    assert not check_confidence(_result(confidence=0.2), t).passed
    assert not check_drift(_result(drift_s_per_h=-25.0), t).passed
    assert not check_offset_range(_result(offset_s=-1200.0), 600.0, t).passed
    assert not check_offset_range(_result(offset_s=700.0), 600.0, t).passed
    bad = [Anchor("call", T0, 10.0, 5.0, 9.0), Anchor("countdown", T0, 20.0, 30.0, -6.0)]
    assert not check_anchor_residual(_result(anchors=bad), t).passed
    assert not check_cut_ambiguity(_result(ambiguous_share=0.3), t).passed
    assert check_cut_ambiguity(_result(ambiguous_share=0.05), t).passed


def test_anchor_residual_is_a_weighted_median():
    anchors = [
        Anchor("call", T0, 1.0, 30.0, 0.4),
        Anchor("call", T0, 2.0, 20.0, -0.8),
        Anchor("call", T0, 3.0, 5.0, 40.0),
    ]
    out = check_anchor_residual(_result(anchors=anchors), AlignmentThresholds())
    assert out.passed and out.value == pytest.approx(0.4)


def test_no_anchors_passes_with_no_value():
    out = check_anchor_residual(_result(), AlignmentThresholds())
    assert out.passed and out.value is None and "no anchor" in out.description
