"""The knobs of a simulated VOD for the alignment estimator, drawn per seed from wide ranges.

The estimator must hold on streams it was not tuned on, so nothing here is taken from its
lag model (``dougchat_assets.align.lag``): reaction delays, latency, chat mix and speech come
from :func:`dougchat_sim.params.draw_params`, and this module adds what only alignment
needs, over ranges wider than any one channel:

* VOD length 3 min - 4 h, chat 0.2 - 30 messages a second, late start 0 - 10 min,
  clock drift +-2000 ppm, 0 - 3 ad cuts (placed by audio position, so a pinned length or
  a short VOD never leaves a cut past the end);
* where the chat export begins: the whole broadcast, or shortly before the audio;
* the chat export format (TwitchDownloader, chat_downloader, IRC, Chatterino's whole
  seconds);
* anchors: a "starting soon" countdown on some streams;
* read-alouds: the streamer reading chat messages on some streams, a few seconds after
  they arrive;
* ASR noise on top of the transcript's own errors: timing jitter, dropped and misspelt
  words, number words written as digits;
* energy levels of silence, speech, music and the countdown.

All random numbers are drawn in one fixed order whatever is pinned, so pinning one knob
keeps every other knob of that seed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from dougchat_sim.params import FIELD_NAMES, StreamParams, loguniform, draw_params

EXPORT_FORMATS = ("twitchdownloader", "chat_downloader", "irc", "chatterino")


@dataclass(frozen=True)
class AlignmentKnobs:
    """What the alignment layer adds to a stream's :class:`StreamParams` (seconds unless named)."""

    audio_duration_s: float  # the VOD's audio length
    n_cuts: int  # ad cuts asked for (``cut_lengths_s`` holds those that fit)
    cut_lengths_s: tuple[float, ...]
    cut_audio_points_s: tuple[float, ...]  # audio second at which each cut's gap sits
    export_format: str
    chat_start_s: float  # broadcast second the chat export begins (0: the whole broadcast)
    lag_offset_s: float  # added to every speech-driven message's delay (prior-mismatch experiments)
    countdown: bool  # a "starting soon" music stretch ending in a loud "ten ... one, let's go"
    countdown_at_s: float  # audio second the countdown starts (when there is one)
    countdown_turnout: float  # mean hype messages answering it
    read_alouds: int  # chat messages the streamer reads aloud
    read_delay_s: float  # broadcast seconds from a message arriving to the streamer starting to read it
    read_delay_jitter_s: float  # per-message spread around ``read_delay_s``
    read_prefix_prob: float  # share of reads introduced ("<name> says ...")
    asr_jitter_s: float  # sd of word start/end timing noise
    asr_drop_rate: float  # words the recogniser leaves out
    asr_misspell_rate: float  # words with one letter wrong
    digit_share: float  # number words written as digits ("1" for "one")
    noise_floor_db: float
    speech_db: float
    music_db: float
    loud_db: float

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


KNOB_NAMES = tuple(f.name for f in dataclasses.fields(AlignmentKnobs))
_PIN_NAMES = (frozenset(FIELD_NAMES) | frozenset(KNOB_NAMES) | {"seed"}) - {"cut_audio_points_s"}


def _raw(rng: np.random.Generator) -> dict:
    """Every random number, always in the same order."""
    u = rng.uniform
    d: dict = {}
    d["audio_duration_s"] = round(loguniform(rng, 180.0, 14400.0), 1)
    d["chat_rate_msgs_per_s"] = round(loguniform(rng, 0.2, 30.0), 3)
    d["late_start_s"] = round(u(0.0, 5.0) if rng.random() < 0.25 else u(5.0, 600.0), 3)
    d["drift_ppm"] = round(u(-2000.0, 2000.0), 1)
    d["n_cuts"] = int(rng.choice(4, p=[0.4, 0.3, 0.2, 0.1]))
    d["_cut_lens"] = rng.uniform(15.0, 240.0, 3)
    d["_cut_u"] = rng.random(3)
    d["export_format"] = EXPORT_FORMATS[int(rng.integers(0, len(EXPORT_FORMATS)))]
    d["countdown"] = bool(rng.random() < 0.4)
    d["_countdown_u"] = rng.random()
    d["countdown_turnout"] = round(loguniform(rng, 8.0, 80.0), 2)
    d["read_alouds"] = 0 if rng.random() < 0.5 else int(round(loguniform(rng, 1.0, 30.0)))
    d["read_delay_s"] = round(u(1.0, 8.0), 3)
    d["read_delay_jitter_s"] = round(u(0.0, 1.0), 3)
    d["read_prefix_prob"] = round(u(0.0, 0.6), 3)
    d["asr_jitter_s"] = round(u(0.0, 0.15), 4)
    d["asr_drop_rate"] = round(u(0.0, 0.06), 4)
    d["asr_misspell_rate"] = round(u(0.0, 0.04), 4)
    d["digit_share"] = round(u(0.0, 1.0), 3)
    d["noise_floor_db"] = round(u(-62.0, -42.0), 2)
    d["speech_db"] = round(u(-28.0, -14.0), 2)
    d["_music_below"] = u(2.0, 12.0)
    d["_loud_above"] = u(6.0, 14.0)
    d["_chat_lead"] = None if rng.random() < 0.5 else u(0.0, 120.0)
    return d


