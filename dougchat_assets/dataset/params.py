"""Every knob of the dataset stage: chat filters (with named presets), pair building, splits.

One place per parameter: the filters, the pair builder, the assets, the manifest and the
benchmarks all read these models.  Each model hashes its own content, and that hash goes
into pair rows and split versions, so a change of any knob is visible in the lineage.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.dataset.toxicity import insult_patterns, read_insult_lexicon
from dougchat_assets.errors import InputError

# Accounts that are bots on most channels.  Extend per channel in configuration
# (``FilterParams.extra_bots``): nothing here is specific to one streamer.
DEFAULT_BOTS: tuple[str, ...] = (
    "nightbot", "streamelements", "moobot", "fossabot", "streamlabs", "wizebot", "soundalerts",
    "sery_bot", "botisimo", "deepbot", "coebot", "phantombot", "ankhbot", "vivbot", "pokemoncommunitygame",
    "streamlootsbot", "kofistreambot", "blerp", "tangiabot", "own3d", "creatisbot", "songlistbot",
    "commanderroot", "streamcaptainbot", "lolrankbot", "supibot", "potatbotat", "fembajbot",
)


def read_pattern_file(name: str) -> tuple[str, ...]:
    """RE2 patterns from a bundled data file of this package: one a line, "#" starts a comment line."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def file_sha256(path: str | Path) -> str:
    """sha256 of a configuration file's bytes (a missing file is an error naming it)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as error:
        raise InputError(str(path), f"cannot read: {error.strerror or error}") from error


# The targeted-insult screen: the bundled lexicon (``dataset/insult_lexicon.txt``) compiled to
# RE2 patterns on *normalised* text.  Configuration adds a community lexicon file
# (``FilterParams.insult_lexicon``) or raw patterns (``FilterParams.insult_patterns``); the
# params hash covers the lexicons' content, so editing a file is a visible change.
DEFAULT_INSULT_PATTERNS: tuple[str, ...] = insult_patterns(read_insult_lexicon())
BUNDLED_INSULT_LEXICON_SHA256: str = hashlib.sha256(
    resources.files(__package__).joinpath("insult_lexicon.txt").read_bytes()
).hexdigest()

# Announcements a timer bot posts (links, discount codes, "!command" hints, follow / discord /
# schedule reminders).  RE2 on the lower-cased *raw* body (normalisation would delete the "."
# of a link and the "!" of a command).  An account whose every message is a long line like
# this is a bot even when it posts once in the stream; see ``dataset/promo_lexicon.txt``.
DEFAULT_PROMO_PATTERNS: tuple[str, ...] = read_pattern_file("promo_lexicon.txt")


def stable_hash(payload: object, length: int = 16) -> str:
    """Hex sha256 of a JSON rendering with sorted keys (same content, same hash, any process)."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


class _Hashed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def params_hash(self) -> str:
        return stable_hash(self.model_dump(mode="json"))


