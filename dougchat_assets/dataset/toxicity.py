"""Toxicity probabilities from alt-profanity-check, scored once per distinct normalised text.

alt-profanity-check (a linear model over a bag of words, shipped inside the package) needs no
network and scores ~100k texts a second.  Chat repeats itself ("LUL", "W", copypasta), so the
scorer normalises first (:mod:`dougchat_assets.dataset.normalize`) and scores each distinct
text once in a single batched call.  Emote-only lines are not language: they get 0.

The model misses insults without swear words ("you are trash at this game" scores 0.14,
"this streamer is braindead" too): the filters add a *targeted-insult screen*, a lexicon file
(``insult_lexicon.txt``, parsed and compiled to RE2 at the end of this module) of words that
insult a person found next to a word that points at one.  A message is toxic when the model OR
the screen says so.  The model also flags harmless swearing ("holy shit" scores 0.999), and the
screen cannot undo that: whether such lines go is the threshold, a knob the presets differ on.

Importing this module is cheap; scikit-learn and the model load on the first score.

For a whole VOD, :meth:`ToxicityScorer.score_query` tokenises in DuckDB: scikit-learn's
tokenizer is a Python loop (about 15 microseconds a text, 6 s for 400k texts) while the model
itself is one sparse matrix product.  DuckDB counts the model's vocabulary words of every
ASCII text, numpy applies the vectorizer's own idf weights and l2 norm, and the model's own
``predict_proba`` scores the matrix.  Non-ASCII texts (where RE2's ``\\w`` and Python's
differ) go through the vectorizer.  Every batch checks a sample of rows against the vectorizer
and falls back to it entirely if they differ, so a new package version cannot silently
change scores.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from dougchat_assets.dataset.normalize import normalize_text
from dougchat_assets.errors import InputError

if TYPE_CHECKING:
    import duckdb


class ToxicityScorer:
    """Probability that a text is toxic (0..1), batched and deduplicated."""

    CHECK_ROWS = 64  # rows per batch compared against the vectorizer

    def __init__(self) -> None:
        self._predict = None
        self._parts: tuple | None = None  # (vectorizer, model) when the package exposes them
        self._vocab: pa.Table | None = None
        self.calls = 0  # batched model calls so far (tests check that a batch is one call)
        self.texts_scored = 0  # distinct texts sent to the model so far

    @property
    def model_id(self) -> str:
        """Package and version, for manifests (a new model version can move every score)."""
        from importlib.metadata import PackageNotFoundError, version

        try:
            return f"alt-profanity-check=={version('alt-profanity-check')}"
        except PackageNotFoundError:  # pragma: no cover - installed with the project
            return "alt-profanity-check"

    def _model(self):
        if self._predict is None:
            from profanity_check import profanity_check as pc

            vectorizer, model = getattr(pc, "vectorizer", None), getattr(pc, "model", None)
            if vectorizer is not None and model is not None:
                # predict_prob's np.apply_along_axis costs more than the model itself.
                self._predict = lambda texts: model.predict_proba(vectorizer.transform(texts))[:, 1]
                if _fast_path_fits(vectorizer):
                    self._parts = (vectorizer, model)
            else:  # pragma: no cover - other package layouts
                self._predict = pc.predict_prob
        return self._predict

    def score_distinct(self, texts: Sequence[str]) -> np.ndarray:
        """Scores for texts that are already normalised and distinct: one model call."""
        if len(texts) == 0:
            return np.zeros(0, dtype=np.float64)
        predict = self._model()
        self.calls += 1
        self.texts_scored += len(texts)
        return np.asarray(predict(list(texts)), dtype=np.float64)

    def score(self, texts: Sequence[str], emote_only: Sequence[bool] | None = None) -> np.ndarray:
        """One probability per text; emote-only and empty texts get 0.0.

        Each distinct normalised text is scored once, all of them in one call.
        """
        if emote_only is not None and len(emote_only) != len(texts):
            raise ValueError(f"emote_only has {len(emote_only)} flags for {len(texts)} texts")
        normalised = [normalize_text(text) for text in texts]
        skip = [False] * len(texts) if emote_only is None else [bool(flag) for flag in emote_only]
        distinct = sorted({norm for norm, skipped in zip(normalised, skip) if norm and not skipped})
        scores = dict(zip(distinct, self.score_distinct(distinct).tolist()))
        return np.array(
            [0.0 if skipped or not norm else scores[norm] for norm, skipped in zip(normalised, skip)], dtype=np.float64
        )

    def score_query(self, con: duckdb.DuckDBPyConnection, query: str) -> pa.Table:
        """``(text, p)`` for each distinct value of ``query``'s one text column, on DuckDB connection ``con``.

        One model call for the whole batch.  The texts are scored as given (pass normalised
        text to share scores between variants).
        """
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _tox_texts AS
                SELECT text, (row_number() OVER (ORDER BY text) - 1)::BIGINT AS i,
                       regexp_matches(text, '[^\\x00-\\x7f]') AS wide
                FROM (SELECT DISTINCT * FROM ({query}) AS q(text) WHERE text IS NOT NULL)"""
        )
        texts = con.sql("SELECT text FROM _tox_texts ORDER BY i").to_arrow_table().column(0)
        self._model()
        if self._parts is None or len(texts) == 0:
            scores = self.score_distinct(texts.to_pylist())
        else:
            scores = self._score_in_duckdb(con, texts)
        con.execute("DROP TABLE _tox_texts")
        return pa.table({"text": texts, "p": pa.array(scores, pa.float64())})

    def _score_in_duckdb(self, con: duckdb.DuckDBPyConnection, texts: pa.ChunkedArray) -> np.ndarray:
        from scipy import sparse
        from sklearn.preprocessing import normalize

        vectorizer, model = self._parts
        if self._vocab is None:
            vocab = vectorizer.vocabulary_
            self._vocab = pa.table({"token": list(vocab), "fid": pa.array(list(vocab.values()), pa.int64())})
        con.register("_tox_vocab", self._vocab)
        counts = con.sql(
            r"""SELECT i, fid, count(*)::DOUBLE AS c
                FROM (SELECT i, unnest(regexp_extract_all(lower(text), '\b\w\w+\b')) AS token FROM _tox_texts WHERE NOT wide)
                JOIN _tox_vocab USING (token) GROUP BY i, fid"""
        ).fetchnumpy()
        con.unregister("_tox_vocab")
        wide = con.sql("SELECT i FROM _tox_texts WHERE wide ORDER BY i").fetchnumpy()["i"].astype(np.int64)
        n, width = len(texts), len(vectorizer.vocabulary_)
        matrix = sparse.csr_matrix(
            (np.asarray(counts["c"], np.float64), (np.asarray(counts["i"], np.int64), np.asarray(counts["fid"], np.int64))),
            shape=(n, width),
        )
        matrix = normalize(matrix @ sparse.diags(vectorizer.idf_), norm="l2", copy=False).tocsr()
        narrow = np.setdiff1d(np.arange(n), wide)
        sample = narrow[np.linspace(0, len(narrow) - 1, min(len(narrow), self.CHECK_ROWS)).astype(np.int64)] if len(narrow) else narrow
        reference = vectorizer.transform(texts.take(pa.array(sample)).to_pylist()) if len(sample) else None
        if reference is not None and abs(matrix[sample] - reference).max() > 1e-9:
            warnings.warn("toxicity: DuckDB tokenisation differs from the vectorizer; using the vectorizer", stacklevel=2)
            return self.score_distinct(texts.to_pylist())
        if len(wide):  # their rows are empty so far: add the vectorizer's rows in place
            place = sparse.csr_matrix((np.ones(len(wide)), (wide, np.arange(len(wide)))), shape=(n, len(wide)))
            matrix = (matrix + place @ vectorizer.transform(texts.take(pa.array(wide)).to_pylist())).tocsr()
        self.calls += 1
        self.texts_scored += n
        return np.asarray(model.predict_proba(matrix)[:, 1], dtype=np.float64)


