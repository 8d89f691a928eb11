"""Every knob of a simulated stream, drawn per seed from wide ranges.

Filters and context windows are measured on streams nobody tuned them on, so every behaviour
is a parameter with a range much wider than any one channel: a tiny chat and a 70-message-a-
second one, viewers two seconds behind and ten, pastas every few minutes or never.  A test or
benchmark pins what it measures (``draw_params(seed, reaction_median_s=8)``) and lets the rest
vary.  Knobs that depend on others (chatter count, sub rate, cut positions) are derived after
pinned values are applied, so pinning the duration does not leave cuts past the end.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from dougchat_assets.dataset.params import DEFAULT_BOTS

from dougchat_sim.text_pools import RESPONDER_ACCOUNTS, TIMER_ACCOUNTS

REACTION_SHAPES = ("lognormal", "gamma", "shifted_exponential")
MAX_STRUCTURED_SHARE = 0.7  # shares and bursts are scaled down so ordinary chat keeps >= 30 %


@dataclass(frozen=True)
class StreamParams:
    """One stream's drawn knobs (times in seconds on the broadcast clock unless named otherwise)."""

    seed: int
    # --- clock
    duration_s: float  # broadcast length; chat spans [0, duration_s)
    chat_rate_msgs_per_s: float  # all chat rows (every label) per broadcast second
    started_at_utc_ms: int  # broadcast start (the VOD's started_at)
    late_start_s: float  # audio second 0 is this far into the broadcast
    drift_ppm: float  # audio runs (1 + drift) times broadcast time
    cuts: tuple[tuple[float, float], ...]  # (broadcast start, length) of ad stretches missing from the audio
    # --- chat volume over time
    rate_wobble: float  # log-sd of the slow random modulation of chat intensity
    rate_wobble_timescale_s: float
    start_ramp_s: float  # chat warms up over about this long
    # --- viewers
    n_chatters: int  # distinct viewer accounts (bots, raiders and helpers come on top)
    chattiness_skew: float  # Zipf exponent of messages per chatter
    sub_badge_share: float
    n_mods: int
    latency_median_s: float  # viewer stream latency: lognormal across viewers
    latency_sigma: float
    latency_jitter_s: float  # per-message wobble around a viewer's own latency
    # --- reactions to speech
    reaction_shape: str  # lognormal | gamma | shifted_exponential
    reaction_median_s: float
    reaction_spread: float  # lognormal sigma | gamma shape k | shifted-exponential shift / median
    reaction_share: float  # share of all rows that react to a transcript segment
    echo_share: float  # share of reactions that repeat words of the segment
    segment_heat_sigma: float  # how unevenly reactions pile onto segments (lognormal sigma)
    vote_calls_per_hour: float
    vote_turnout: float  # answers per call, as a fraction of one minute of chat volume
    # --- bots and commands
    bot_share: float  # rows by listed bots that are not command replies
    listed_bots: tuple[str, ...]  # accounts from DEFAULT_BOTS present in this chat
    timer_bots: tuple[str, ...]  # unlisted accounts posting on a timer
    timer_period_s: tuple[float, ...]  # one per timer bot
    timer_jitter_cv: float
    command_share: float  # viewer "!command" rows
    command_reply_prob: float
    reply_delay_median_s: float
    responders: tuple[str, ...]  # unlisted accounts that answer commands (may be empty)
    responder_unlisted_share: float  # share of command kinds answered by an unlisted responder
    # --- bursts
    copypasta_bursts_per_hour: float
    copypasta_burst_users: float  # mean participants per burst
    copypasta_window_s: float
    copypasta_edit_prob: float
    spam_bursts_per_hour: float
    spam_burst_users: float
    spam_window_s: float
    # --- emotes and text
    emote_only_share: float
    emote_wall_share: float
    emote_pool_size: int  # distinct emotes this channel's chat uses
    emote_popularity_skew: float
    trailing_emote_prob: float
    caps_prob: float
    typo_prob: float
    toxic_share: float
    troll_share: float  # share of chatters who post the toxic lines
    ordinary_profane_share: float  # plain chat with profanity not aimed at anyone (label ordinary)
    # --- system and moderation
    subs_per_hour: float
    gift_bomb_share: float
    n_raids: int
    raid_users: float
    notices_per_hour: float
    timeouts_per_hour: float
    bans_per_hour: float
    deletions_per_hour: float
    mode_changes_per_hour: float
    moderation_toxic_share: float  # share of timeouts/bans/deletions that hit toxic lines
    moderation_delay_median_s: float
    moderation_lookback_s: float  # a victim's rows this long before the action are labelled timed_out_user
    # --- transcript
    n_speakers: int  # 0: no speaker labels; 1: S0 or NULL; 2: S0/S1 turns
    speech_rate_wps: float
    pause_mean_s: float
    long_pause_prob: float
    segment_words_mean: float
    music_per_hour: float
    music_len_s: float
    low_confidence_share: float
    asr_error_rate: float  # words of 'ok' segments the transcript gets wrong

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def drift(self) -> float:
        return self.drift_ppm * 1e-6