class FilterParams(_Hashed):
    """The chat filters, in the order they run (see :mod:`dougchat_assets.dataset.filters`)."""

    preset: str = "default"
    # bots: a name list plus accounts that behave like timers (regular, repeating, announcing)
    bots: tuple[str, ...] = DEFAULT_BOTS
    extra_bots: tuple[str, ...] = ()
    timer_min_messages: int = Field(4, ge=3, description="a timer account posts at least this many times")
    timer_min_gap_s: float = Field(20.0, description="...with a median gap at least this long")
    timer_max_gap_cv: float = Field(0.25, description="...and gaps this regular (sd / mean)")
    timer_max_distinct_share: float = Field(0.5, description="...repeating a few texts (distinct / total)")
    timer_repeat_min_tokens: int = Field(
        5, ge=1, description="an account whose messages all have this many words and repeat a text..."
    )
    timer_repeat_min_gap_s: float = Field(60.0, description="...never two within this many seconds, is a timer bot")
    repeat_bot_min: int = Field(5, ge=2, description="an account posting one long text this often...")
    repeat_bot_share: float = Field(0.1, ge=0, le=1, description="...and as this share of its lines is a bot")
    promo_patterns: tuple[str, ...] = Field(
        DEFAULT_PROMO_PATTERNS, description="RE2 on the lower-cased body: what timer announcements say"
    )
    timer_promo_min_tokens: int = Field(
        5, ge=1, description="an account posting only announcements at least this long is a timer bot"
    )
    # commands and the replies they trigger
    command_reply_window_s: float = Field(5.0, description="a message this soon after a !command may be its answer")
    command_responder_min: int = Field(2, description="an account answering commands at least this often...")
    command_responder_share: float = Field(0.9, description="...with this share of its messages is a responder bot")
    command_timing_max_chance: float = Field(
        0.5, ge=0.0, le=1.0, description="...counted only where other accounts' share is at most this"
    )
    command_mention_share: float = Field(
        0.25, description="...or one naming the command's author in this share of its messages"
    )
    command_responder_max_p: float = Field(
        0.001, gt=0.0, le=1.0,
        description="...if that many answers are this unlikely by chance (binomial tail; chance = other accounts' share)",
    )
    # moderation
    moderation_lookback_s: float = Field(300.0, description="drop a user's messages this long before a timeout/ban")
    # copypasta: long texts by MinHash cluster, capped wherever they come
    copypasta_max_per_window: int = Field(1, ge=1, description="copies of a copypasta kept per window")
    copypasta_window_s: float = 120.0
    near_dup_min_tokens: int = Field(6, description="a copypasta has at least this many words...")
    copypasta_min_chars: int = Field(80, ge=0, description="...and this many characters (normalised)")
    near_dup_threshold: float = Field(0.6, description="MinHash Jaccard for near-duplicates")
    # spam bursts: other texts by their words (emotes and repeated words ignored: "+1 +1 LUL" is "+1")
    spam_max_per_window: int = Field(3, ge=1, description="copies of a short text kept per window in a burst")
    spam_window_s: float = 10.0
    # a spam text is capped only where it is denser than its own background rate, so that "W"
    # or "LUL" at 25 messages a second is chat, not spam.  Cap = max(spam_max_per_window,
    # burst_excess * mu + burst_sigmas * sqrt(mu)), mu = the text's count outside this moment
    # (the window either side) scaled to one window.
    burst_excess: float = Field(5.0, ge=0.0, description="a burst is this many times the text's background rate...")
    burst_sigmas: float = Field(3.0, ge=0.0, description="...plus this many Poisson standard deviations")
    # per-user rate limit: a flood, not a chatty viewer
    user_max_per_window: int = Field(5, ge=1)
    user_window_s: float = 10.0
    # emotes
    emote_only_keep_rate: float = Field(0.3, ge=0.0, le=1.0, description="the emote density knob")
    emote_only_weight: float = Field(0.5, ge=0.0)
    emote_wall_min: int = Field(5, description="this many emote tokens make a wall...")
    emote_wall_keep: int = Field(3, description="...collapsed to at most this many repeats per emote")
    # text
    max_reply_chars: int = Field(300, description="longer replies are dropped (Twitch caps at 500)")
    # toxicity: the profanity model's probability OR the targeted-insult screen
    toxicity_threshold: float = Field(0.8, ge=0.0, le=1.0)
    bundled_insult_lexicon: bool = Field(True, description="screen with the bundled dataset/insult_lexicon.txt")
    insult_lexicon: str | None = Field(
        None, description="path of a community insult lexicon (insult_lexicon.txt format), screened in addition"
    )
    insult_patterns: tuple[str, ...] = Field(
        (), description="more RE2 patterns on normalised text, screened in addition to the lexicons"
    )
    drop_insulters: bool = Field(
        True, description="an account that posts a screened insult loses every message of the VOD (a troll)"
    )

    def params_hash(self) -> str:
        """The content hash; the insult lexicons count by their content, not their path."""
        payload = self.model_dump(mode="json")
        payload["insult_lexicons_sha256"] = [
            BUNDLED_INSULT_LEXICON_SHA256 if self.bundled_insult_lexicon else None,
            None if self.insult_lexicon is None else file_sha256(self.insult_lexicon),
        ]
        return stable_hash(payload)

    @property
    def all_insult_patterns(self) -> tuple[str, ...]:
        """What the insult screen runs: bundled lexicon, community lexicon, extra patterns."""
        patterns = list(DEFAULT_INSULT_PATTERNS) if self.bundled_insult_lexicon else []
        if self.insult_lexicon is not None:
            patterns.extend(insult_patterns(read_insult_lexicon(self.insult_lexicon)))
        return (*patterns, *self.insult_patterns)

    @property
    def bot_names(self) -> frozenset[str]:
        return frozenset(name.lower() for name in (*self.bots, *self.extra_bots))


FILTER_PRESETS: dict[str, FilterParams] = {
    "strict": FilterParams(
        preset="strict", copypasta_max_per_window=1, copypasta_window_s=300.0, spam_max_per_window=2,
        burst_excess=3.0, user_max_per_window=3, user_window_s=20.0, emote_only_keep_rate=0.1,
        emote_only_weight=0.3, emote_wall_min=4, emote_wall_keep=2, max_reply_chars=200, toxicity_threshold=0.6,
        near_dup_threshold=0.5,
    ),
    "default": FilterParams(),
    "loose": FilterParams(
        preset="loose", copypasta_max_per_window=3, copypasta_window_s=60.0, spam_max_per_window=6,
        burst_excess=8.0, user_max_per_window=8, user_window_s=10.0, emote_only_keep_rate=0.8,
        emote_only_weight=0.8, emote_wall_min=8, emote_wall_keep=4, max_reply_chars=500, toxicity_threshold=0.93,
        near_dup_threshold=0.8, drop_insulters=False,
    ),
}


def filter_preset(name: str, **overrides: object) -> FilterParams:
    """A named preset, optionally with some knobs changed (the hash records the result)."""
    if name not in FILTER_PRESETS:
        raise ValueError(f"unknown filter preset {name!r}: choose one of {', '.join(FILTER_PRESETS)}")
    return FILTER_PRESETS[name].model_copy(update=overrides) if overrides else FILTER_PRESETS[name]
