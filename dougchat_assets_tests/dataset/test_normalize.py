"""Chat text normalisation: the DuckDB query and its Python twin agree, and the rules do what they say."""

from __future__ import annotations

import pytest

from dougchat_assets.dataset.normalize import normalize_many, normalize_text

CASES = {
    "LMAOOOO!!!": "lmaoo",
    "Café naïve": "cafe naive",
    "ΣΑΣ": "σασ",  # no final-sigma rule
    "İstanbul": "istanbul",
    "don't stop": "dont stop",
    "  a\u00a0\u3000b\t\nc ": "a b c",  # NBSP, ideographic space, tab, newline
    ":)": ":)",  # punctuation-only lines keep their punctuation
    "???": "??",
    "!!!!!": "!!",
    "a - b": "a b",
    "😂😂😂😂": "😂😂",
    "👍🏽👍🏽👍🏽": "👍🏽👍🏽👍🏽",  # alternating code points are not a run
    "KEKW KEKW KEKW": "kekw kekw kekw",  # repeated words stay
    "x\u200by": "xy",  # zero-width space (Cf)
    "hi \U000e0000": "hi",  # the duplicate-message dodge
    "ø ß ﬁ": "ø ß ﬁ",  # no decomposition, no compatibility folding
    "Ệ ệ": "e e",
    "की": "क",  # a spacing mark (Mc) goes too
    "한국어": "한국어",  # Hangul recomposes
    "«quoted»": "quoted",
    "¿qué?": "que",
    "<3 <3": "<3 <3",  # symbols are not punctuation
    "": "",
    "   ": "",
    "...": "..",
    "a...b": "ab",
    "\u2800\u2800hi": "hi",  # blank braille pattern counts as space
    "ÅÅÅ": "aa",
    "e\u0301e\u0301e\u0301": "ee",  # combining accents: marks go before runs collapse
    "ẞ": "ß",
    "Ａ": "ａ",  # full-width letters are lowered, not folded
    "¡¡¡hola!!!": "hola",
    "@user hi": "user hi",
    "$100": "$100",
    "1,000,000": "100",  # digits are characters too: runs collapse
    "a\u2028b": "a b",
    "x\x1cy": "x y",
    "🏳️\u200d🌈": "🏳🌈",
    "ᾈ": "α",
    "a\x01\x01\x01b\x7f\x7f\x7f": "a\x01\x01b\x7f\x7f",  # control characters are characters too
    "I'm NOT saying, Doug...  is the BEST!!": "im not saying doug is the best",
}


@pytest.mark.parametrize("text", list(CASES))
def test_python_rules(text: str):
    assert normalize_text(text) == CASES[text]


def test_sql_and_python_agree():
    texts = list(CASES)
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


def test_sql_and_python_agree_on_random_unicode():
    import random

    rng = random.Random(5)
    alphabet = (
        "aAbBeEoO  \t!?.,'-:;()" "éÉüÜçñßøİıΣσς" "\u0301\u0308\u200b\u200d\u00a0\u3000\u2028" "😂👍🏽🔥<>$#@" "0123"
    )
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(400)]
    texts += [ch * rng.randint(1, 6) + " x" for ch in alphabet]
    assert normalize_many(texts) == [normalize_text(t) for t in texts]


def test_variants_of_one_message_meet():
    variants = ["LMAOOOO!!!", "lmaooo", "Lmaoo.", "  lmao o", "LMAOO"]
    assert {normalize_text(v) for v in variants[:3] + variants[4:]} == {"lmaoo"}
    assert normalize_text(variants[3]) == "lmao o"