FIELD_NAMES = tuple(f.name for f in dataclasses.fields(StreamParams))


def loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _raw_draws(rng: np.random.Generator) -> dict:
    """All random numbers, always in the same order, whatever is pinned later."""
    u = rng.uniform
    d: dict = {}
    d["duration_s"] = round(loguniform(rng, 1200.0, 18000.0), 1)
    d["chat_rate_msgs_per_s"] = round(loguniform(rng, 0.3, 80.0), 3)
    d["started_at_utc_ms"] = int(rng.integers(1_577_836_800_000, 1_780_000_000_000))
    d["late_start_s"] = round(u(0.0, 5.0) if rng.random() < 0.25 else u(5.0, 900.0), 3)
    d["drift_ppm"] = round(u(-400.0, 400.0), 2)
    d["_n_cuts"] = int(rng.choice(4, p=[0.35, 0.3, 0.2, 0.15]))
    d["_cut_fracs"] = rng.random(3)
    d["_cut_lens"] = rng.uniform(15.0, 240.0, 3)
    d["rate_wobble"] = round(u(0.0, 0.8), 3)
    d["rate_wobble_timescale_s"] = round(loguniform(rng, 30.0, 900.0), 1)
    d["start_ramp_s"] = round(u(0.0, 600.0), 1)
    d["_msgs_per_chatter"] = loguniform(rng, 3.0, 40.0)
    d["chattiness_skew"] = round(u(0.5, 1.5), 3)
    d["sub_badge_share"] = round(u(0.1, 0.7), 3)
    d["n_mods"] = int(rng.integers(2, 21))
    d["latency_median_s"] = round(u(1.5, 10.0), 3)
    d["latency_sigma"] = round(u(0.1, 0.7), 3)
    d["latency_jitter_s"] = round(u(0.0, 0.4), 3)
    d["reaction_shape"] = REACTION_SHAPES[int(rng.integers(0, 3))]
    d["reaction_median_s"] = round(u(1.0, 12.0), 3)
    d["_spread_u"] = rng.random()
    d["reaction_share"] = round(u(0.02, 0.3), 4)
    d["echo_share"] = round(u(0.1, 0.8), 3)
    d["segment_heat_sigma"] = round(u(0.3, 1.5), 3)
    d["vote_calls_per_hour"] = round(u(0.0, 6.0), 3)
    d["vote_turnout"] = round(loguniform(rng, 0.05, 0.6), 4)
    d["bot_share"] = round(u(0.0, 0.03), 4)
    n_bots = int(rng.integers(1, 4))
    d["listed_bots"] = tuple(str(b) for b in rng.choice(np.array(DEFAULT_BOTS), n_bots, replace=False))
    n_timers = int(rng.choice(4, p=[0.3, 0.35, 0.2, 0.15]))
    d["timer_bots"] = tuple(str(b) for b in rng.choice(np.array(TIMER_ACCOUNTS), n_timers, replace=False))
    d["timer_period_s"] = tuple(round(loguniform(rng, 120.0, 1800.0), 1) for _ in range(n_timers))
    d["timer_jitter_cv"] = round(u(0.0, 0.1), 4)
    d["command_share"] = round(u(0.0, 0.04), 4)
    d["command_reply_prob"] = round(u(0.3, 1.0), 3)
    d["reply_delay_median_s"] = round(u(0.3, 3.0), 3)
    n_resp = int(rng.choice(3, p=[0.4, 0.45, 0.15]))
    d["responders"] = tuple(str(b) for b in rng.choice(np.array(RESPONDER_ACCOUNTS), n_resp, replace=False))
    d["responder_unlisted_share"] = round(u(0.2, 1.0), 3) if n_resp else 0.0
    d["copypasta_bursts_per_hour"] = round(u(0.0, 8.0), 3)
    d["copypasta_burst_users"] = round(u(4.0, 50.0), 2)
    d["copypasta_window_s"] = round(u(8.0, 90.0), 2)
    d["copypasta_edit_prob"] = round(u(0.05, 0.6), 3)
    d["spam_bursts_per_hour"] = round(u(0.0, 12.0), 3)
    d["spam_burst_users"] = round(u(5.0, 80.0), 2)
    d["spam_window_s"] = round(u(2.0, 15.0), 2)
    d["emote_only_share"] = round(u(0.03, 0.3), 4)
    d["emote_wall_share"] = round(u(0.0, 0.04), 4)
    d["emote_pool_size"] = int(rng.integers(15, 81))
    d["emote_popularity_skew"] = round(u(0.6, 1.6), 3)
    d["trailing_emote_prob"] = round(u(0.03, 0.35), 3)
    d["caps_prob"] = round(u(0.0, 0.1), 3)
    d["typo_prob"] = round(u(0.0, 0.04), 4)
    d["toxic_share"] = round(u(0.0, 0.03), 4)
    d["troll_share"] = round(u(0.005, 0.05), 4)
    d["ordinary_profane_share"] = round(u(0.0, 0.06), 4)
    d["_sub_ratio"] = loguniform(rng, 0.001, 0.03)
    d["gift_bomb_share"] = round(u(0.0, 0.2), 3)
    d["n_raids"] = int(rng.choice(4, p=[0.4, 0.35, 0.15, 0.1]))
    d["raid_users"] = round(u(5.0, 100.0), 1)
    d["notices_per_hour"] = round(u(0.0, 6.0), 3)
    d["_mod_u"] = rng.random(3)
    d["mode_changes_per_hour"] = round(u(0.0, 1.5), 3)
    d["moderation_toxic_share"] = round(u(0.4, 0.95), 3)
    d["moderation_delay_median_s"] = round(u(3.0, 40.0), 2)
    d["moderation_lookback_s"] = round(u(60.0, 600.0), 1)
    d["n_speakers"] = int(rng.integers(0, 3))
    d["speech_rate_wps"] = round(u(2.0, 3.8), 3)
    d["pause_mean_s"] = round(u(0.3, 3.0), 3)
    d["long_pause_prob"] = round(u(0.02, 0.15), 3)
    d["segment_words_mean"] = round(u(6.0, 22.0), 2)
    d["music_per_hour"] = round(u(0.0, 3.0), 3)
    d["music_len_s"] = round(u(40.0, 400.0), 1)
    d["low_confidence_share"] = round(u(0.0, 0.15), 4)
    d["asr_error_rate"] = round(u(0.0, 0.05), 4)
    return d


