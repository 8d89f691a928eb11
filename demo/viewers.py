"""A few hundred simulated viewers with realistic logins, display names, badges and latencies.

Each viewer gets their own stream latency (how far behind live their player runs), drawn
once: a real viewer's delay is stable over a stream, so their reactions are consistently
late, which is what an aligner has to cope with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ADJECTIVES = (
    "sleepy", "salty", "spicy", "lazy", "happy", "grumpy", "fuzzy", "tiny", "mega", "super", "silent", "cosmic",
    "quantum", "frozen", "golden", "soggy", "crispy", "rusty", "lucky", "turbo", "mighty", "noisy", "pixel",
    "retro", "shadow", "sneaky", "wild", "cool", "epic", "smol", "big", "angry", "chill", "wobbly", "funky",
    "brave", "clumsy", "cozy", "dizzy", "feral",
)  # fmt: skip
NOUNS = (
    "otter", "potato", "penguin", "waffle", "noodle", "goose", "cactus", "taco", "llama", "panda", "pickle",
    "toast", "wizard", "ninja", "dragon", "muffin", "badger", "moose", "gamer", "pirate", "frog", "duck", "bean",
    "cookie", "raccoon", "walrus", "turtle", "falcon", "hamster", "banana", "knight", "robot", "squid", "biscuit",
    "nugget", "yeti", "koala", "burrito", "pretzel", "comet",
)  # fmt: skip
NAMES = (
    "alex", "sam", "jordan", "chris", "mia", "liam", "noah", "emma", "max", "zoe", "leo", "kai", "nina", "omar",
    "ivan", "lena", "tom", "ana", "ben", "eli", "yuki", "raj", "sven", "lucas", "maria", "jake", "ruby", "finn",
    "ada", "theo",
)  # fmt: skip
COLORS = (
    "#FF0000", "#0000FF", "#008000", "#B22222", "#FF7F50", "#9ACD32", "#FF4500", "#2E8B57", "#DAA520",
    "#D2691E", "#5F9EA0", "#1E90FF", "#FF69B4", "#8A2BE2", "#00FF7F",
)  # fmt: skip
SUB_BADGE_TIERS = (0, 3, 6, 9, 12, 24, 36, 48)

LATENCY_MEAN_S = 2.5
LATENCY_SD_S = 0.6
LATENCY_MIN_S = 1.0


@dataclass(frozen=True)
class Viewer:
    """One chatter as the exports describe them."""

    login: str
    display_name: str
    user_id: str
    color: str | None
    role: str  # viewer | vip | mod | bot | raider
    sub_months: int  # 0 = not subscribed
    premium: bool
    activity: float  # relative chance of being the one who speaks
    latency_s: float  # stream latency: reactions come this much later than the audio

    @property
    def badges(self) -> list[tuple[str, str]]:
        """Badges in the order Twitch sends them (role first, then subscriber, then the rest)."""
        out: list[tuple[str, str]] = []
        if self.role in ("mod", "bot"):
            out.append(("moderator", "1"))
        if self.role == "vip":
            out.append(("vip", "1"))
        if self.sub_months:
            out.append(("subscriber", str(max(t for t in SUB_BADGE_TIERS if t <= self.sub_months))))
        if self.role == "bot":
            out.append(("partner", "1"))
        if self.premium:
            out.append(("premium", "1"))
        return out


def _login(rng: np.random.Generator) -> str:
    adj = ADJECTIVES[rng.integers(len(ADJECTIVES))]
    noun = NOUNS[rng.integers(len(NOUNS))]
    noun2 = NOUNS[rng.integers(len(NOUNS))]
    name = NAMES[rng.integers(len(NAMES))]
    digits = str(rng.integers(1, 10 ** int(rng.integers(1, 5))))
    patterns = (
        f"{adj}{noun}", f"{adj}_{noun}", f"{noun}{digits}", f"{name}{digits}", f"{name}_{noun}", f"x{noun}x",
        f"xx{noun}xx", f"the{noun}", f"{adj}{noun}{digits}", f"{noun}_{noun2}", f"{name}plays", f"{noun}tv",
        f"{name}_ttv", f"{adj}{name}", f"{noun}{noun2}{digits}",
    )  # fmt: skip
    return patterns[rng.integers(len(patterns))]


def _display(login: str, rng: np.random.Generator) -> str:
    """Twitch display names differ from the login only in case (for Latin names)."""
    roll = rng.random()
    if roll < 0.55:
        return login
    if roll < 0.88:
        parts = login.split("_")
        return "_".join(p[:1].upper() + p[1:] for p in parts)
    if roll < 0.95:
        return login.upper()
    return "".join(ch.upper() if rng.random() < 0.5 else ch for ch in login)


def make_viewers(rng: np.random.Generator, n: int = 300) -> list[Viewer]:
    """``n`` distinct viewers: ~30 % subs, 5 mods, 6 VIPs, heavy-tailed chattiness."""
    logins: list[str] = []
    seen: set[str] = set()
    while len(logins) < n:
        login = _login(rng)
        if 4 <= len(login) <= 25 and login not in seen:
            seen.add(login)
            logins.append(login)
    ids: set[int] = set()
    viewers = []
    roles = ["mod"] * 5 + ["vip"] * 6 + ["viewer"] * (n - 11)
    order = rng.permutation(n)
    for i, login in enumerate(logins):
        user_id = int(rng.integers(10_000_000, 999_999_999))
        while user_id in ids:
            user_id += 1
        ids.add(user_id)
        role = roles[int(order[i])]
        subbed = (role in ("mod", "vip") and rng.random() < 0.7) or rng.random() < 0.3
        viewers.append(
            Viewer(
                login=login,
                display_name=_display(login, rng),
                user_id=str(user_id),
                color=None if rng.random() < 0.15 else COLORS[rng.integers(len(COLORS))],
                role=role,
                sub_months=int(rng.geometric(0.08)) if subbed else 0,
                premium=bool(rng.random() < 0.15),
                activity=float(rng.lognormal(0.0, 1.0)),
                latency_s=float(max(LATENCY_MIN_S, rng.normal(LATENCY_MEAN_S, LATENCY_SD_S))),
            )
        )
    return viewers


BOTS = (
    Viewer("nightbot", "Nightbot", "19264788", "#7C7CE1", "bot", 0, False, 0.0, 0.0),
    Viewer("streamelements", "StreamElements", "100135110", "#5B99FF", "bot", 0, False, 0.0, 0.0),
)


def make_raiders(rng: np.random.Generator, n: int, taken: set[str]) -> list[Viewer]:
    """Viewers who arrive with a raid (not part of the regular audience)."""
    out = []
    while len(out) < n:
        login = _login(rng)
        if login in taken or not 4 <= len(login) <= 25:
            continue
        taken.add(login)
        out.append(
            Viewer(
                login=login,
                display_name=_display(login, rng),
                user_id=str(int(rng.integers(10_000_000, 999_999_999))),
                color=None if rng.random() < 0.2 else COLORS[rng.integers(len(COLORS))],
                role="raider",
                sub_months=0,
                premium=bool(rng.random() < 0.1),
                activity=1.0,
                latency_s=float(max(LATENCY_MIN_S, rng.normal(LATENCY_MEAN_S, LATENCY_SD_S))),
            )
        )
    return out
