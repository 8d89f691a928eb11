"""Who is in chat, when they watch, how far behind they are, and when chat is busy.

Chatters follow a Zipf-like activity curve (a few regulars write much of the chat), each
watches one session of the stream, and each has a stream latency of their own.  Message times
come from one intensity curve (a warm-up, then slow random swings) restricted to the sender's
session, by inverse-CDF sampling, so a million messages need no per-message loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.dataset.params import DEFAULT_BOTS

from dougchat_sim import text_pools as tp
from dougchat_sim.params import StreamParams, sample_latency
from dougchat_sim.textgen import Uniforms, display_name, usernames

# Account kinds (Users.kind)
VIEWER, LISTED_BOT, TIMER_BOT, RESPONDER, RAIDER, NEWCOMER = range(6)
MAX_USER_RATE = 0.15  # messages per second a chatter keeps up over their session


@dataclass
class Users:
    login: list[str]
    display: list[str]
    user_id: list[str]
    badges: list[list[str]]
    kind: np.ndarray  # int8, one of the kinds above
    weight: np.ndarray  # relative chattiness (viewers only; 0 for others)
    latency: np.ndarray  # seconds behind the broadcast (NaN for non-viewers)
    session_start: np.ndarray  # broadcast seconds
    session_end: np.ndarray
    is_mod: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.login)

    def add(
        self, rng: np.random.Generator, logins: list[str], kind: int, badges: list[str], start: float, end: float,
        latency: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append accounts that are not ordinary viewers; return their indices."""
        first = len(self.login)
        u = Uniforms(rng)
        self.login += logins
        self.display += [display_name(login, u) for login in logins]
        self.user_id += [str(x) for x in rng.integers(10_000_000, 999_999_999, len(logins)).tolist()]
        self.badges += [list(badges) for _ in logins]
        n = len(logins)
        self.kind = np.r_[self.kind, np.full(n, kind, np.int8)]
        self.weight = np.r_[self.weight, np.zeros(n)]
        self.latency = np.r_[self.latency, np.full(n, np.nan) if latency is None else latency]
        self.session_start = np.r_[self.session_start, np.full(n, start)]
        self.session_end = np.r_[self.session_end, np.full(n, end)]
        self.is_mod = np.r_[self.is_mod, np.full(n, kind in (LISTED_BOT, RESPONDER, TIMER_BOT))]
        return np.arange(first, first + n)


def _unique_ids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.integers(10_000_000, 999_999_999, int(n * 1.05) + 16)
    _, first = np.unique(raw, return_index=True)
    return [str(x) for x in raw[np.sort(first)[:n]].tolist()]


def make_viewers(params: StreamParams, rng: np.random.Generator) -> Users:
    """The chatting viewers: names, badges, activity weights, sessions and latencies."""
    n = params.n_chatters
    duration = params.duration_s
    reserved = set(tp.TIMER_ACCOUNTS + tp.RESPONDER_ACCOUNTS + tp.RAIDER_CHANNELS + DEFAULT_BOTS)
    logins = usernames(rng, n, tp.NAME_HEADS, tp.NAME_TAILS, taken=reserved)
    u = Uniforms(rng)
    displays = [display_name(login, u) for login in logins]
    ranks = rng.permutation(n) + 1
    weight = ranks.astype(np.float64) ** -params.chattiness_skew
    # Sessions: regulars stay longer.  A session may begin before the stream or end after it
    # (then it is cut there), so viewers are spread evenly over the stream, not piled mid-way.
    rank_share = weight / weight.max()
    length = np.clip(rng.beta(1.2, 1.8, n) + 0.5 * rank_share, 0.03, 1.0) * duration
    begin = rng.random(n) * (duration + length) - length
    start = np.clip(begin, 0.0, duration - 60.0)
    length = np.maximum(np.minimum(begin + length, duration) - start, 60.0)
    # ``weight`` so far is a rate while present; a chatter's share of messages is rate x time present.
    weight = _cap_weights(weight * length, length, params.chat_rate_msgs_per_s * duration)
    latency = sample_latency(rng, params, n)
    is_mod = np.zeros(n, dtype=bool)
    is_mod[np.argsort(-weight, kind="stable")[: min(params.n_mods, n)]] = True
    sub = rng.random(n) < params.sub_badge_share
    months = rng.integers(1, 61, n)
    extra = rng.random(n)
    badges: list[list[str]] = []
    for i in range(n):
        b: list[str] = []
        if is_mod[i]:
            b.append("moderator/1")
        elif extra[i] < 0.02:
            b.append("vip/1")
        if sub[i]:
            b.append(f"subscriber/{int(months[i])}")
        if 0.02 <= extra[i] < 0.1:
            b.append("premium/1")
        elif 0.1 <= extra[i] < 0.14:
            b.append("bits/100")
        badges.append(b)
    return Users(
        login=logins, display=displays, user_id=_unique_ids(rng, n), badges=badges,
        kind=np.full(n, VIEWER, np.int8), weight=weight, latency=latency,
        session_start=start, session_end=start + length, is_mod=is_mod,
    )