def _fast_path_fits(vectorizer: object) -> bool:
    """Whether :meth:`ToxicityScorer.score_query` can reproduce this vectorizer (word unigrams, l2 tf-idf)."""
    try:
        params = vectorizer.get_params()
    except AttributeError:  # pragma: no cover
        return False
    return (
        params.get("analyzer") == "word" and params.get("ngram_range") == (1, 1) and params.get("lowercase") is True
        and params.get("token_pattern") == r"(?u)\b\w\w+\b" and params.get("tokenizer") is None
        and params.get("preprocessor") is None and params.get("strip_accents") is None
        and params.get("norm") == "l2" and params.get("use_idf") is True and params.get("sublinear_tf") is False
        and params.get("binary") is False and hasattr(vectorizer, "idf_") and hasattr(vectorizer, "vocabulary_")
    )


# --- the targeted-insult screen: a lexicon file compiled to RE2 patterns on normalised text ---

LEXICON_SECTIONS = ("phrase", "target", "bridge", "insult", "aimed")
# Look-alike characters a letter also matches ("1d1ot", "st00pid"); normalisation keeps digits.
_LOOKALIKE = {"a": "a4", "e": "e3", "i": "i1", "o": "o0", "s": "s5", "t": "t7"}
_MAX_BRIDGE = 3


