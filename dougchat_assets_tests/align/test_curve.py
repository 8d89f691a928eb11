"""The knot contract every later stage relies on (align/curve.py)."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.align import Knot, flat_spans, in_flat_span, map_chat_to_audio

T0 = 1_772_478_000_000


def test_inside_is_linear_interpolation():
    knots = [Knot(T0, 0.0), Knot(T0 + 100_000, 100.0), Knot(T0 + 200_000, 150.0)]
    out = map_chat_to_audio(knots, np.array([T0 + 50_000, T0 + 150_000]))
    assert out == pytest.approx([50.0, 125.0])


def test_extrapolates_with_end_slopes():
    knots = [Knot(T0, 10.0), Knot(T0 + 100_000, 110.0), Knot(T0 + 200_000, 160.0)]
    before, after = map_chat_to_audio(knots, np.array([T0 - 30_000, T0 + 260_000]))
    assert before == pytest.approx(-20.0)  # slope 1 of the first pair
    assert after == pytest.approx(190.0)  # slope 0.5 of the last pair


def test_discontinuity_is_two_knots_one_ms_apart():
    knots = [Knot(T0, 0.0), Knot(T0 + 100_000, 100.0), Knot(T0 + 100_001, 40.0), Knot(T0 + 200_001, 140.0)]
    just_before, just_after = map_chat_to_audio(knots, np.array([T0 + 99_999, T0 + 100_002]))
    assert just_before == pytest.approx(99.999)
    assert just_after == pytest.approx(40.001)


def test_cut_is_a_flat_stretch():
    # audio stops at 100 s while 30 s of broadcast are missing, then resumes
    knots = [Knot(T0, 0.0), Knot(T0 + 100_000, 100.0), Knot(T0 + 130_000, 100.0), Knot(T0 + 230_000, 200.0)]
    inside = map_chat_to_audio(knots, np.array([T0 + 110_000, T0 + 129_000]))
    assert inside == pytest.approx([100.0, 100.0])
    assert map_chat_to_audio(knots, T0 + 140_000) == pytest.approx(110.0)
    assert flat_spans(knots) == [(T0 + 100_000, T0 + 130_000, 100.0)]
    mask = in_flat_span(knots, np.array([T0 + 100_000, T0 + 115_000, T0 + 130_000]))
    assert mask.tolist() == [False, True, False]


def test_accepts_truth_dicts_and_tuples_and_scalars():
    as_dicts = [{"chat_utc_ms": T0, "audio_s": 0.0}, {"chat_utc_ms": T0 + 1000, "audio_s": 1.0}]
    as_tuples = [(T0, 0.0), (T0 + 1000, 1.0)]
    assert float(map_chat_to_audio(as_dicts, T0 + 500)) == pytest.approx(0.5)
    assert map_chat_to_audio(as_tuples, np.array([T0 + 500])).tolist() == pytest.approx([0.5])
    assert np.ndim(map_chat_to_audio(as_dicts, T0 + 500)) == 0


def test_single_knot_is_a_pure_offset():
    assert map_chat_to_audio([Knot(T0, 5.0)], np.array([T0 + 2500])) == pytest.approx([7.5])


def test_rejects_unsorted_or_empty_knots():
    with pytest.raises(ValueError, match="strictly increasing"):
        map_chat_to_audio([Knot(T0, 0.0), Knot(T0, 1.0)], np.array([T0]))
    with pytest.raises(ValueError, match="at least one knot"):
        map_chat_to_audio([], np.array([T0]))


def test_millisecond_precision_survives_epoch_scale():
    knots = [Knot(T0, 0.0), Knot(T0 + 3_600_000, 3600.0)]
    assert map_chat_to_audio(knots, np.array([T0 + 1])) == pytest.approx([0.001], abs=1e-9)
