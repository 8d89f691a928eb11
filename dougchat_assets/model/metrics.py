"""Evaluation metrics for generated and ranked chat replies (pure numpy, no torch).

Ranking follows the LiveBot protocol: for each held-out context the gold reply is ranked
among other candidates by model score.  Ties are common (a constant or degenerate scorer
ties everything), and breaking them by array order would let a broken model look perfect
whenever the gold sits at index 0.  So every ranking metric here is the *expectation* over
uniformly random tie-breaking, computed in closed form: a constant scorer gets exactly the
random-guess numbers (recall@k = k/N, MRR = H_N/N, mean rank = (N+1)/2).

Empty input: every metric whose denominator would be zero (no contexts, no texts, no
n-grams, no tokens) returns ``nan`` rather than a number that looks like a result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from dougchat_assets.errors import InputError

NAN = float("nan")


# ---------------------------------------------------------------------------------------------
# ranking


def _gold_indices(gold: int | np.ndarray, n_contexts: int, n_candidates: int) -> np.ndarray:
    gold_arr = np.asarray(gold)
    if gold_arr.ndim == 0:
        gold_arr = np.full(n_contexts, int(gold_arr))
    if gold_arr.shape != (n_contexts,):
        raise InputError("gold", f"expected one gold index per context ({n_contexts}), got shape {gold_arr.shape}")
    if not np.issubdtype(gold_arr.dtype, np.integer):
        raise InputError("gold", "gold indices must be integers")
    if n_contexts and (gold_arr.min() < 0 or gold_arr.max() >= n_candidates):
        raise InputError("gold", f"gold index out of range for {n_candidates} candidates")
    return gold_arr.astype(np.int64)


def _greater_and_tied(scores: np.ndarray, gold: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per context: how many candidates score strictly above the gold, and how many tie it (gold excluded)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise InputError("scores", f"expected a 2-D array [n_contexts, n_candidates], got {scores.ndim}-D")
    n_contexts, n_candidates = scores.shape
    if n_contexts and n_candidates == 0:
        raise InputError("scores", "every context needs at least one candidate (the gold)")
    if np.isnan(scores).any():
        raise InputError("scores", "scores contain NaN: a NaN cannot be ranked")
    gold_idx = _gold_indices(gold, n_contexts, n_candidates)
    gold_scores = scores[np.arange(n_contexts), gold_idx][:, None]
    greater = (scores > gold_scores).sum(axis=1)
    tied = (scores == gold_scores).sum(axis=1) - 1
    return greater, tied


def expected_ranks(scores: np.ndarray, gold: int | np.ndarray = 0) -> np.ndarray:
    """Expected 1-based rank of the gold candidate per context, higher score = better.

    With ``g`` candidates strictly better and ``t`` others tied with the gold, random
    tie-breaking puts the gold uniformly on ranks ``g+1 .. g+t+1``: expectation ``g + 1 + t/2``.
    """
    greater, tied = _greater_and_tied(scores, gold)
    return greater + 1.0 + tied / 2.0


def _harmonic(n_max: int) -> np.ndarray:
    """H[0..n_max], H[0] = 0."""
    out = np.zeros(n_max + 1)
    if n_max:
        out[1:] = np.cumsum(1.0 / np.arange(1, n_max + 1))
    return out


def ranking_metrics(
    scores: np.ndarray, gold: int | np.ndarray = 0, ks: Sequence[int] = (1, 5, 10)
) -> dict[str, float]:
    """recall_at_<k> for each k, mean_rank and mrr, averaged over contexts, ties in expectation.

    recall@k is the probability that the gold lands in the top k under random tie-breaking,
    ``clip((k - g) / (t + 1), 0, 1)``; the reciprocal rank's expectation is
    ``(H[g+t+1] - H[g]) / (t + 1)``.  A k at or above the number of candidates gives 1.
    No contexts: every value is nan.
    """
    if any(int(k) < 1 for k in ks):
        raise InputError("ks", "every k must be at least 1")
    greater, tied = _greater_and_tied(scores, gold)
    keys = [f"recall_at_{int(k)}" for k in ks]
    if greater.size == 0:
        return {**{key: NAN for key in keys}, "mean_rank": NAN, "mrr": NAN}
    span = tied + 1.0
    result: dict[str, float] = {}
    for key, k in zip(keys, ks):
        result[key] = float(np.clip((int(k) - greater) / span, 0.0, 1.0).mean())
    result["mean_rank"] = float((greater + 1.0 + tied / 2.0).mean())
    harmonic = _harmonic(int((greater + tied).max()) + 1)
    result["mrr"] = float(((harmonic[greater + tied + 1] - harmonic[greater]) / span).mean())
    return result


# ---------------------------------------------------------------------------------------------
# likelihood


def perplexity(sum_nll: float, n_tokens: int) -> float:
    """exp(mean negative log-likelihood per token); nan for zero tokens, inf on overflow."""
    if n_tokens < 0:
        raise InputError("n_tokens", "token count cannot be negative")
    if n_tokens == 0:
        return NAN
    mean = sum_nll / n_tokens
    try:
        return math.exp(mean)
    except OverflowError:
        return math.inf


# ---------------------------------------------------------------------------------------------
# generated text


def _words(text: str) -> list[str]:
    return text.lower().split()


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct word n-grams / all word n-grams over every text (lowercased, whitespace tokens).

    n-grams never span two texts.  No n-grams at all (no texts, or all shorter than n): nan.
    """
    if n < 1:
        raise InputError("n", "n must be at least 1")
    seen: set[tuple[str, ...]] = set()
    total = 0
    for text in texts:
        words = _words(text)
        grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else NAN