def _spread(shape: str, unit: float) -> float:
    if shape == "lognormal":
        return round(0.25 + 0.65 * unit, 4)  # sigma
    if shape == "gamma":
        return round(1.5 + 6.5 * unit, 4)  # shape k
    return round(0.2 + 0.6 * unit, 4)  # shift as a fraction of the median


def _cuts(raw: dict, duration: float, late: float) -> tuple[tuple[float, float], ...]:
    """Place up to three ad cuts between late start + 5 min and the end - 5 min, without overlap."""
    lo, hi = max(late, 0.0) + 300.0, duration - 300.0
    cuts: list[tuple[float, float]] = []
    for i in range(raw["_n_cuts"]):
        length = float(raw["_cut_lens"][i])
        start = lo + float(raw["_cut_fracs"][i]) * (hi - lo - length)
        if hi - lo - length <= 0:
            continue
        if all(start + length + 30.0 < s or start > s + n + 30.0 for s, n in cuts):
            cuts.append((round(start, 3), round(length, 3)))
    return tuple(sorted(cuts))


def draw_params(seed: int, **fixed: object) -> StreamParams:
    """Draw a stream's knobs for ``seed``; ``fixed`` pins any of them (unknown names raise)."""
    unknown = sorted(set(fixed) - set(FIELD_NAMES) - {"seed"})
    if unknown:
        raise TypeError(f"unknown stream knob(s): {', '.join(unknown)}")
    rng = np.random.default_rng([int(seed), 0x5EED])
    raw = _raw_draws(rng)
    values = {k: v for k, v in raw.items() if not k.startswith("_")}
    values.update({k: v for k, v in fixed.items() if k in values})
    duration = float(values["duration_s"])
    rate = float(values["chat_rate_msgs_per_s"])
    if duration < 60.0:
        raise ValueError(f"duration_s must be at least 60 s, got {duration}")
    if rate <= 0.0:
        raise ValueError(f"chat_rate_msgs_per_s must be positive, got {rate}")
    if "late_start_s" not in fixed:  # a 10-minute stream cannot start 15 minutes late
        values["late_start_s"] = round(min(float(values["late_start_s"]), 0.25 * duration), 3)
    if not -duration < float(values["late_start_s"]) < duration:
        raise ValueError(f"late_start_s must lie within the stream (+-{duration} s), got {values['late_start_s']}")
    total = rate * duration
    derived = {
        "seed": int(seed),
        "cuts": _cuts(raw, duration, float(values["late_start_s"])),
        "reaction_spread": _spread(str(values["reaction_shape"]), raw["_spread_u"]),
        "n_chatters": int(min(250_000, max(20, round(total / raw["_msgs_per_chatter"])))),
        "subs_per_hour": round(raw["_sub_ratio"] * rate * 3600.0 * 0.2, 3),
        "timeouts_per_hour": round(float(raw["_mod_u"][0]) * (2.0 + 3.0 * math.sqrt(rate)), 3),
        "bans_per_hour": round(float(raw["_mod_u"][1]) * (0.5 + 0.5 * math.sqrt(rate)), 3),
        "deletions_per_hour": round(float(raw["_mod_u"][2]) * (3.0 + 4.0 * math.sqrt(rate)), 3),
    }
    # Bursts cannot outnumber the chat they happen in: at most ~20-30 s of chat per burst.
    derived_caps = {
        "copypasta_burst_users": min(float(values["copypasta_burst_users"]), max(3.0, rate * 20.0)),
        "spam_burst_users": min(float(values["spam_burst_users"]), max(4.0, rate * 30.0)),
        "raid_users": min(float(values["raid_users"]), max(5.0, rate * 30.0)),
    }
    for key, value in derived_caps.items():
        if key not in fixed:
            values[key] = round(value, 2)
    for key, value in derived.items():
        if key not in fixed:
            values[key] = value
        else:
            values[key] = fixed[key]
    _keep_ordinary_room(values, fixed)
    return StreamParams(**{name: values[name] for name in FIELD_NAMES})


