"""Emote spans and the emote-only flag, the same rules for every export format.

Filters downstream drop emote walls and down-weight emote-only messages, so every parser
must mark emotes the same way: the export's own emote data where it has some (Twitch emotes
with ids and positions), plus whole tokens whose text is a known emote name (third-party
BTTV/FFZ/7TV emotes appear in every export as plain text, and Chatterino logs carry no emote
data at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib import resources

# (start, end, emote_id, name): start inclusive, end exclusive, in code points of the body.
EmoteSpan = tuple[int, int, "str | None", str]

NO_SPANS: tuple[EmoteSpan, ...] = ()  # shared: most messages have no emote


@lru_cache(maxsize=1)
def default_emote_names() -> frozenset[str]:
    """The bundled list of common global emote names (``default_emotes.txt``)."""
    text = resources.files(__package__).joinpath("default_emotes.txt").read_text(encoding="utf-8")
    names = set()
    for line in text.splitlines():
        name = line.strip()
        # "#" starts a comment line; no emote name starts with "# " or is a lone "#".
        if name and not (name.startswith("#") and (len(name) == 1 or name[1] == " ")):
            names.add(name)
    return frozenset(names)


class EmoteMatcher:
    """Combines an export's native emote spans with emote detection by name.

    A token counts as an emote when a native span covers exactly that token, or when its
    text is a known name and no native span overlaps it.  Native spans that do not fit the
    body (out of range, empty) are dropped rather than emitted.
    """

    def __init__(self, extra_names: Iterable[str] = ()) -> None:
        self.names: frozenset[str] = default_emote_names() | frozenset(n for n in extra_names if n)

    def match(
        self, body: str, native: Sequence[EmoteSpan] | None = None, *, native_clean: bool = False
    ) -> tuple[Sequence[EmoteSpan], bool]:
        """Return (spans sorted by start, is_emote_only) for ``body``.

        ``native_clean`` promises the native spans are sorted, in range and disjoint (as
        TwitchDownloader fragments are by construction), skipping that check.  Runs once per
        message (1M times for a long VOD), so the common cases avoid locating tokens one by
        one: no emote at all, or only native emotes (whose names may also be known names).
        """
        tokens = body.split()
        if not tokens:
            return NO_SPANS, False
        names = self.names
        if not native:
            if names.isdisjoint(tokens):
                return NO_SPANS, False
            spans: list[EmoteSpan] = []
            pos = 0
            find = body.find
            for token in tokens:  # _token_spans, inlined: this runs for every message naming an emote
                start = find(token, pos)
                pos = start + len(token)
                if token in names:
                    spans.append((start, pos, None, token))
            return spans, len(spans) == len(tokens)
        kept = list(native) if native_clean else clean_native_spans(body, native)
        # Common case: the native spans are whole tokens, each token with a native span's text
        # is one of them, and no other token is a known name: nothing to add.
        texts = {span[3] for span in kept}
        if (
            texts.issuperset(names.intersection(tokens))
            and sum(map(texts.__contains__, tokens)) == len(kept)
            and _whole_tokens(body, kept)
        ):
            return kept, len(kept) == len(tokens)
        exact = {(span[0], span[1]) for span in kept}
        extra: list[EmoteSpan] = []
        all_emotes = True
        pos = 0
        find = body.find
        for token in tokens:  # _token_spans, inlined
            start = find(token, pos)
            pos = start + len(token)
            if (start, pos) in exact:
                continue
            if token in names and not any(s < pos and start < e for s, e, _, _ in kept):
                extra.append((start, pos, None, token))
            else:
                all_emotes = False
        if extra:
            kept.extend(extra)
            kept.sort(key=_span_key)
        return kept, all_emotes


def _whole_tokens(body: str, spans: Sequence[EmoteSpan]) -> bool:
    """True when every span is exactly one whitespace-delimited token of ``body``."""
    size = len(body)
    for start, end, _, name in spans:
        if (start and not body[start - 1].isspace()) or (end < size and not body[end].isspace()):
            return False
        if len(name) != end - start or not body.startswith(name, start) or len(name.split()) != 1:
            return False
    return True


def _token_spans(body: str, tokens: list[str]) -> Iterator[tuple[int, int, str]]:
    """(start, end, token) for the ``body.split()`` tokens, in order.

    Only whitespace lies between one token's end and the next token's start, so the next
    ``find`` from the previous end lands exactly on the token.
    """
    pos = 0
    find = body.find
    for token in tokens:
        start = find(token, pos)
        pos = start + len(token)
        yield start, pos, token


def _span_key(span: EmoteSpan) -> tuple[int, int]:
    return span[0], span[1]


def clean_native_spans(body: str, native: Sequence[EmoteSpan]) -> list[EmoteSpan]:
    """Native spans that fit the body, sorted, without duplicates or overlaps (first one wins)."""
    size = len(body)
    ordered = sorted((span for span in native if 0 <= span[0] < span[1] <= size), key=_span_key)
    kept: list[EmoteSpan] = []
    last_end = 0
    for span in ordered:
        if span[0] >= last_end:
            kept.append(span)
            last_end = span[1]
    return kept


def emote_spans(body: str, native: Sequence[EmoteSpan] | None = None, extra_names: Iterable[str] = ()) -> list[EmoteSpan]:
    """Emote spans of ``body``: ``native`` spans plus tokens that are known emote names."""
    return list(EmoteMatcher(extra_names).match(body, native)[0])


def is_emote_only(body: str, spans: Sequence[EmoteSpan]) -> bool:
    """True when ``body`` is non-empty and every whitespace token is exactly one emote span."""
    tokens = body.split()
    if not tokens:
        return False
    covered = {(span[0], span[1]) for span in spans}
    return all((start, end) in covered for start, end, _ in _token_spans(body, tokens))


def parse_inclusive_ranges(body: str, emote_id: str | None, ranges: Iterable[str]) -> list[EmoteSpan]:
    """Spans from Twitch-style ``"begin-end"`` ranges (end inclusive, code points), skipping bad ones."""
    spans: list[EmoteSpan] = []
    size = len(body)
    for item in ranges:
        begin, sep, last = item.partition("-")
        if not sep or not begin.strip().isdigit() or not last.strip().isdigit():
            continue
        start, end = int(begin), int(last) + 1
        if 0 <= start < end <= size:
            spans.append((start, end, emote_id, body[start:end]))
    return spans
