from __future__ import annotations

import pytest

from dougchat_assets.asr.lexicon import lexicon_prompt, load_lexicon
from dougchat_assets.errors import InputError


def test_terms_comments_blanks_and_repeats(tmp_path):
    path = tmp_path / "lexicon.txt"
    path.write_text("# channel words\nParkzer\n\nKEKW   # emote\n  Moo  Moo Meadows \nkekw\n", encoding="utf-8")
    assert load_lexicon(path) == ["Parkzer", "KEKW", "Moo Moo Meadows"]
    assert load_lexicon(None) == []


def test_bad_lexicon_names_file_and_line(tmp_path):
    path = tmp_path / "lexicon.txt"
    path.write_text("Parkzer\nKEKW, LUL\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_lexicon(path)
    assert error.value.line == 2 and "lexicon.txt" in str(error.value)
    with pytest.raises(InputError, match="not found"):
        load_lexicon(tmp_path / "missing.txt")


def test_prompt_respects_the_token_budget():
    assert lexicon_prompt([]) is None
    assert lexicon_prompt(["Parkzer", "KEKW"]) == "Parkzer, KEKW"
    many = [f"Term{i:03d}" for i in range(200)]
    prompt = lexicon_prompt(many, max_tokens=40)
    assert prompt is not None and prompt.startswith("Term000, Term001")
    assert len(prompt) < 40 * 3 and "Term199" not in prompt
