"""Error statistics against true knots, with messages inside a true cut kept apart."""

from __future__ import annotations

import numpy as np
import pytest

from dougchat_assets.align import Knot, alignment_errors

T0 = 1_772_478_000_000
TRUE = [Knot(T0, 0.0), Knot(T0 + 100_000, 100.0), Knot(T0 + 130_000, 100.0), Knot(T0 + 230_000, 200.0)]


def test_perfect_curve_has_zero_error():
    t = T0 + np.arange(0, 230_000, 1000)
    stats = alignment_errors(TRUE, TRUE, t)
    assert stats.max_s == 0.0
    assert stats.n_in_cut == 29  # 101 s .. 129 s


def test_constant_offset_and_cut_messages_reported_separately():
    est = [Knot(k.chat_utc_ms, k.audio_s + 2.0) for k in TRUE]
    t = np.array([T0 + 50_000, T0 + 115_000, T0 + 200_000])
    stats = alignment_errors(est, TRUE, t)
    assert stats.n == 2 and stats.median_s == pytest.approx(2.0)
    assert stats.n_in_cut == 1 and stats.in_cut_max_s == pytest.approx(2.0)
    everything = alignment_errors(est, TRUE, t, exclude_in_cut=False)
    assert everything.n == 3


def test_missing_cut_shows_up_as_error():
    no_cut = [Knot(T0, 0.0), Knot(T0 + 230_000, 230.0)]
    stats = alignment_errors(no_cut, TRUE, T0 + np.arange(130_000, 230_000, 1000))
    assert stats.median_s == pytest.approx(30.0)
