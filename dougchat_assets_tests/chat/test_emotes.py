"""Emote spans and the emote-only flag."""

from __future__ import annotations

import pytest

from dougchat_assets.chat import EmoteMatcher, default_emote_names, emote_spans, is_emote_only


def test_default_list_has_common_names_and_no_comments():
    names = default_emote_names()
    for name in ("Kappa", "PogChamp", "LUL", "KEKW", "OMEGALUL", "Pog", "PogU", "monkaS", "Sadge", "catJAM", "EZ", "5Head", "<3", ":tf:"):
        assert name in names
    assert not any(name.startswith("# ") or name == "#" for name in names)
    assert "Hmm" not in names  # plain words stay out


def test_by_name_spans_and_emote_only():
    spans, only = EmoteMatcher().match("KEKW  KEKW")
    assert spans == [(0, 4, None, "KEKW"), (6, 10, None, "KEKW")]
    assert only is True
    assert EmoteMatcher().match("KEKW that was funny")[1] is False
    assert EmoteMatcher().match("kekw") == ((), False)  # case-sensitive
    assert EmoteMatcher().match("") == ((), False)
    assert EmoteMatcher().match("   ") == ((), False)


def test_extra_names():
    assert emote_spans("dougdoHi chat", extra_names=["dougdoHi"]) == [(0, 8, None, "dougdoHi")]
    assert emote_spans("dougdoHi chat") == []


def test_native_spans_win_and_are_checked():
    native = [(6, 11, "25", "Kappa"), (0, 5, "25", "Kappa"), (40, 50, "1", "out of range"), (2, 4, "9", "overlap")]
    spans, only = EmoteMatcher().match("Kappa Kappa", native)
    assert spans == [(0, 5, "25", "Kappa"), (6, 11, "25", "Kappa")]
    assert only is True


def test_native_and_names_mixed():
    body = "😂 Kappa KEKW lol"
    spans, only = EmoteMatcher().match(body, [(2, 7, "25", "Kappa")])
    assert spans == [(2, 7, "25", "Kappa"), (8, 12, None, "KEKW")]
    assert only is False
    spans, only = EmoteMatcher().match("Kappa KEKW", [(0, 5, "25", "Kappa")], native_clean=True)
    assert only is True and spans[1] == (6, 10, None, "KEKW")


def test_known_name_not_marked_by_the_export_is_added():
    # the export marked one Kappa; the second (same name) is still an emote token
    spans, only = EmoteMatcher().match("Kappa Kappa", [(0, 5, "25", "Kappa")], native_clean=True)
    assert spans == [(0, 5, "25", "Kappa"), (6, 11, None, "Kappa")]
    assert only is True


def test_native_span_inside_a_word_does_not_make_it_emote_only():
    spans, only = EmoteMatcher().match("xKappa", [(1, 6, "25", "Kappa")])
    assert spans == [(1, 6, "25", "Kappa")] and only is False


@pytest.mark.parametrize(
    ("body", "spans", "expected"),
    [
        ("Kappa", [(0, 5, "25", "Kappa")], True),
        ("Kappa ", [(0, 5, "25", "Kappa")], True),
        ("Kappa hi", [(0, 5, "25", "Kappa")], False),
        ("", [], False),
        ("Kappa", [(0, 4, "25", "Kapp")], False),
    ],
)
def test_is_emote_only(body, spans, expected):
    assert is_emote_only(body, spans) is expected


def test_match_agrees_with_is_emote_only():
    matcher = EmoteMatcher()
    for body in ["Pog Pog", "Pog\u3000Pog", "Pog\u2028x", "a PogU b", "🐒 LUL", "LUL\tLUL\n"]:
        spans, only = matcher.match(body)
        assert only == is_emote_only(body, spans), body
        for start, end, _, name in spans:
            assert body[start:end] == name
