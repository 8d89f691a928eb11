"""Tokens, sentences and spoken calls (what lexical echo matches on)."""

from __future__ import annotations

import numpy as np

from dougchat_assets.align.calls import find_calls, phrase_ends, reference_times
from dougchat_assets.align.inputs import WordTimings
from dougchat_assets.align.text import content_tokens, tokenize, word_token


def test_tokens_normalise_case_numbers_repeats_and_apostrophes():
    assert tokenize("Type ONE in chat!! looool let's") == ["type", "1", "in", "chat", "lool", "lets"]
    assert content_tokens("PARKZER parkzer 1 the kekw") == {"parkzer", "1", "kekw"}
    assert word_token(" Parkzer,") == "parkzer"
    assert word_token(" the") is None
    assert word_token(" two") == "2"


def _words(items: list[tuple[float, float, str]]) -> WordTimings:
    return WordTimings.from_arrays([s for s, _, _ in items], [e for _, e, _ in items], [w for _, _, w in items])


def test_sentence_ends_from_punctuation_and_pauses():
    words = _words(
        [(0.0, 0.3, "Hello"), (0.35, 0.6, "chat."), (0.7, 1.0, "Parkzer"), (1.05, 1.3, "is"), (2.0, 2.3, "here")]
    )
    ends = phrase_ends(words)
    assert ends.tolist() == [0.6, 0.6, 1.3, 1.3, 2.3]  # "." ends one, the 0.7 s pause the next
    assert np.array_equal(reference_times(words), ends)


def test_calls_are_found_with_their_answer_token():
    words = _words(
        [
            (0.0, 0.3, "Type"),
            (0.3, 0.5, "one"),
            (0.5, 0.6, "in"),
            (0.6, 0.9, "chat"),
            (0.9, 1.0, "if"),
            (1.0, 1.3, "yes."),
            (2.0, 2.3, "Chat,"),
            (2.35, 2.6, "spam"),
            (2.6, 2.9, "KEKW."),
            (3.5, 3.8, "Parkzer"),
            (3.8, 4.0, "ate."),
        ]
    )
    calls = find_calls(words)
    assert [(c.token, c.phrase_end_s) for c in calls] == [("1", 1.3), ("kekw", 2.9)]