def emote_only_rate(texts: Sequence[str], matcher=None) -> float:
    """Share of texts made only of emotes (the chat parsers' own rule); nan for no texts.

    A model that collapses to "KEKW KEKW" scores well on likelihood and badly here.
    """
    if matcher is None:
        from dougchat_assets.chat.emotes import EmoteMatcher

        matcher = EmoteMatcher()
    if not texts:
        return NAN
    return sum(1 for text in texts if matcher.match(text)[1]) / len(texts)


def toxicity_rate(texts: Sequence[str], score: Callable[[list[str]], np.ndarray], threshold: float) -> float:
    """Share of texts whose toxicity score is at or above ``threshold``; nan for no texts.

    ``score`` is e.g. ``profanity_check.predict_prob``; it is called once on the whole list.
    """
    texts = list(texts)
    if not texts:
        return NAN
    probs = np.asarray(score(texts), dtype=np.float64).reshape(-1)
    if probs.shape[0] != len(texts):
        raise InputError("score", f"the scorer returned {probs.shape[0]} scores for {len(texts)} texts")
    return float((probs >= threshold).mean())


_SPACE = re.compile(r"\s+")


def normalise_reply(text: str) -> str:
    """Casefolded, whitespace collapsed: the form in which replies are compared for memorisation."""
    return _SPACE.sub(" ", text.casefold()).strip()


class MemorisationIndex:
    """The training replies, indexed once: exact normalised texts and hashes of word n-grams.

    An exact repeat counts only for replies of at least ``min_exact_words`` words: "LUL" or
    "gg" in a generation repeats thousands of training replies and is chat's vocabulary, not
    a memorised sample; a repeated sentence is.

    Only n-grams of exactly ``min_ngram`` words are stored: sharing any longer n-gram implies
    sharing one of that length.  Hashes (64-bit) rather than tuples keep 100k+ replies small;
    a false match needs a hash collision, about 1e-19 per pair of n-grams.
    """

    def __init__(self, training_replies: Iterable[str], *, min_ngram: int = 8, min_exact_words: int = 1) -> None:
        if min_ngram < 1:
            raise InputError("min_ngram", "min_ngram must be at least 1")
        self.min_ngram = min_ngram
        self.min_exact_words = min_exact_words
        self.exact: set[str] = set()
        self.ngrams: set[int] = set()
        for reply in training_replies:
            norm = normalise_reply(reply)
            if not norm:
                continue
            self.exact.add(norm)
            self.ngrams.update(self._gram_hashes(norm.split(" ")))

    def _gram_hashes(self, words: list[str]) -> Iterable[int]:
        m = self.min_ngram
        return (hash(tuple(words[i : i + m])) for i in range(len(words) - m + 1))

    def is_memorised(self, generation: str) -> bool:
        """True when the generation equals a training reply or shares a min_ngram-word n-gram with one.

        An empty generation is never memorised.
        """
        norm = normalise_reply(generation)
        if not norm:
            return False
        words = norm.split(" ")
        if norm in self.exact and len(words) >= self.min_exact_words:
            return True
        ngrams = self.ngrams
        return any(h in ngrams for h in self._gram_hashes(words))


def memorisation_rate(
    generations: Sequence[str], training_replies: Iterable[str], *, min_ngram: int = 8, min_exact_words: int = 1
) -> float:
    """Share of generations copied from the training replies (see MemorisationIndex); nan for none."""
    if not generations:
        return NAN
    index = MemorisationIndex(training_replies, min_ngram=min_ngram, min_exact_words=min_exact_words)
    return sum(1 for text in generations if index.is_memorised(text)) / len(generations)
