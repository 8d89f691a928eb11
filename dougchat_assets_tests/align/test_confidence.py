"""Segment confidence: every kind of evidence must agree, and the weakest sets the level."""

from __future__ import annotations

import pytest

from dougchat_assets.align import AlignmentParams
from dougchat_assets.align.confidence import segment_confidence

P = AlignmentParams()
STRONG_Z, STRONG_RATIO, MANY = P.z_conf_hi + 1.0, P.ratio_conf_hi + 1.0, P.min_segment_matches * 2


def test_strong_evidence_everywhere_gives_full_confidence():
    assert segment_confidence(STRONG_Z, STRONG_RATIO, MANY, None, P) == 1.0
    assert segment_confidence(STRONG_Z, STRONG_RATIO, MANY, 1.0, P) == 1.0


def test_a_high_z_cannot_lift_a_flat_peak_ratio_nor_the_reverse():
    """A mismatched export lining up one countdown has a high z but no distinct peak."""
    assert segment_confidence(STRONG_Z * 10, P.ratio_conf_lo, MANY, None, P) == 0.0
    assert segment_confidence(P.z_conf_lo, STRONG_RATIO * 10, MANY, None, P) == 0.0
    mid_z = (P.z_conf_lo + P.z_conf_hi) / 2
    assert segment_confidence(mid_z, STRONG_RATIO, MANY, None, P) == pytest.approx(0.5)


def test_few_matches_scale_confidence_down():
    assert segment_confidence(STRONG_Z, STRONG_RATIO, P.min_segment_matches / 4, None, P) == pytest.approx(0.25)


def test_window_agreement_enters_as_its_power_so_one_stray_window_does_not_halve_it():
    half = segment_confidence(STRONG_Z, STRONG_RATIO, MANY, 0.5, P)
    assert half == pytest.approx(0.5 ** P.window_agreement_power)
    assert 0.5 < half < 1.0
    assert segment_confidence(STRONG_Z, STRONG_RATIO, MANY, 0.0, P) == 0.0  # no window agrees: no confidence
    linear = AlignmentParams(window_agreement_power=1.0)
    assert segment_confidence(STRONG_Z, STRONG_RATIO, MANY, 0.5, linear) == pytest.approx(0.5)