@dataclass(frozen=True)
class InsultLexicon:
    """The sections of an insult lexicon file (see ``insult_lexicon.txt`` for the format)."""

    phrase: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    bridge: tuple[str, ...] = ()
    insult: tuple[str, ...] = ()
    aimed: tuple[str, ...] = ()

    def merged(self, other: InsultLexicon) -> InsultLexicon:
        """Both lexicons' entries, section by section (first occurrence kept)."""
        return InsultLexicon(
            **{name: tuple(dict.fromkeys((*getattr(self, name), *getattr(other, name)))) for name in LEXICON_SECTIONS}
        )


def parse_insult_lexicon(text: str, source: str = "insult lexicon") -> InsultLexicon:
    """Sections and entries of a lexicon file's ``text``; an entry outside a section is an error."""
    sections: dict[str, list[str]] = {name: [] for name in LEXICON_SECTIONS}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip().lower()
            if current not in sections:
                raise InputError(source, f"unknown section [{current}] (use {', '.join(LEXICON_SECTIONS)})", line=number)
            continue
        if current is None:
            raise InputError(source, "entry before the first [section] line", line=number)
        entry = " ".join(normalize_text(line.rstrip("*")).split()) + ("*" if line.endswith("*") else "")
        if not entry.strip("*"):
            raise InputError(source, f"entry {line!r} is empty after normalisation", line=number)
        sections[current].append(entry)
    return InsultLexicon(**{name: tuple(dict.fromkeys(entries)) for name, entries in sections.items()})


def read_insult_lexicon(path: str | Path | None = None) -> InsultLexicon:
    """The lexicon at ``path``; without one, the bundled ``insult_lexicon.txt``."""
    if path is None:
        return parse_insult_lexicon(resources.files(__package__).joinpath("insult_lexicon.txt").read_text(encoding="utf-8"))
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(str(file), f"cannot read the insult lexicon: {error.strerror or error}") from error
    return parse_insult_lexicon(text, str(file))


def _entry_regex(entry: str, plural: bool) -> str:
    """RE2 for one lexicon entry (letters repeat and take look-alikes, spaces are optional)."""
    prefix = entry.endswith("*")
    parts: list[str] = []
    for ch in entry.rstrip("*"):
        if ch == " ":
            parts.append(" ?")
        elif ch.isalpha() and ch.isascii():
            look = _LOOKALIKE.get(ch)
            parts.append(f"[{look}]+" if look else f"{ch}+")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    if prefix:
        return body + r"\w*"
    return body + "(?:e?s)?" if plural else body


def _alternation(entries: tuple[str, ...], plural: bool = False) -> str:
    return "(?:" + "|".join(_entry_regex(e, plural) for e in sorted(entries, key=lambda e: (-len(e), e))) + ")"


def insult_patterns(lexicon: InsultLexicon) -> tuple[str, ...]:
    """The lexicon as RE2 patterns on normalised text; a text matching any one is an insult."""
    patterns: list[str] = []
    if lexicon.phrase:
        patterns.append(rf"\b{_alternation(lexicon.phrase)}\b")
    if lexicon.target and lexicon.insult:
        bridge = rf"(?: {_alternation(lexicon.bridge)}){{0,{_MAX_BRIDGE}}}" if lexicon.bridge else ""
        patterns.append(rf"\b{_alternation(lexicon.target)}{bridge} {_alternation(lexicon.insult, plural=True)}\b")
    if lexicon.insult and lexicon.aimed:
        patterns.append(rf"\b{_alternation(lexicon.insult, plural=True)}(?: \w+)? {_alternation(lexicon.aimed, plural=True)}\b")
    return tuple(patterns)


class InsultScreen:
    """The insult patterns on single texts (generated replies), as the filters apply them to chat:
    on the normalised text (:func:`dougchat_assets.dataset.normalize.normalize_text`)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        import re

        self._patterns = [re.compile(p) for p in patterns]

    def matches(self, text: str) -> bool:
        norm = normalize_text(text)
        return any(p.search(norm) for p in self._patterns)
