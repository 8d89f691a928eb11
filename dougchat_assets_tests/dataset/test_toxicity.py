"""The toxicity scorer: real alt-profanity-check scores, one batched call per distinct normalised text."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dougchat_assets.dataset.toxicity import ToxicityScorer


@pytest.fixture(scope="module")
def scorer() -> ToxicityScorer:
    return ToxicityScorer()


def test_scores_separate_toxic_from_ordinary(scorer: ToxicityScorer):
    toxic = ["you are all idiots", "kill yourself", "shut up you stupid bitch"]
    ordinary = ["hello chat", "what game is this", "this slaps", "big if true", "gg"]
    scores = scorer.score(toxic + ordinary)
    assert (scores[:3] >= 0.9).all(), scores
    assert (scores[3:] < 0.5).all(), scores  # "gg" scores 0.28: far from any preset threshold


def test_one_call_per_batch_and_each_distinct_text_once():
    scorer = ToxicityScorer()
    texts = ["LMAOOOO!!!", "lmaooo", "Lmaoo.", "you are all IDIOTS", "you are all idiots!!", "hello chat"]
    scores = scorer.score(texts)
    assert scorer.calls == 1
    assert scorer.texts_scored == 3  # "lmaoo", "you are all idiots", "hello chat"
    assert scores[0] == scores[1] == scores[2]
    assert scores[3] == scores[4] > 0.9


def test_emote_only_and_empty_lines_are_not_scored():
    scorer = ToxicityScorer()
    scores = scorer.score(["KEKW KEKW", "", "you are all idiots"], emote_only=[True, False, False])
    assert scores[0] == 0.0 and scores[1] == 0.0 and scores[2] > 0.9
    assert scorer.texts_scored == 1
    empty = ToxicityScorer()
    assert empty.score([]).shape == (0,)
    assert empty.calls == 0
    with pytest.raises(ValueError):
        empty.score(["a"], emote_only=[True, False])


def test_score_distinct_matches_score(scorer: ToxicityScorer):
    texts = ["what a fucking moron", "nice play"]
    np.testing.assert_allclose(scorer.score_distinct(texts), scorer.score(texts))
    assert scorer.model_id.startswith("alt-profanity-check")


def test_import_is_lazy():
    code = "import sys, dougchat_assets.dataset.toxicity, dougchat_assets.dataset.filters; print('sklearn' in sys.modules, 'profanity_check' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_duckdb_path_equals_the_vectorizer(scorer: ToxicityScorer):
    import duckdb
    import pyarrow as pa

    texts = [
        "you are all idiots", "hello chat", "holy shit", "kill yourself", "qué mierda idiota", "café", "gg", "",
        "lol lol lol doug", "the the the", "naïve idiot", "FUCK THIS", "x", "what_a_moron", "idiot2 idiots",
        "shit\tshit\nshit", "😂 stupid", None, "hello chat",
    ]
    con = duckdb.connect()
    con.register("t", pa.table({"x": pa.array(texts, pa.string())}))
    before = scorer.calls
    result = scorer.score_query(con, "SELECT x FROM t")
    assert scorer._parts is not None  # the DuckDB path is the one under test
    assert scorer.calls == before + 1  # one model call, ASCII and non-ASCII rows together
    got = dict(zip(result.column("text").to_pylist(), result.column("p").to_pylist()))
    distinct = sorted({t for t in texts if t is not None})
    assert sorted(got) == distinct
    reference = ToxicityScorer().score_distinct(distinct)
    np.testing.assert_allclose([got[t] for t in distinct], reference, rtol=0, atol=1e-12)
    assert got["holy shit"] > 0.9 and got["hello chat"] < 0.1


# --- the targeted-insult screen (insult_lexicon.txt) ---

INSULTS = [
    "you are an embarrassment",
    "this streamer is braindead",
    "ur literally so useless",
    "youre a complete clown",
    "boring ass stream",
    "nobody asked",
    "k y s",
    "you 1d10t",  # look-alike digits
    "you are sooooo pathetic",  # repeats (normalised to "soo")
    "you guys are absolute losers",
]
HARMLESS = [
    "HOLY SHIT that was close",  # swearing at nobody: the model's business, not the screen's
    "did you see that trash can",  # no bridge word between "you" and "trash"
    "you are not bad at this",
    "GET OUT OF THERE",
    "you did nothing wrong",
    "this game is boring",  # about the game, not a person
    "he is so good at this",
    "we need more monkey content",
    "Clueless",
    "thank you for the stream",
]


def _screen(texts: list[str], patterns: tuple[str, ...]) -> list[bool]:
    import re

    from dougchat_assets.dataset.normalize import normalize_text

    compiled = [re.compile(p) for p in patterns]
    return [any(c.search(normalize_text(t)) for c in compiled) for t in texts]


def test_bundled_lexicon_screens_targeted_insults_only():
    from dougchat_assets.dataset.toxicity import insult_patterns, read_insult_lexicon

    patterns = insult_patterns(read_insult_lexicon())
    assert len(patterns) == 3  # phrases, target + insult, insult + aimed word
    assert _screen(INSULTS, patterns) == [True] * len(INSULTS)
    assert _screen(HARMLESS, patterns) == [False] * len(HARMLESS)


def test_screen_patterns_run_in_duckdb_like_python():
    import duckdb
    import pyarrow as pa

    from dougchat_assets.dataset.normalize import normalize_text, sql_literal
    from dougchat_assets.dataset.params import DEFAULT_INSULT_PATTERNS

    texts = [normalize_text(t) for t in INSULTS + HARMLESS]
    con = duckdb.connect()
    con.register("t", pa.table({"norm": texts}))
    match = " OR ".join(f"regexp_matches(norm, {sql_literal(p)})" for p in DEFAULT_INSULT_PATTERNS)
    got = [row[0] for row in con.sql(f"SELECT {match} FROM t").fetchall()]
    assert got == [True] * len(INSULTS) + [False] * len(HARMLESS)


def test_lexicon_format_errors_name_the_line(tmp_path):
    from dougchat_assets.dataset.toxicity import parse_insult_lexicon, read_insult_lexicon
    from dougchat_assets.errors import InputError

    with pytest.raises(InputError, match="before the first") as error:
        parse_insult_lexicon("# comment\nidiot\n", "x.txt")
    assert error.value.line == 2
    with pytest.raises(InputError, match="unknown section") as error:
        parse_insult_lexicon("[phrase]\nkys\n[insults]\nidiot\n", "x.txt")
    assert error.value.line == 3
    with pytest.raises(InputError, match="empty"):
        parse_insult_lexicon("[phrase]\n\u200b\u200b\n")  # zero-width spaces only
    with pytest.raises(InputError, match="cannot read"):
        read_insult_lexicon(tmp_path / "missing.txt")
    lexicon = parse_insult_lexicon("[target]\nYou're\n[insult]\nGoober*\n[phrase]\nkys\nkys\n")
    assert lexicon.target == ("youre",) and lexicon.insult == ("goober*",) and lexicon.phrase == ("kys",)


def test_community_lexicon_extends_the_screen_and_the_hash(tmp_path):
    from dougchat_assets.dataset.params import FilterParams

    lexicon = tmp_path / "community.txt"
    lexicon.write_text("[target]\nyou\n[insult]\ngoober\n", encoding="utf-8")
    base, extended = FilterParams(), FilterParams(insult_lexicon=str(lexicon))
    assert _screen(["you goobers"], base.all_insult_patterns) == [False]
    assert _screen(["you goobers"], extended.all_insult_patterns) == [True]
    first = extended.params_hash()
    assert first != base.params_hash()
    lexicon.write_text("[target]\nyou\n[insult]\ngoober\nnincompoop\n", encoding="utf-8")
    assert extended.params_hash() != first  # the file's content counts, not its path
