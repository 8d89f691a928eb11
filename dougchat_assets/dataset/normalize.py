"""Chat text normalisation: one rule set, as a DuckDB query (1M rows) and a Python twin (tests, one-offs).

Copypasta detection and toxicity scoring compare *normalised* text, so that "LMAOOOO!!!",
"lmaooo" and "Lmaoo." count as the same message.  Filters run the SQL form
(:func:`create_normalized_table`) over a whole VOD at once; :func:`normalize_text` exists so a reader can check one string by hand, and the
tests assert that both give the same result on tricky input.

The rules, in order (a "character" is one Unicode code point):

1. **lowercase**, character by character (no final-sigma rule: "ΣΑΣ" -> "σασ");
2. **strip marks**: decompose (NFD), drop combining marks (categories Mn, Mc, Me), recompose
   (NFC): "Café" -> "cafe", "İ" -> "i".  Letters without a decomposition stay ("ø", "ß");
3. **drop invisible format characters** (category Cf: zero-width joiners, soft hyphens...) and
   U+E0000, which chat clients append to dodge Twitch's duplicate-message check;
4. **whitespace**: every run of whitespace (ASCII \\t \\n \\v \\f \\r, \\x1c-\\x1f, \\x85, any
   category Z* separator, and the blank braille pattern U+2800) becomes one space; leading and
   trailing spaces go;
5. **punctuation** (category P*) is deleted ("don't" -> "dont"), then step 4's spacing is
   restored; but a message that would become empty keeps its punctuation ("?", ":)" stay
   themselves, so punctuation-only lines do not all collapse into one empty text).  Symbols
   (category S*: emoji, "<3", "$") are not punctuation and stay;
6. **runs**: three or more equal characters in a row become two ("lmaooooo" -> "lmaoo",
   "😂😂😂😂" -> "😂😂").  Repeated *words* are left alone.

Emotes are ordinary tokens here ("KEKW" -> "kekw"); nothing is dropped because it is an emote.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# RE2 (DuckDB) patterns.  Python's ``re`` has no \p{..} classes, so the twin tests categories.
_SQL_FORMAT = r"[\p{Cf}\x{E0000}]"
_SQL_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f\x{85}\p{Z}\x{2800}]+"
_SQL_PUNCT = r"\pP"

_ASCII_SPACE = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\u2800")
_MARKS = frozenset({"Mn", "Mc", "Me"})
_RUN = re.compile(r"(.)\1{2,}", re.DOTALL)
_SPACES = re.compile(" {2,}")


def _is_space(ch: str) -> bool:
    return ch in _ASCII_SPACE or unicodedata.category(ch)[0] == "Z"


def normalize_text(text: str) -> str:
    """The Python twin of :func:`create_normalized_table` (same rules, one string at a time)."""
    s = "".join(ch.lower() for ch in text)
    s = unicodedata.normalize("NFD", s)
    s = unicodedata.normalize("NFC", "".join(ch for ch in s if unicodedata.category(ch) not in _MARKS))
    s = "".join(ch for ch in s if ch != "\U000e0000" and unicodedata.category(ch) != "Cf")
    spaced: list[str] = []
    for ch in s:
        if _is_space(ch):
            if spaced and spaced[-1] != " ":
                spaced.append(" ")
        else:
            spaced.append(ch)
    s = "".join(spaced).strip(" ")
    bare = "".join(ch for ch in s if unicodedata.category(ch)[0] != "P")
    bare = _SPACES.sub(" ", bare).strip(" ")
    if bare:
        s = bare
    return _RUN.sub(r"\1\1", s)


def sql_literal(text: str) -> str:
    """``text`` as a DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"


# Cheap triggers, so that the common row (ASCII, single spaces, no punctuation run) skips the
# costly replacements: a regexp_replace with many matches costs ~5x a regexp_matches.
_SQL_ODD_SPACE = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{2800}\x{3000}]"
    r"|  |^ | $"
)
# A run of three equal characters is possible only where an ASCII triple or a non-ASCII
# character occurs (RE2 has no back-references, so the triples are listed).
_SQL_MAYBE_RUN = "|".join(f"\\x{{{code:x}}}" * 3 for code in range(1, 0x80) if code != 0x20) + r"|[^\x00-\x7f]"
_COLLAPSE_RUNS = "array_to_string(list_filter(_chars, lambda c, i: i <= 2 OR c != _chars[i - 1] OR c != _chars[i - 2]), '')"


def create_normalized_table(
    con: duckdb.DuckDBPyConnection, source: str, target: str, column: str = "body", out: str = "norm", keys: tuple[str, ...] = ()
) -> None:
    """Create temp table ``target`` with ``keys``, ``column`` and ``out`` (normalised ``column``) from ``source``.

    ``source`` is a table name or a parenthesised subquery.  Rows that cannot contain a run
    skip the list-based run collapse (it splits the string into characters), which is most of
    the cost; the result is the same as applying every rule to every row.
    """
    space, punct, fmt = sql_literal(_SQL_SPACE), sql_literal(_SQL_PUNCT), sql_literal(_SQL_FORMAT)
    odd, maybe_run = sql_literal(_SQL_ODD_SPACE), sql_literal(_SQL_MAYBE_RUN)
    cols = ", ".join((*keys, column))
    stage = f"_{target}_stage"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {stage} AS
            SELECT {cols}, CASE WHEN _b = '' THEN _x ELSE _b END AS _n FROM (
                SELECT *, CASE WHEN regexp_matches(_x, {punct})
                               THEN trim(regexp_replace(regexp_replace(_x, {punct}, '', 'g'), ' {{2,}}', ' ', 'g'), ' ')
                               ELSE _x END AS _b
                FROM (
                    SELECT *, CASE WHEN regexp_matches(_f, {odd}) THEN trim(regexp_replace(_f, {space}, ' ', 'g'), ' ') ELSE _f END AS _x
                    FROM (
                        SELECT {cols}, CASE WHEN regexp_matches(_l, {fmt}) THEN regexp_replace(_l, {fmt}, '', 'g') ELSE _l END AS _f
                        FROM (SELECT {cols}, strip_accents(lower({column})) AS _l FROM {source})
                    )
                )
            )"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {target} AS
            SELECT {cols}, _n AS {out} FROM {stage} WHERE NOT regexp_matches(_n, {maybe_run})
            UNION ALL
            SELECT {cols}, {_COLLAPSE_RUNS} AS {out}
            FROM (SELECT {cols}, string_split(_n, '') AS _chars FROM {stage} WHERE regexp_matches(_n, {maybe_run}))"""
    )
    con.execute(f"DROP TABLE {stage}")


def normalize_many(texts: list[str]) -> list[str]:
    """The SQL rules applied to a list of strings (private in-memory DuckDB); for tests and tools."""
    import duckdb
    import pyarrow as pa

    con = duckdb.connect()
    try:
        con.register("texts", pa.table({"i": pa.array(range(len(texts)), pa.int64()), "body": pa.array(texts, pa.string())}))
        create_normalized_table(con, "texts", "normalized", keys=("i",))
        rows = con.sql("SELECT norm FROM normalized ORDER BY i").fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]
