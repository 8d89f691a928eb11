"""Fill text templates fast and deterministically, and make chat lines look typed.

A long stream needs about a million bodies.  Templates are parsed once into (literal, slot)
parts; slot values come from one stream of pre-drawn uniforms, so a body costs a few list
look-ups and one ``join`` and the same seed always yields the same text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

_SLOT = re.compile(r"\{([A-Za-z_0-9]+)\}")

Compiled = tuple[tuple[str, str | None], ...]


def compile_template(template: str) -> Compiled:
    """``"go {place} now"`` -> ``(("go ", "place"), (" now", None))``."""
    parts: list[tuple[str, str | None]] = []
    pos = 0
    for match in _SLOT.finditer(template):
        parts.append((template[pos : match.start()], match.group(1)))
        pos = match.end()
    parts.append((template[pos:], None))
    return tuple(parts)


def compile_all(templates: Sequence[str]) -> list[Compiled]:
    return [compile_template(t) for t in templates]


class Uniforms:
    """A deterministic supply of uniforms in [0, 1), drawn from ``rng`` in blocks."""

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._values: list[float] = []
        self._pos = 0

    def next(self) -> float:
        if self._pos >= len(self._values):
            self._values = self._rng.random(self._block).tolist()
            self._pos = 0
        value = self._values[self._pos]
        self._pos += 1
        return value

    def pick(self, pool: Sequence[str]) -> str:
        return pool[int(self.next() * len(pool))]


class SlotFiller:
    """Fills compiled templates from named pools; upper-case slot names give upper-case values."""

    def __init__(self, uniforms: Uniforms, pools: Mapping[str, Sequence[str]]) -> None:
        self.u = uniforms
        self.pools = dict(pools)

    def value(self, slot: str) -> str:
        pool = self.pools.get(slot)
        if pool is None:
            lower = slot.lower()
            if lower in self.pools and slot.isupper():
                return self.u.pick(self.pools[lower]).upper()
            if slot.endswith("2") and slot[:-1] in self.pools:
                pool = self.pools[slot[:-1]]
            else:
                raise KeyError(f"no pool for template slot {{{slot}}}")
        return pool[int(self.u.next() * len(pool))]

    def fill(self, parts: Compiled, given: Mapping[str, str] | None = None) -> str:
        out: list[str] = []
        for literal, slot in parts:
            out.append(literal)
            if slot is not None:
                if given is not None and slot in given:
                    out.append(given[slot])
                else:
                    out.append(self.value(slot))
        return "".join(out)


def weighted_pool(names: Sequence[str], weights: np.ndarray, size: int = 400) -> tuple[str, ...]:
    """Expand names into a pool where each appears about in proportion to its weight."""
    counts = np.maximum(1, np.round(weights / weights.sum() * size)).astype(int)
    return tuple(name for name, count in zip(names, counts.tolist()) for _ in range(count))


def typo(text: str, u: Uniforms) -> str:
    """Swap two neighbouring letters, or double one: the common slips of fast typing."""
    if len(text) < 4:
        return text
    i = 1 + int(u.next() * (len(text) - 2))
    if u.next() < 0.5 and text[i].isalpha() and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[: i + 1] + text[i] + text[i + 1 :]


def elongate(text: str, u: Uniforms) -> str:
    """Stretch the last vowel or letter of the text ("noo" -> "nooooo")."""
    for i in range(len(text) - 1, -1, -1):
        if text[i] in "aeiouy":
            return text[: i + 1] + text[i] * (2 + int(u.next() * 4)) + text[i + 1 :]
    return text


def usernames(rng: np.random.Generator, n: int, heads: Sequence[str], tails: Sequence[str], taken: set[str]) -> list[str]:
    """``n`` distinct Twitch-style logins (lower case, letters, digits, ``_``), none in ``taken``."""
    u = Uniforms(rng)
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        h, t = u.pick(heads), u.pick(tails)
        form = int(u.next() * 9)
        digits = str(int(u.next() * 10 ** (1 + int(u.next() * 4))))
        if form == 0:
            name = h + t
        elif form == 1:
            name = f"{h}_{t}"
        elif form in (2, 3):
            name = f"{h}{t}{digits}"
        elif form == 4:
            name = f"{t}{digits}"
        elif form == 5:
            name = f"xx{h}{t}xx"
        elif form == 6:
            name = f"the{h}{t}"
        elif form == 7:
            name = f"{t}_{u.pick(tails)}_{digits}"
        else:
            name = f"{h}{t}_{digits}"
        name = name[:25]
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def display_name(login: str, u: Uniforms) -> str:
    """Display names differ from logins only by case (as Twitch requires for Latin names)."""
    r = u.next()
    if r < 0.35:
        return login
    if r < 0.7:
        return login[:1].upper() + login[1:]
    if r < 0.9:
        return "_".join(part[:1].upper() + part[1:] for part in login.split("_"))
    return login.upper()
