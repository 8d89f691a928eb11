"""Evidence stage, lexical echo: pair each rare transcript word with the chat messages that repeat it.

Chat repeats what the streamer just said (names, memes, "1" after "type one in chat").  For a
transcript word whose sentence ended at audio time ``a`` and a chat message containing the
same token sent at chat time ``c``, ``y = c - a`` equals ``theta(a) + lag`` when the message
is an echo (``theta`` = chat clock minus audio clock, the quantity we estimate) and is
spread uniformly when it is a coincidence.  So a histogram of ``y`` over all pairs peaks at
``theta + lag``.

Weights (why they look like IDF).  For a token seen at rate ``r`` per second, coincidences
put ``~r`` pairs per second of ``y`` under a peak whose height does not grow with ``r``; the
log-likelihood-ratio weight of a pair is then about ``log(1 + 1/(r * W))`` for a reaction
window ``W``.  The rate is the larger of the transcript and chat rates, so both a word the
streamer says constantly and a word chat says all the time ("lol", "kekw") are suppressed.
Bursts: twenty viewers typing "1" within seconds are one reaction, not twenty independent
witnesses, so a message in a burst of ``n`` (same token, gaps < ``burst_gap_s``) weighs
``1/sqrt(n)``; likewise a token said ``n`` times in one sentence.  Without this, a single
coincidence between a big burst and one spoken word looks like a confident alignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.inputs import ChatMessages, WordTimings, transcript_tokens
from dougchat_assets.align.text import tokenize


@dataclass(frozen=True)
class EchoPairs:
    """(transcript word, chat message) pairs sharing a token, with ``y`` in the search range."""

    audio_s: np.ndarray  # reference time of the word (end of its sentence), audio seconds
    chat_s: np.ndarray  # message time, chat seconds since the reference
    weight: np.ndarray  # token rarity x burst weights
    token: np.ndarray  # int32 token id (chat vocabulary)
    msg: np.ndarray  # int64 message index
    word: np.ndarray  # int64 word index

    @property
    def y(self) -> np.ndarray:
        return self.chat_s - self.audio_s

    @property
    def n(self) -> int:
        return int(self.audio_s.size)


def token_messages(chat: ChatMessages) -> tuple[np.ndarray, np.ndarray]:
    """(token id, message index) for every token occurrence in usable messages."""
    counts = np.diff(chat.token_offsets)
    msg_idx = np.repeat(np.arange(chat.n, dtype=np.int64), counts)
    return chat.token_ids.astype(np.int64), msg_idx


def _burst_weights(times: np.ndarray, gap_s: float) -> np.ndarray:
    """1/sqrt(burst size) for sorted times, bursts split at gaps > ``gap_s``."""
    if times.size == 0:
        return np.zeros(0)
    new = np.concatenate([[True], np.diff(times) > gap_s])
    burst = np.cumsum(new) - 1
    size = np.bincount(burst)
    return 1.0 / np.sqrt(size[burst])


def transcript_items(
    words: WordTimings, ref_s: np.ndarray, vocab_index: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(token id, reference time, word index) of every matchable transcript item.

    Items are the words' own tokens plus the concatenation of two neighbouring words in one
    sentence when chat uses it as one token: ASR writes the emote catJAM as "cat jam" and
    PogChamp as "Pog Champ", chat writes them as one word.
    """
    toks, _ = transcript_tokens(words)
    item_tok: list[int] = []
    item_ref: list[float] = []
    item_word: list[int] = []
    for i, t in enumerate(toks):
        if t is not None and t in vocab_index:
            item_tok.append(vocab_index[t])
            item_ref.append(float(ref_s[i]))
            item_word.append(i)
    plain = ["".join(tokenize(w)) if ok else "" for w, ok in zip(words.word, words.ok, strict=True)]
    for i in range(len(plain) - 1):
        if not plain[i] or not plain[i + 1] or ref_s[i] != ref_s[i + 1]:
            continue
        joined = plain[i] + plain[i + 1]
        v = vocab_index.get(joined)
        if v is not None and joined not in (toks[i], toks[i + 1]):
            item_tok.append(v)
            item_ref.append(float(ref_s[i + 1]))
            item_word.append(i + 1)
    return (
        np.asarray(item_tok, dtype=np.int64),
        np.asarray(item_ref, dtype=np.float64),
        np.asarray(item_word, dtype=np.int64),
    )


