"""Word error rate on audited clips, after a normalisation that forgives spelling choices.

A transcript is not wrong because it writes "10" for "ten", "OK" for "okay" or "don't"
for "do not"; without normalising those, WER measures style, not recognition.  Both sides
go through the same :func:`normalize_for_wer`: lower case, numbers spelled out (cardinals,
ordinals, decimals, years, percentages), common contractions expanded, punctuation gone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from dougchat_assets.asr.numwords import cardinal, ordinal, year_or_cardinal

_CONTRACTIONS: tuple[tuple[str, str], ...] = (
    (r"\bcan't\b", "can not"),
    (r"\bcannot\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"\bshan't\b", "shall not"),
    (r"\bain't\b", "is not"),
    (r"\blet's\b", "let us"),
    (r"\by'all\b", "you all"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'m\b", " am"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'d\b", " would"),
    (r"\b(it|that|what|there|here|he|she|who|where|how|this)'s\b", r"\1 is"),
)
_SPOKEN_FORMS: dict[str, str] = {
    "ok": "okay",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "alright": "all right",
    "cause": "because",
    "cuz": "because",
    "mr": "mister",
    "mrs": "missus",
    "dr": "doctor",
    "vs": "versus",
}
_NUMBER_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(st|nd|rd|th)?(%)?(?!\w)")
_CURRENCY_RE = re.compile(r"\$(\d[\d,]*(?:\.\d+)?)")


def _number(match: re.Match) -> str:
    whole, decimals, suffix, percent = match.groups()
    n = int(whole.replace(",", ""))
    if suffix:
        words = ordinal(n)
    elif decimals:
        words = cardinal(n) + " point " + " ".join(_digit(d) for d in decimals)
    elif "," not in whole and len(whole) == 4:
        words = year_or_cardinal(n)
    else:
        words = cardinal(n)
    return " " + words + (" percent" if percent else "") + " "


def _digit(d: str) -> str:
    return cardinal(int(d))


def normalize_for_wer(text: str) -> str:
    """Canonical lower-case word string for WER (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = _CURRENCY_RE.sub(lambda m: f" {m.group(1)} dollars ", text)
    text = text.replace("&", " and ").replace("+", " plus ").replace("@", " at ")
    text = _NUMBER_RE.sub(_number, text)
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    text = text.replace("'s", "s")  # possessives: "chat's" and "chats" sound the same
    text = re.sub(r"[^\w\s]|_", " ", text)
    words = []
    for word in text.split():
        words.extend(_SPOKEN_FORMS.get(word, word).split())
    return " ".join(words)


@dataclass(frozen=True)
class WerResult:
    """Corpus-level WER: errors over all reference words, with the counts behind it."""

    wer: float
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    n_ref_words: int
    n_pairs: int


def word_error_rate(refs: Sequence[str], hyps: Sequence[str], *, normalize: bool = True) -> WerResult:
    """WER of hypotheses against references, pair by pair, summed over the corpus.

    An empty reference counts its hypothesis words as insertions; WER over zero reference
    words is 0.0 when nothing was inserted, else 1.0 (rather than a division by zero).
    """
    import jiwer

    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    norm = normalize_for_wer if normalize else (lambda t: " ".join(t.split()))
    s = d = i = h = 0
    pairs_ref, pairs_hyp = [], []
    for ref, hyp in zip(refs, hyps, strict=True):
        r, y = norm(ref), norm(hyp)
        if not r:
            i += len(y.split())
            continue
        if not y:
            d += len(r.split())
            continue
        pairs_ref.append(r)
        pairs_hyp.append(y)
    if pairs_ref:
        out = jiwer.process_words(pairs_ref, pairs_hyp)
        s, d, i, h = s + out.substitutions, d + out.deletions, i + out.insertions, h + out.hits
    n_ref = s + d + h
    errors = s + d + i
    wer = errors / n_ref if n_ref else (0.0 if errors == 0 else 1.0)
    return WerResult(wer, s, d, i, h, n_ref, len(refs))
