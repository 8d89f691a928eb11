"""The offset-curve contract: interpolation, extrapolation, one knot, discontinuity, inverse."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.review.curve import Knot, default_curve, map_audio_to_chat, map_chat_to_audio, normalize_knots

T0 = 1_772_478_000_000


def test_linear_between_knots_and_extrapolated_beyond_both_ends() -> None:
    knots = normalize_knots([Knot(T0 + 10_000, 20.0), Knot(T0, 5.0), Knot(T0 + 20_000, 30.0)])
    got = map_chat_to_audio(knots, [T0 - 2_000, T0, T0 + 5_000, T0 + 15_000, T0 + 20_000, T0 + 24_000])
    # first segment slope 1.5 s/s (also left of the first knot), last 1.0 s/s (also right of the last)
    np.testing.assert_allclose(got, [2.0, 5.0, 12.5, 25.0, 30.0, 34.0])


def test_single_knot_means_slope_one() -> None:
    got = map_chat_to_audio([Knot(T0, 12.5)], [T0 - 500, T0, T0 + 300_000])
    np.testing.assert_allclose(got, [12.0, 12.5, 312.5])
    (only,) = default_curve(T0)
    assert (only.chat_utc_ms, only.audio_s, only.method) == (T0, 0.0, "default")


def test_discontinuity_is_two_knots_one_ms_apart() -> None:
    # 60 s of audio were cut at chat time T0+100 s: after it, chat maps 60 s earlier.
    knots = [Knot(T0, 0.0), Knot(T0 + 100_000, 100.0), Knot(T0 + 100_001, 40.0), Knot(T0 + 200_001, 140.0)]
    got = map_chat_to_audio(knots, [T0 + 99_000, T0 + 100_000, T0 + 100_001, T0 + 150_001])
    np.testing.assert_allclose(got, [99.0, 100.0, 40.0, 90.0])


def test_inverse_round_trips_on_an_increasing_curve() -> None:
    knots = [Knot(T0, 1.5), Knot(T0 + 12_000, 12.9), Knot(T0 + 40_000, 41.46)]
    for audio_s in (-3.0, 0.0, 1.5, 7.25, 12.9, 30.0, 60.0):
        chat = map_audio_to_chat(knots, audio_s)
        # the forward map takes whole ms: rounding moves the audio by at most half a ms times the slope
        assert float(map_chat_to_audio(knots, [round(chat)])[0]) == pytest.approx(audio_s, abs=0.6e-3)
    # on the first segment (slope 11.4 s per 12 s of chat), exactly:
    assert map_audio_to_chat(knots, 7.2) == pytest.approx(T0 + (7.2 - 1.5) / 11.4 * 12_000, abs=1e-3)
    assert map_audio_to_chat([Knot(T0, 2.0)], 3.0) == T0 + 1_000


def test_inverse_of_a_fold_is_the_first_time_the_audio_is_heard() -> None:
    knots = [Knot(T0, 0.0), Knot(T0 + 100_000, 100.0), Knot(T0 + 100_001, 40.0), Knot(T0 + 200_001, 140.0)]
    # audio 50 s is reached twice (before and after the cut): the earlier chat time wins
    assert map_audio_to_chat(knots, 50.0) == pytest.approx(T0 + 50_000)
    assert map_audio_to_chat(knots, 120.0) == pytest.approx(T0 + 180_001)


def test_normalize_sorts_and_keeps_the_last_knot_of_an_instant() -> None:
    knots = normalize_knots([Knot(T0 + 5, 1.0), Knot(T0, 0.0), Knot(T0 + 5, 2.0)])
    assert knots == (Knot(T0, 0.0), Knot(T0 + 5, 2.0))
    with pytest.raises(ValueError):
        map_chat_to_audio([], [T0])