def _cut_points(audio: float, n: int, unit: np.ndarray, lo: float) -> tuple[float, ...]:
    """Stratified audio positions in [lo, 0.9 x audio]: apart by construction, fixed draws."""
    hi = 0.9 * audio
    if n == 0 or hi - lo < 20.0 * n:
        return ()
    width = (hi - lo) / n
    return tuple(round(lo + width * (k + 0.2 + 0.6 * float(unit[k])), 3) for k in range(n))


def draw_alignment_params(seed: int, **pins: object) -> tuple[StreamParams, AlignmentKnobs]:
    """Draw a VOD's stream knobs and alignment knobs for ``seed``; ``pins`` fixes any of them.

    Pins may name any :class:`StreamParams` field or :class:`AlignmentKnobs` field.  The VOD
    length is the audio's (``audio_duration_s``); pinning the broadcast ``duration_s``
    instead derives the audio from it.  Pinning ``cuts`` (broadcast start, length) needs
    ``duration_s`` pinned too, since cut positions only mean something on a known broadcast.
    """
    unknown = sorted(set(pins) - _PIN_NAMES)
    if unknown:
        raise TypeError(f"unknown VOD knob(s): {', '.join(unknown)}")
    if "cuts" in pins and "duration_s" not in pins:
        raise TypeError("pinning cuts needs duration_s pinned too")
    if "duration_s" in pins and "audio_duration_s" in pins:
        raise TypeError("pin either duration_s (broadcast) or audio_duration_s (VOD), not both")
    rng = np.random.default_rng([int(seed), 0xA11C])
    raw = _raw(rng)
    v = {k: val for k, val in raw.items() if not k.startswith("_")}
    v.update({k: val for k, val in pins.items() if k in v})
    drift = float(pins.get("drift_ppm", v["drift_ppm"])) * 1e-6
    late = float(pins.get("late_start_s", v["late_start_s"]))
    if abs(drift) >= 0.05:
        raise ValueError(f"drift_ppm must lie within +-50000, got {drift * 1e6}")
    n_cuts = int(v["n_cuts"])
    if not 0 <= n_cuts <= 3:
        raise ValueError(f"n_cuts must be 0-3, got {n_cuts}")
    lengths = [float(x) for x in pins.get("cut_lengths_s", raw["_cut_lens"][:n_cuts])]  # type: ignore[arg-type]
    if "cut_lengths_s" in pins:
        n_cuts = len(lengths)
        if "n_cuts" in pins and int(pins["n_cuts"]) != n_cuts:
            raise ValueError(f"n_cuts={pins['n_cuts']} but {n_cuts} cut_lengths_s given")
    if "duration_s" in pins:  # broadcast length given: fit the late start and cuts inside it
        duration = float(pins["duration_s"])  # type: ignore[arg-type]
        if "late_start_s" not in pins:
            late = round(min(late, 0.25 * duration), 3)
        if "cuts" in pins:
            lengths = [float(n) for _, n in pins["cuts"]]  # type: ignore[union-attr]
            n_cuts = len(lengths)
        elif "cut_lengths_s" not in pins and sum(lengths) > 0.3 * (duration - late):
            lengths = [x * 0.3 * (duration - late) / sum(lengths) for x in lengths]
        audio = (duration - late - sum(lengths)) * (1.0 + drift)
        if audio < 60.0:
            raise ValueError(f"duration_s={duration} leaves {audio:.1f} s of audio after late start and cuts")
    else:
        audio = float(v["audio_duration_s"])
        if audio < 60.0:
            raise ValueError(f"audio_duration_s must be at least 60 s, got {audio}")
    lengths = [round(x, 3) for x in lengths]
    if pins.get("countdown") and audio < 120.0:
        raise ValueError(f"a countdown needs at least 120 s of audio, got {audio:.0f}")
    countdown = bool(v["countdown"]) and audio >= 120.0
    cd_at = round(15.0 + float(raw["_countdown_u"]) * min(75.0, max(0.0, 0.2 * audio - 15.0)), 3)
    if "countdown_at_s" in pins:
        cd_at = float(pins["countdown_at_s"])  # type: ignore[arg-type]
    lo = max(0.1 * audio, cd_at + 30.0 if countdown else 0.0)
    if "cuts" in pins:
        cuts = tuple((float(s), float(n)) for s, n in pins["cuts"])  # type: ignore[union-attr]
        points = tuple(round((s - late - sum(n2 for s2, n2 in cuts if s2 < s)) * (1.0 + drift), 3) for s, n in cuts)
    else:
        points = _cut_points(audio, n_cuts, raw["_cut_u"], lo)
        if len(points) < n_cuts and ("n_cuts" in pins or "cut_lengths_s" in pins):
            raise ValueError(f"{n_cuts} cuts do not fit in {audio:.0f} s of audio")
        lengths = lengths[: len(points)]
        cuts = tuple(
            (round(late + p / (1.0 + drift) + sum(lengths[:k]), 3), lengths[k]) for k, p in enumerate(points)
        )
    duration = float(pins["duration_s"]) if "duration_s" in pins else round(  # type: ignore[arg-type]
        late + audio / (1.0 + drift) + sum(lengths), 3
    )
    stream_pins = {k: val for k, val in pins.items() if k in FIELD_NAMES}
    stream_pins.update(
        duration_s=duration,
        chat_rate_msgs_per_s=float(v["chat_rate_msgs_per_s"]),
        late_start_s=late,
        drift_ppm=drift * 1e6,
        cuts=cuts,
    )
    params = draw_params(seed, **stream_pins)
    speech_db = float(v["speech_db"])
    loud = min(-3.0, round(speech_db + raw["_loud_above"], 2))
    chat_start = 0.0 if raw["_chat_lead"] is None else round(max(0.0, late - raw["_chat_lead"]), 3)
    knobs = AlignmentKnobs(
        audio_duration_s=round(audio, 6),
        n_cuts=len(cuts),
        cut_lengths_s=tuple(n for _, n in cuts),
        cut_audio_points_s=points,
        export_format=str(v["export_format"]),
        chat_start_s=float(pins.get("chat_start_s", chat_start)),  # type: ignore[arg-type]
        lag_offset_s=float(pins.get("lag_offset_s", 0.0)),  # type: ignore[arg-type]
        countdown=countdown,
        countdown_at_s=cd_at,
        countdown_turnout=float(v["countdown_turnout"]),
        read_alouds=int(v["read_alouds"]),
        read_delay_s=float(v["read_delay_s"]),
        read_delay_jitter_s=float(v["read_delay_jitter_s"]),
        read_prefix_prob=float(v["read_prefix_prob"]),
        asr_jitter_s=float(v["asr_jitter_s"]),
        asr_drop_rate=float(v["asr_drop_rate"]),
        asr_misspell_rate=float(v["asr_misspell_rate"]),
        digit_share=float(v["digit_share"]),
        noise_floor_db=float(v["noise_floor_db"]),
        speech_db=speech_db,
        music_db=float(pins.get("music_db", round(speech_db - raw["_music_below"], 2))),  # type: ignore[arg-type]
        loud_db=float(pins.get("loud_db", loud)),  # type: ignore[arg-type]
    )
    if knobs.export_format not in EXPORT_FORMATS:
        raise ValueError(f"export_format must be one of {EXPORT_FORMATS}, got {knobs.export_format!r}")
    if knobs.read_alouds < 0 or not knobs.read_delay_s > 0.0:
        raise ValueError("read_alouds must be >= 0 and read_delay_s > 0")
    return params, knobs
