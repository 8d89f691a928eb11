"""Anchor events and the bursts that answer them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dougchat_assets.align import AlignmentInputs, ChatMessages, EnergyFrames, LagPrior, VodMeta, WordTimings
from dougchat_assets.align.anchors import countdown_event, find_burst


def _energy_with_countdown(end_s: float) -> EnergyFrames:
    rng = np.random.default_rng(0)
    t = np.arange(0.0, 300.0, 0.1)
    level = np.where(rng.random(t.size) < 0.6, rng.normal(-22.0, 2.0, t.size), rng.normal(-50.0, 2.0, t.size))
    for k in range(10):  # "ten ... one": one loud word per second
        on = (t >= end_s - 10 + k) & (t < end_s - 10 + k + 0.5)
        level[on] = -6.0
    return EnergyFrames.from_arrays(t, level)


def _inputs(words: WordTimings, energy: EnergyFrames) -> AlignmentInputs:
    chat = ChatMessages.from_arrays(np.zeros(0, dtype=np.int64), [], [])
    return AlignmentInputs(words, chat, energy, VodMeta(300.0, 0))


def test_countdown_from_energy_alone():
    ev = countdown_event(_inputs(WordTimings.from_arrays([], [], []), _energy_with_countdown(42.0)))
    assert ev is not None and ev.kind == "countdown"
    assert ev.audio_s == pytest.approx(42.0, abs=1.0)


def test_countdown_from_spoken_numbers_ends_after_lets_go():
    nums = ["ten", "nine", "eight", "seven", "six", "five", "four", "three", "two", "one"]
    starts = [20.0 + i for i in range(10)] + [30.4, 30.7]
    ends = [s + 0.45 for s in starts[:10]] + [30.65, 31.0]
    words = WordTimings.from_arrays(starts, ends, [*nums, "let's", "go!"])
    ev = countdown_event(_inputs(words, EnergyFrames.from_arrays([], [])))
    assert ev is not None and ev.audio_s == pytest.approx(31.0)
    assert "lets" in ev.tokens


def test_burst_is_located_by_the_lag_prior_and_must_stand_out():
    lag = LagPrior()
    rng = np.random.default_rng(1)
    event = 100.0
    reactions = event + np.maximum(rng.normal(2.5, 0.6, 30), 1.0) + np.exp(np.log(1.8) + 0.6 * rng.standard_normal(30))
    background = rng.uniform(0.0, 600.0, 20)
    burst = find_burst(np.sort(np.concatenate([reactions, background])), predicted_s=110.0, lag=lag, search_s=30.0)
    assert burst is not None
    assert burst.chat_s == pytest.approx(event, abs=1.0)
    # two equally strong bursts in the window: ambiguous, no anchor
    twin = np.sort(np.concatenate([reactions, reactions + 20.0, background]))
    assert find_burst(twin, predicted_s=110.0, lag=lag, search_s=30.0) is None


def test_an_anchor_may_lead_the_echoes_by_the_streams_answer_speed_but_not_by_a_wrong_peak():
    """Quick answers ("1", hype) lead slow echoes by a stream-dependent few seconds: a right
    curve missing a sharp call burst by 8 s passes, a curve on the wrong peak (25 s) does not."""
    from dougchat_assets.align import AlignmentParams
    from dougchat_assets.align.anchors import Burst, anchor_sigma

    p = AlignmentParams()
    sharp = Burst(chat_s=100.0, z=12.0, n_messages=30, spread_s=1.0)
    sigma = anchor_sigma("call", sharp, p)
    assert 8.0 / sigma <= 3.0 < 25.0 / sigma
    assert anchor_sigma("call", sharp, replace(p, anchor_lag_sd_s=0.0)) == pytest.approx(np.hypot(1.0, 1.0 / np.sqrt(30)))
