"""Evaluation metrics on hand-made cases with known answers, and ties against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.model.metrics import (
    MemorisationIndex,
    distinct_n,
    emote_only_rate,
    expected_ranks,
    memorisation_rate,
    normalise_reply,
    perplexity,
    ranking_metrics,
    toxicity_rate,
)


def harmonic(n: int) -> float:
    return sum(1.0 / i for i in range(1, n + 1))


def test_perfect_scorer():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(7, 100))
    scores[:, 0] = 10.0
    m = ranking_metrics(scores)
    assert m == {"recall_at_1": 1.0, "recall_at_5": 1.0, "recall_at_10": 1.0, "mean_rank": 1.0, "mrr": 1.0}
    assert np.array_equal(expected_ranks(scores), np.ones(7))


def test_constant_scorer_gets_exactly_the_random_expectation():
    n = 100
    m = ranking_metrics(np.zeros((3, n)), gold=np.array([0, 50, 99]))
    assert m["mrr"] == pytest.approx(harmonic(n) / n, abs=1e-12)
    assert m["recall_at_1"] == pytest.approx(1 / n, abs=1e-12)
    assert m["recall_at_5"] == pytest.approx(5 / n, abs=1e-12)
    assert m["recall_at_10"] == pytest.approx(10 / n, abs=1e-12)
    assert m["mean_rank"] == pytest.approx((n + 1) / 2, abs=1e-12)


def test_gold_always_last():
    n = 20
    scores = np.tile(np.arange(n, dtype=float), (4, 1))  # candidate 0 scores lowest
    m = ranking_metrics(scores, gold=0)
    assert m["mean_rank"] == n
    assert m["mrr"] == pytest.approx(1 / n)
    assert m["recall_at_1"] == m["recall_at_5"] == m["recall_at_10"] == 0.0
    assert np.array_equal(expected_ranks(scores), np.full(4, float(n)))


def test_mixed_case_by_hand():
    # context 0: gold 0.5, one better (0.9), two tied (indices 2 and 4): rank uniform on {2, 3, 4}
    # context 1: gold is index 4, the best: rank 1
    scores = np.array([[0.5, 0.9, 0.5, 0.1, 0.5], [1, 2, 3, 4, 5]], dtype=float)
    gold = np.array([0, 4])
    assert expected_ranks(scores, gold).tolist() == [3.0, 1.0]
    m = ranking_metrics(scores, gold, ks=(1, 2, 3, 5))
    assert m["recall_at_1"] == pytest.approx((0 + 1) / 2)
    assert m["recall_at_2"] == pytest.approx((1 / 3 + 1) / 2)
    assert m["recall_at_3"] == pytest.approx((2 / 3 + 1) / 2)
    assert m["recall_at_5"] == pytest.approx(1.0)
    assert m["mean_rank"] == pytest.approx(2.0)
    assert m["mrr"] == pytest.approx(((1 / 2 + 1 / 3 + 1 / 4) / 3 + 1) / 2)


def test_ties_match_brute_force_over_every_tie_breaking_order():
    rng = np.random.default_rng(3)
    n = 5
    for _ in range(20):
        scores = rng.integers(0, 3, size=n).astype(float)
        gold = int(rng.integers(0, n))
        ranks = []
        for priority in itertools.permutations(range(n)):
            ahead = sum(
                1 for j in range(n)
                if j != gold and (scores[j] > scores[gold] or (scores[j] == scores[gold] and priority[j] > priority[gold]))
            )
            ranks.append(ahead + 1)
        ranks_arr = np.array(ranks, dtype=float)
        m = ranking_metrics(scores[None, :], gold, ks=(1, 2, 4))
        assert m["mean_rank"] == pytest.approx(ranks_arr.mean())
        assert m["mrr"] == pytest.approx((1 / ranks_arr).mean())
        for k in (1, 2, 4):
            assert m[f"recall_at_{k}"] == pytest.approx((ranks_arr <= k).mean())


def test_ranking_empty_and_bad_input():
    m = ranking_metrics(np.zeros((0, 10)))
    assert set(m) == {"recall_at_1", "recall_at_5", "recall_at_10", "mean_rank", "mrr"}
    assert all(math.isnan(v) for v in m.values())
    assert expected_ranks(np.zeros((0, 10))).shape == (0,)
    with pytest.raises(InputError, match="NaN"):
        ranking_metrics(np.array([[0.0, np.nan]]))
    with pytest.raises(InputError, match="out of range"):
        ranking_metrics(np.zeros((2, 3)), gold=3)
    with pytest.raises(InputError, match="one gold index per context"):
        ranking_metrics(np.zeros((2, 3)), gold=np.array([0, 1, 2]))
    with pytest.raises(InputError, match="2-D"):
        ranking_metrics(np.zeros(3))


def test_minus_infinity_scores_rank_and_tie():
    scores = np.array([[-np.inf, -np.inf, 0.0]])
    assert expected_ranks(scores).tolist() == [2.5]


def test_perplexity():
    assert perplexity(3 * math.log(5.0), 3) == pytest.approx(5.0)
    assert perplexity(0.0, 4) == 1.0
    assert math.isnan(perplexity(0.0, 0))
    assert perplexity(1e6, 1) == math.inf
    with pytest.raises(InputError):
        perplexity(1.0, -1)


def test_distinct_n():
    texts = ["a b a b", "A b c"]
    assert distinct_n(texts, 1) == pytest.approx(3 / 7)
    assert distinct_n(texts, 2) == pytest.approx(3 / 5)  # (a b) x3, (b a), (b c); none across texts
    assert distinct_n(["x y z"], 3) == 1.0
    assert math.isnan(distinct_n(["a", "b"], 2))  # no n-gram spans two texts
    assert math.isnan(distinct_n([], 1))
    with pytest.raises(InputError):
        distinct_n(texts, 0)


def test_emote_only_rate():
    assert emote_only_rate(["KEKW KEKW", "KEKW that was funny", "LUL", "hi"]) == 0.5
    assert math.isnan(emote_only_rate([]))


def test_toxicity_rate_with_the_real_classifier():
    from profanity_check import predict_prob

    texts = ["you are all idiots", "nice play", "gg", "what a clutch"]
    assert toxicity_rate(texts, predict_prob, 0.5) == 0.25
    assert math.isnan(toxicity_rate([], predict_prob, 0.5))
    with pytest.raises(InputError, match="2 scores for 4 texts"):
        toxicity_rate(texts, lambda batch: np.zeros(2), 0.5)


def test_memorisation_exact_and_ngram():
    training = ["Hello chat how are you", "one two three four five six seven eight nine", "gg", ""]
    generations = [
        "hello   CHAT how are you",  # exact after normalisation
        "x one two three four five six seven eight y",  # shares an 8-gram
        "one two three four five six seven x",  # only a 7-gram
        "hello chat",  # a prefix, not a copy
        "",  # empty is never memorised (the empty training reply is ignored)
        "GG",  # exact, short
    ]
    assert memorisation_rate(generations, training) == pytest.approx(3 / 6)
    assert memorisation_rate(generations, training, min_ngram=3) == pytest.approx(4 / 6)
    index = MemorisationIndex(training, min_ngram=8)
    assert [index.is_memorised(g) for g in generations] == [True, True, False, False, False, True]
    # short exact repeats ("GG") are chat vocabulary when min_exact_words asks for a sentence
    assert memorisation_rate(generations, training, min_exact_words=3) == pytest.approx(2 / 6)
    assert math.isnan(memorisation_rate([], training))
    assert memorisation_rate(["anything at all"], []) == 0.0
    assert normalise_reply("  A\tb\n C ") == "a b c"
    with pytest.raises(InputError):
        MemorisationIndex(training, min_ngram=0)


def test_memorisation_index_scales_to_a_large_training_set():
    rng = np.random.default_rng(0)
    vocab = np.array([f"w{i}" for i in range(2000)])
    replies = [" ".join(vocab[rng.integers(0, 2000, size=int(rng.integers(1, 20)))]) for _ in range(100_000)]
    index = MemorisationIndex(replies, min_ngram=8)
    long_reply = next(r for r in replies if len(r.split()) >= 12)
    words = long_reply.split()
    assert index.is_memorised("novel prefix " + " ".join(words[2:10]) + " novel suffix")
    assert not index.is_memorised("completely new words that nobody typed before in chat")