def _keep_ordinary_room(values: dict, fixed: dict) -> None:
    """Scale unpinned shares and burst rates down when they would leave too little plain chat."""
    hourly = values["chat_rate_msgs_per_s"] * 3600.0
    shares = ("reaction_share", "bot_share", "command_share", "emote_only_share", "emote_wall_share", "toxic_share")
    bursts = (("copypasta_bursts_per_hour", "copypasta_burst_users"), ("spam_bursts_per_hour", "spam_burst_users"))
    structured = sum(values[k] for k in shares) + values["command_share"] * values["command_reply_prob"]
    structured += sum(values[r] * values[n] / hourly for r, n in bursts)
    structured += values["vote_calls_per_hour"] * values["vote_turnout"] * 60.0 / 3600.0
    structured += (values["subs_per_hour"] * (1 + values["gift_bomb_share"] * 10) + values["notices_per_hour"]) / hourly
    if structured <= MAX_STRUCTURED_SHARE:
        return
    factor = MAX_STRUCTURED_SHARE / structured
    for key in (*shares, "copypasta_bursts_per_hour", "spam_bursts_per_hour", "vote_calls_per_hour", "subs_per_hour"):
        if key not in fixed:
            values[key] = round(values[key] * factor, 4)


# ----------------------------------------------------------------------------- distributions
def gamma_median_unit(k: float) -> float:
    """Median of Gamma(k, scale 1) (Berg & Pedersen series; < 0.1 % off for k >= 1)."""
    return k - 1.0 / 3.0 + 8.0 / (405.0 * k) + 184.0 / (25515.0 * k * k) + 2248.0 / (3444525.0 * k**3)


def sample_reaction(rng: np.random.Generator, params: StreamParams, n: int) -> np.ndarray:
    """Reaction times (seconds from the end of the words heard to the message being sent)."""
    median, spread = params.reaction_median_s, params.reaction_spread
    if params.reaction_shape == "lognormal":
        return np.exp(rng.normal(math.log(median), spread, n))
    if params.reaction_shape == "gamma":
        return rng.gamma(spread, median / gamma_median_unit(spread), n)
    if params.reaction_shape == "shifted_exponential":
        shift = spread * median
        return shift + rng.exponential((median - shift) / math.log(2.0), n)
    raise ValueError(f"unknown reaction shape {params.reaction_shape!r}")


def sample_latency(rng: np.random.Generator, params: StreamParams, n: int) -> np.ndarray:
    """Per-viewer stream latency: lognormal around the drawn median, at least 0.3 s."""
    return np.maximum(0.3, np.exp(rng.normal(math.log(params.latency_median_s), params.latency_sigma, n)))