class EchoIndex:
    """Per-token chat times and weights, built once; pairs are drawn from it for any item times.

    Drawing pairs for transformed reference times (see :mod:`.significance`) reuses the
    index, so a null distribution costs a few vectorised searches, not a re-tokenisation.
    """

    def __init__(
        self,
        words: WordTimings,
        chat: ChatMessages,
        chat_s: np.ndarray,
        audio_duration_s: float,
        word_ref_s: np.ndarray,
        *,
        token_window_s: float,
        min_token_weight: float,
        burst_gap_s: float,
    ) -> None:
        vocab_index = {t: i for i, t in enumerate(chat.vocab)}
        self.item_tok, self.item_ref_s, self.item_word = transcript_items(
            words, np.asarray(word_ref_s, dtype=np.float64), vocab_index
        )
        tok_ids, msg_idx = token_messages(chat)
        usable_times = chat_s[chat.usable]
        chat_span = max(float(usable_times.max() - usable_times.min()) if usable_times.size else 1.0, 60.0)
        audio_span = max(float(audio_duration_s), 60.0)

        order = np.lexsort((chat_s[msg_idx], tok_ids))
        tok_sorted = tok_ids[order]
        self._msg_sorted = msg_idx[order]
        self._times_sorted = chat_s[self._msg_sorted]
        n_vocab = len(chat.vocab)
        self._bounds = np.searchsorted(tok_sorted, np.arange(n_vocab + 1))
        self._burst_w = np.zeros(self._msg_sorted.size)
        n_t = np.bincount(self.item_tok, minlength=n_vocab)
        self.token_weight: dict[str, float] = {}
        tokens: list[tuple[float, int]] = []
        for v in np.flatnonzero(n_t).tolist():
            b0, b1 = int(self._bounds[v]), int(self._bounds[v + 1])
            if b1 == b0:
                continue
            rate = max((b1 - b0) / chat_span, int(n_t[v]) / audio_span)
            weight = float(np.log1p(1.0 / (rate * token_window_s)))
            self.token_weight[chat.vocab[v]] = weight
            if weight < min_token_weight:
                continue
            self._burst_w[b0:b1] = _burst_weights(self._times_sorted[b0:b1], burst_gap_s)
            tokens.append((-weight, v))
        tokens.sort()  # rarest first; ties by token id (deterministic)
        self.tokens = [(v, -nw) for nw, v in tokens]
        # transcript side: a token repeated in one sentence counts about once
        self._item_dup_w = np.ones(self.item_tok.size)
        if self.item_tok.size:
            key = self.item_tok * 1_000_003 + np.round(self.item_ref_s * 10).astype(np.int64)
            _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
            self._item_dup_w = 1.0 / np.sqrt(cnt[inv])
        i_order = np.lexsort((self.item_ref_s, self.item_tok))
        self._i_order = i_order
        self._i_bounds = np.searchsorted(self.item_tok[i_order], np.arange(n_vocab + 1))

    def pairs(
        self,
        y_lo: float,
        y_hi: float,
        *,
        max_pairs_per_token: int,
        pair_budget: int,
        item_ref_s: np.ndarray | None = None,
        item_mask: np.ndarray | None = None,
    ) -> EchoPairs:
        """Pairs with ``y_lo <= chat - ref <= y_hi``, rarest tokens first, within a budget.

        ``item_ref_s`` replaces the items' reference times (null samples); ``item_mask``
        keeps only some items (one segment).
        """
        ref = self.item_ref_s if item_ref_s is None else np.asarray(item_ref_s, dtype=np.float64)
        parts: list[tuple[np.ndarray, ...]] = []
        total = 0
        for v, weight in self.tokens:
            w_idx = self._i_order[self._i_bounds[v] : self._i_bounds[v + 1]]
            if item_mask is not None:
                w_idx = w_idx[item_mask[w_idx]]
            if w_idx.size == 0:
                continue
            b0, b1 = int(self._bounds[v]), int(self._bounds[v + 1])
            c_times = self._times_sorted[b0:b1]
            a_times = ref[w_idx]
            if item_ref_s is not None:
                sort = np.argsort(a_times, kind="stable")
                w_idx, a_times = w_idx[sort], a_times[sort]
            lo = np.searchsorted(c_times, a_times + y_lo, side="left")
            hi = np.searchsorted(c_times, a_times + y_hi, side="right")
            cnt = hi - lo
            n_pairs = int(cnt.sum())
            if n_pairs == 0 or n_pairs > max_pairs_per_token:
                continue
            if total + n_pairs > pair_budget:
                break
            total += n_pairs
            rep = np.repeat(np.arange(a_times.size), cnt)
            starts = np.repeat(lo - np.concatenate([[0], np.cumsum(cnt)[:-1]]), cnt)
            pos = np.arange(n_pairs) + starts + b0
            it = w_idx[rep]
            parts.append(
                (
                    a_times[rep],
                    self._times_sorted[pos],
                    weight * self._burst_w[pos] * self._item_dup_w[it],
                    np.full(n_pairs, v, dtype=np.int32),
                    self._msg_sorted[pos],
                    self.item_word[it],
                )
            )
        if not parts:
            f = np.zeros(0, dtype=np.float64)
            i = np.zeros(0, dtype=np.int64)
            return EchoPairs(f, f, f, np.zeros(0, dtype=np.int32), i, i)
        cols = list(zip(*parts, strict=True))
        return EchoPairs(
            np.concatenate(cols[0]),
            np.concatenate(cols[1]),
            np.concatenate(cols[2]),
            np.concatenate(cols[3]),
            np.concatenate(cols[4]).astype(np.int64),
            np.concatenate(cols[5]).astype(np.int64),
        )
