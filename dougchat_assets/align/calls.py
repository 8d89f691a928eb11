"""Evidence stage, calls: sentences and spoken calls ("type one in chat", "chat, spam KEKW", "two if you ...").

Viewers react once the streamer has *finished* the sentence (a call is answered after it
has been asked; a name is echoed once the line lands), so the echo clock of every word
starts at the end of its sentence: terminal punctuation in the ASR text (Whisper keeps it
on the word) or a pause of at least :data:`SENTENCE_GAP_S`.  Counting from the word itself
would make an echo of a sentence's first word look seconds slower than one of its last
word, which blurs the delay distribution and biases the offset.  This is part of the lag
model (see :mod:`.lag`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.align.inputs import WordTimings
from dougchat_assets.align.text import tokenize, word_token

_CALL_VERBS = frozenset({"type", "spam", "press", "put", "drop", "write", "say"})
SENTENCE_GAP_S = 0.5  # a pause this long ends a sentence even without punctuation
_TERMINAL = (".", "?", "!")


@dataclass(frozen=True)
class SpokenCall:
    word_index: int  # the answer word
    token: str  # what chat is asked to type
    phrase_end_s: float  # audio time the call finished


def phrase_ends(words: WordTimings, gap_s: float = SENTENCE_GAP_S) -> np.ndarray:
    """For every word, the end of the sentence it belongs to (punctuation or a pause >= ``gap_s``)."""
    n = len(words.word)
    if n == 0:
        return np.zeros(0)
    gaps = np.append(words.start_s[1:] - words.end_s[:-1], np.inf)
    terminal = np.array([w.strip().rstrip("\"')]").endswith(_TERMINAL) for w in words.word], dtype=bool)
    is_last = (gaps >= gap_s) | terminal
    last_idx = np.flatnonzero(is_last)
    nxt = last_idx[np.searchsorted(last_idx, np.arange(n), side="left")]
    return words.end_s[nxt]


def find_calls(words: WordTimings) -> list[SpokenCall]:
    """Answer words of spoken calls, by pattern on plain tokens (stopwords kept).

    A word X is a call answer when, in its phrase, a call verb precedes it within two words
    ("type one", "spam KEKW") or "in (the) chat" follows it directly, or X is a number
    followed by "if" ("two if you want ...").
    """
    n = len(words.word)
    if n == 0:
        return []
    plain = [(tokenize(w) or [""])[0] if words.ok[i] else "" for i, w in enumerate(words.word)]
    ends = phrase_ends(words)
    calls: list[SpokenCall] = []
    for i in range(n):
        tok = word_token(words.word[i]) if words.ok[i] else None
        if tok is None or tok in _CALL_VERBS or tok == "chat":
            continue
        same = [j for j in range(max(0, i - 2), min(n, i + 4)) if ends[j] == ends[i]]
        before = [plain[j] for j in same if j < i]
        after = [plain[j] for j in same if j > i]
        hit = any(b in _CALL_VERBS for b in before)
        if not hit and after[:1] == ["in"] and "chat" in after[1:3]:
            hit = True
        if not hit and tok.isdigit() and after[:1] == ["if"]:
            hit = True
        if hit:
            calls.append(SpokenCall(i, tok, float(ends[i])))
    return calls


def reference_times(words: WordTimings) -> np.ndarray:
    """Echo reference time per word: the end of its sentence."""
    return phrase_ends(words)
