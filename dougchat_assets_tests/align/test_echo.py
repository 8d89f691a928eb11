"""Echo pairs: rare words weigh more, bursts count once-ish, split emote names still match."""

from __future__ import annotations

import numpy as np

from dougchat_assets.align import ChatMessages, WordTimings
from dougchat_assets.align.calls import reference_times
from dougchat_assets.align.echo import EchoIndex

T0 = 1_772_478_000_000


def _index(words: WordTimings, times_s: list[float], bodies: list[str]) -> EchoIndex:
    chat = ChatMessages.from_arrays(
        T0 + np.round(np.array(times_s) * 1000).astype(np.int64), bodies, ["u"] * len(bodies)
    )
    return EchoIndex(
        words,
        chat,
        chat.timing_s(T0),
        600.0,
        reference_times(words),
        token_window_s=5.0,
        min_token_weight=0.0,
        burst_gap_s=20.0,
    )


def test_rare_tokens_weigh_more_than_common_ones():
    words = WordTimings.from_arrays([10.0, 20.0], [10.5, 20.5], ["Parkzer", "lol"])
    times = [15.0] + list(np.arange(0.0, 600.0, 3.0))
    bodies = ["parkzer"] + ["lol"] * (len(times) - 1)
    idx = _index(words, times, bodies)
    assert idx.token_weight["parkzer"] > 5 * idx.token_weight["lol"]


def test_a_burst_weighs_like_a_few_messages_not_twenty():
    words = WordTimings.from_arrays([10.0], [10.5], ["one"])
    times = [14.0 + 0.2 * i for i in range(16)] + [300.0]
    idx = _index(words, times, ["1"] * 17)
    pairs = idx.pairs(-10.0, 400.0, max_pairs_per_token=10_000, pair_budget=10_000)
    in_burst = pairs.weight[pairs.chat_s < 100]
    alone = pairs.weight[pairs.chat_s > 100]
    assert np.allclose(in_burst, alone / 4.0)  # 1/sqrt(16)
    assert np.isclose(in_burst.sum(), 4 * alone.sum())


def test_emote_split_by_asr_still_matches_chat():
    words = WordTimings.from_arrays([10.0, 10.4], [10.35, 10.8], ["cat", "jam."])
    idx = _index(words, [14.0], ["catJAM catJAM"])
    pairs = idx.pairs(-10.0, 60.0, max_pairs_per_token=100, pair_budget=100)
    assert pairs.n == 1 and np.isclose(pairs.y[0], 14.0 - 10.8)