def _cap_weights(weight: np.ndarray, session_len: np.ndarray, total: float) -> np.ndarray:
    """Keep any one chatter under MAX_USER_RATE over their session (Twitch rate limits, fingers)."""
    cap = MAX_USER_RATE * session_len / max(total, 1.0)
    w = weight / weight.sum()
    for _ in range(8):
        over = w > cap
        if not over.any():
            break
        excess = (w[over] - cap[over]).sum()
        w[over] = cap[over]
        free = ~over & (w < cap)
        if not free.any():
            break
        w[free] += excess * w[free] / w[free].sum()
    return w


class Intensity:
    """Chat intensity over the broadcast on a 1-second grid, with its normalised cumulative."""

    def __init__(self, params: StreamParams, rng: np.random.Generator) -> None:
        n = int(np.ceil(params.duration_s)) + 1
        grid = np.arange(n, dtype=np.float64)
        noise = rng.normal(0.0, 1.0, n)
        width = max(params.rate_wobble_timescale_s, 1.0)
        kernel_x = np.arange(-int(3 * width), int(3 * width) + 1)
        kernel = np.exp(-0.5 * (kernel_x / width) ** 2)
        size = 1 << int(np.ceil(np.log2(n + kernel.size)))
        smooth = np.fft.irfft(np.fft.rfft(noise, size) * np.fft.rfft(kernel, size), size)[kernel.size // 2 : kernel.size // 2 + n]
        smooth = smooth / max(smooth.std(), 1e-12)
        ramp = 1.0 - 0.85 * np.exp(-grid / max(params.start_ramp_s, 1.0))
        lam = ramp * np.exp(params.rate_wobble * smooth)
        self.grid = np.minimum(grid, params.duration_s)
        cum = np.concatenate(([0.0], np.cumsum(lam[:-1])))
        self.cdf = cum / cum[-1]

    def cdf_at(self, t: np.ndarray) -> np.ndarray:
        return np.interp(t, self.grid, self.cdf)

    def place(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """One time per row, distributed like chat intensity within [lo, hi] broadcast seconds."""
        c0, c1 = self.cdf_at(lo), self.cdf_at(hi)
        return np.interp(c0 + rng.random(len(lo)) * (c1 - c0), self.cdf, self.grid)


def pick_users(rng: np.random.Generator, weight: np.ndarray, pool: np.ndarray, count: int) -> np.ndarray:
    """``count`` senders drawn from ``pool`` in proportion to ``weight`` (with repeats)."""
    if count <= 0 or pool.size == 0:
        return np.zeros(0, dtype=np.int64)
    p = weight[pool]
    p = p / p.sum() if p.sum() > 0 else np.full(pool.size, 1.0 / pool.size)
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    return pool[np.searchsorted(cdf, rng.random(count), side="right").clip(0, pool.size - 1)]


def pick_distinct(rng: np.random.Generator, weight: np.ndarray, pool: np.ndarray, count: int) -> np.ndarray:
    """Up to ``count`` different senders from ``pool``, favouring heavy weights (Gumbel top-k)."""
    count = min(count, pool.size)
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(np.maximum(weight[pool], 1e-300)) + rng.gumbel(size=pool.size)
    return pool[np.argsort(-keys, kind="stable")[:count]]
