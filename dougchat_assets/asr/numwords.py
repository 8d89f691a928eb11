"""Numbers as English words, for WER normalisation ("10" and "ten" must count as a match).

Whisper writes digits ("10 rounds", "1st", "2024") where a script or a human reference may
spell them out, and the other way round.  Spelling every number out on both sides makes
the two forms equal.  Four-digit numbers from 1100 to 2099 that are not whole hundreds are
read the way people say years ("1999" -> "nineteen ninety nine", "2005" -> "two thousand
five"), because in speech they almost always are.
"""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def cardinal(n: int) -> str:
    """``cardinal(21) == "twenty one"`` (no hyphens, no "and": WER compares words)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + cardinal(rest))
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return cardinal(head) + " " + name + ("" if rest == 0 else " " + cardinal(rest))
    raise AssertionError("unreachable")


def year_or_cardinal(n: int) -> str:
    """Four-digit years the spoken way; everything else as :func:`cardinal`."""
    if 1100 <= n <= 2099 and n % 100 != 0 and not 2000 <= n <= 2009:
        head, tail = divmod(n, 100)
        return cardinal(head) + " " + (("oh " + _ONES[tail]) if tail < 10 else cardinal(tail))
    return cardinal(n)


def ordinal(n: int) -> str:
    """``ordinal(21) == "twenty first"``."""
    words = cardinal(n).split()
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)
