"""Channel vocabulary (names, emotes, slang) handed to Whisper as a decoding hint.

Whisper has never seen "Parkzer" or "KEKW"; listing them in the prompt makes the decoder
prefer those spellings.  The prompt shares Whisper's 448-token context: faster-whisper
keeps at most 223 prompt tokens, and a long prompt makes tiny models echo it back on
silence, so the list is cut to a small token budget (terms first in file order).
"""

from __future__ import annotations

from pathlib import Path

from dougchat_assets.errors import InputError

# A conservative estimate of Whisper BPE tokens per term: about one per 3 characters plus
# the separator.  The real count needs the tokenizer, which lives with the model; the
# estimate only has to keep the prompt well inside the budget.
_CHARS_PER_TOKEN = 3


def load_lexicon(path: str | Path | None) -> list[str]:
    """Terms of a lexicon file: one per line, ``#`` starts a comment, blanks and repeats dropped.

    Raises :class:`InputError` naming the file (and line) when it is missing, not UTF-8, or
    a term contains a comma (the prompt's separator).
    """
    if path is None:
        return []
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(path, "lexicon file not found") from error
    except UnicodeDecodeError as error:
        raise InputError(path, f"lexicon is not UTF-8: {error}") from error
    terms: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        term = raw.split("#", 1)[0].strip()
        if not term:
            continue
        if "," in term:
            raise InputError(path, f"a term may not contain a comma: {term!r}", line=number)
        term = " ".join(term.split())
        if term.lower() not in seen:
            seen.add(term.lower())
            terms.append(term)
    return terms


def lexicon_prompt(terms: list[str], max_tokens: int = 60) -> str | None:
    """The terms as one comma-separated hint string within ``max_tokens`` (estimated), or None."""
    chosen: list[str] = []
    budget = max_tokens
    for term in terms:
        cost = len(term) // _CHARS_PER_TOKEN + 2
        if cost > budget:
            break
        chosen.append(term)
        budget -= cost
    return ", ".join(chosen) if chosen else None
