"""Evidence stage, shared: turn transcript words and chat bodies into comparable tokens.

Lexical echo only works if "Parkzer," in the transcript and "PARKZER" in chat become the
same token, and if the streamer's spoken "one" (in "type one in chat") meets chat's "1".
This module is the single place that decides what a token is, so the echo matcher, the
call detector and the anchors never disagree about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_REPEAT_RE = re.compile(r"(.)\1{2,}")  # "looool" -> "lool", "hyyyype" -> "hyype"

# Spoken numbers become digits because chat answers calls with digits ("1", "2").
NUMBER_WORDS: dict[str, str] = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
}

# Function words carry no timing information: both sides use them all the time.
STOPWORDS: frozenset[str] = frozenset(
    """
    a about above after again against all am an and any are aren as at be because been before
    being below between both but by can cant could couldn did didn do does doesn doing don dont
    down during each few for from further get got had hadn has hasn have haven having he her here
    hers herself him himself his how i id ill im is isn it its itself ive just let like ll
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own re s same she should so some such t than that thats the their theirs them themselves then
    there theres these they this those through to too under until up us ve very was wasn we were
    weren what whats when where which while who whom why will with won would wouldn yeah yes you
    youll your youre yours yourself yourselves oh okay ok um uh hmm gonna wanna really right well
    thing things know think going come see look
    """.split()
)
# Number words are mapped to digits *before* this list is consulted, so a spoken "one"
# becomes the token "1", which chat uses to answer calls.

# Chat's way of cheering (the countdown/"let's go" anchor); forms after normalize_token.
HYPE_TOKENS: frozenset[str] = frozenset(
    {"lets", "letsgo", "letsgoo", "hype", "hyype", "pogchamp", "pog", "poggers", "pogu"}
)

DEFAULT_BOTS: tuple[str, ...] = (
    "nightbot",
    "streamelements",
    "streamlabs",
    "moobot",
    "fossabot",
    "soundalerts",
)


def normalize_token(raw: str) -> str:
    """One word (already lower-cased, alphanumeric) to its matching form."""
    tok = _REPEAT_RE.sub(r"\1\1", raw)
    return NUMBER_WORDS.get(tok, tok)


def tokenize(text: str) -> list[str]:
    """All tokens of a text, in order (apostrophes dropped: "let's" -> "lets")."""
    return [normalize_token(t) for t in _TOKEN_RE.findall(text.lower().replace("'", "").replace("\u2019", ""))]


def content_tokens(text: str) -> set[str]:
    """Distinct tokens that can carry an echo: not stopwords, digits or >= 3 characters."""
    out: set[str] = set()
    for tok in tokenize(text):
        if tok in STOPWORDS:
            continue
        if len(tok) < 3 and not tok.isdigit():
            continue
        out.add(tok)
    return out


def word_token(word: str) -> str | None:
    """The matching token of one ASR word (" Parkzer," -> "parkzer"), or None if it has none.

    ASR sometimes glues punctuation or splits a hyphenated word; the longest alphanumeric
    run is the part chat would type.
    """
    toks = tokenize(word)
    if not toks:
        return None
    tok = max(toks, key=len) if len(toks) > 1 else toks[0]
    if tok in STOPWORDS or (len(tok) < 3 and not tok.isdigit()):
        return None
    return tok


def bot_set(bots: Iterable[str] | None) -> frozenset[str]:
    """Lower-cased bot logins (None: the default list)."""
    return frozenset(b.strip().lower() for b in (DEFAULT_BOTS if bots is None else bots) if b.strip())
