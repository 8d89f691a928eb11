from __future__ import annotations

import pytest

from dougchat_assets.asr.numwords import cardinal, ordinal, year_or_cardinal
from dougchat_assets.asr.wer import normalize_for_wer, word_error_rate


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Today we play 10 rounds.", "today we play ten rounds"),
        ("the 1st match", "The first match!"),
        ("21st place", "twenty-first place"),
        ("I don't know, it's OK", "I do not know it is okay"),
        ("Let's go", "let us go"),
        ("I can't", "I cannot"),
        ("2,500 viewers", "two thousand five hundred viewers"),
        ("3.5% drop", "three point five percent drop"),
        ("back in 1999", "back in nineteen ninety-nine"),
        ("in 2005", "in two thousand five"),
        ("$5 sub", "five dollars sub"),
        ("I'm gonna win", "I am going to win"),
        ("Chat\u2019s emotes", "chats emotes"),
    ],
)
def test_equivalent_spellings_normalise_to_the_same_words(a, b):
    assert normalize_for_wer(a) == normalize_for_wer(b)


def test_normalisation_keeps_real_differences():
    assert normalize_for_wer("ten rounds") != normalize_for_wer("11 rounds")
    assert normalize_for_wer("Parkzer") != normalize_for_wer("Parker")


def test_number_words():
    assert cardinal(0) == "zero"
    assert cardinal(115) == "one hundred fifteen"
    assert cardinal(1_000_001) == "one million one"
    assert ordinal(2) == "second" and ordinal(40) == "fortieth" and ordinal(103) == "one hundred third"
    assert year_or_cardinal(1905) == "nineteen oh five" and year_or_cardinal(2000) == "two thousand"


def test_wer_counts_substitutions_deletions_insertions():
    result = word_error_rate(["we play ten rounds today", "hello chat"], ["we play 10 round today now", "hello"])
    assert (result.substitutions, result.deletions, result.insertions, result.hits) == (1, 1, 1, 5)
    assert result.n_ref_words == 7
    assert result.wer == pytest.approx(3 / 7)


def test_wer_with_empty_sides():
    assert word_error_rate([""], [""]).wer == 0.0
    inserted = word_error_rate([""], ["thanks for watching"])
    assert inserted.insertions == 3 and inserted.wer == 1.0
    deleted = word_error_rate(["hello chat"], [""])
    assert deleted.deletions == 2 and deleted.wer == 1.0
    with pytest.raises(ValueError):
        word_error_rate(["a"], [])
