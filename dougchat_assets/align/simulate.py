"""Data-level simulator of a VOD for the alignment estimator: transcript, chat, energy, truth.

It produces the estimator's *inputs* directly (ASR-like word timings, chat rows, 100 ms
energy frames), not audio, so hundreds of VODs can be scored in seconds.  What it models,
because the estimator depends on it:

* a streamer timeline (broadcast clock): a "starting soon" stretch ending with a loud
  countdown, utterances of 3-14 words with realistic word lengths and pauses, music breaks,
  and a vocabulary where common words dominate and a few rare names/memes recur;
* events: rare words that chat echoes, calls ("type one in chat") that chat answers with
  digits, jokes chat laughs at (no lexical echo), each reaction sent after
  latency (per viewer) + reaction time (per message) counted from the end of the
  utterance, see :class:`~.lag.LagPrior`;
* background chatter that also uses the rare words at random times (coincidences), bots
  with timers and command replies, viewer commands, sub notices;
* the distortions: late download start L, clock drift k, 0-2 ad-break cuts; the audio
  clock is ``a = k * (b - L - cuts before b)`` and flat inside a cut;
* ASR noise: timing jitter, dropped words, misspellings, digits vs number words, sentence
  punctuation on most utterance-final words (as Whisper writes it), a few segments flagged
  low-confidence;
* export quantisation (Chatterino: whole seconds) and export offsets (TwitchDownloader).

Everything is drawn from one ``numpy`` generator seeded by ``seed``: same seed, same VOD.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from dougchat_assets.align.inputs import AlignmentInputs, ChatMessages, EnergyFrames, VodMeta, WordTimings
from dougchat_assets.align.lag import LagPrior
from dougchat_assets.align.result import Knot

_COMMON = """the a and to of i you it that is in this we was for on with just like so what but
not are be have do my they at no yeah oh okay go get this there can it's he all right know one
out up now if gonna think get look see really about your me how good back time here chat game
going want got well some when make thing come need over little play level okay wait why then
because still guys boss jump run left right around never always maybe actually pretty much
dude literally probably kind way try again start stop fine cool nice thanks thank guess love
hate people other first last next fast slow big small real""".split()

_SHARED_LEXICON = """kekw pogchamp omegalul monkas sadge copium hopium catjam pepega poggers
lulw widepeepohappy clueless aware""".split()

_SYLLABLES = "ka zor bli mu tek rin vo pra gul shen dex oma quin tra bel fiz nok yar lum dro".split()

_CHAT_FILLER = """lol lmao kekw pog lul omegalul gg wp hi hello hey bye f yes no true based
what how why real fr ok nice cool wow omg haha xd sadge monkas poggers copium 5head ez""".split()

_HYPE = ["LETS GO", "PogChamp", "HYPE", "LETSGOOO", "PogChamp PogChamp", "lets gooo", "HYPE HYPE"]

_NUM_WORDS = ["ten", "nine", "eight", "seven", "six", "five", "four", "three", "two", "one"]


@dataclass(frozen=True)
class SimConfig:
    """What to simulate; None draws the value at random from the stated range."""

    audio_duration_s: float | None = None  # 20-90 min
    late_start_s: float | None = None  # 0-600
    drift_s_per_h: float | None = None  # +-5 (audio seconds gained per broadcast hour)
    n_cuts: int | None = None  # 0-2
    cut_lengths_s: tuple[float, ...] | None = None  # each 15-120
    background_rate: float | None = None  # messages per second, 0.5-2.5
    source_format: str | None = None  # twitchdownloader | chat_downloader | irc | chatterino
    started_at_utc_ms: int = 1_772_478_000_000  # 2026-03-02T19:00:00Z
    lag: LagPrior = field(default_factory=LagPrior)
    lag_shift_s: float = 0.0  # true latency = prior latency + this (prior-mismatch experiments)
    event_scale: float = 1.0  # scales how many utterances chat reacts to (1.0: ~half of them)


@dataclass(frozen=True)
class SimulatedVod:
    """One simulated VOD: the estimator's inputs plus the truth it should recover."""

    seed: int
    inputs: AlignmentInputs
    true_knots: list[Knot]
    late_start_s: float
    drift_factor: float  # k: audio time runs k times broadcast time
    cuts: list[tuple[float, float]]  # (broadcast start, duration)
    chat_table: pa.Table  # raw_chat-shaped columns (for mismatched pairing)
    message_kind: tuple[str, ...]

    @property
    def chat_utc_ms(self) -> np.ndarray:
        return self.inputs.chat.sent_at_utc_ms


def _pseudo_words(rng: np.random.Generator, n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        k = int(rng.integers(2, 4))
        out.add("".join(rng.choice(_SYLLABLES, size=k)))
    return sorted(out)


class _Timeline:
    """Broadcast-clock speech: words (text, start, end, utterance id) and utterances."""

    def __init__(self) -> None:
        self.w_text: list[str] = []
        self.w_start: list[float] = []
        self.w_end: list[float] = []
        self.w_utt: list[int] = []
        self.utt_end: list[float] = []
        self.loud: list[tuple[float, float]] = []  # countdown
        self.music: list[tuple[float, float]] = []

    def countdown(self, t: float) -> float:
        """ "ten ... one", one number per second, loud; returns the end of "one"."""
        utt = len(self.utt_end)
        for i, w in enumerate(_NUM_WORDS):
            self.w_text.append(w)
            self.w_start.append(t + i)
            self.w_end.append(t + i + 0.45)
            self.w_utt.append(utt)
        self.utt_end.append(self.w_end[-1])
        self.loud.append((t, self.w_end[-1]))
        return self.w_end[-1]

    def say(self, rng: np.random.Generator, words: list[str], t: float, loud: bool = False, pace: float = 1.0) -> float:
        utt = len(self.utt_end)
        start = t
        for w in words:
            dur = (0.12 + 0.055 * len(w) + rng.uniform(-0.04, 0.08)) * pace
            self.w_text.append(w)
            self.w_start.append(t)
            self.w_end.append(t + dur)
            self.w_utt.append(utt)
            t += dur + (rng.uniform(0.02, 0.12) if not loud else 0.0)
        self.utt_end.append(self.w_end[-1])
        if loud:
            self.loud.append((start, self.w_end[-1]))
        return self.w_end[-1]


def simulate_vod(seed: int, config: SimConfig | None = None) -> SimulatedVod:
    """Simulate one VOD (see module docstring); deterministic for (seed, config)."""
    cfg = config or SimConfig()
    rng = np.random.default_rng(seed)
    audio_dur = float(cfg.audio_duration_s if cfg.audio_duration_s is not None else rng.uniform(20, 90) * 60)
    late = float(cfg.late_start_s if cfg.late_start_s is not None else rng.uniform(0, 600))
    drift = float(cfg.drift_s_per_h if cfg.drift_s_per_h is not None else rng.uniform(-5, 5))
    k = 1.0 + drift / 3600.0
    n_cuts = int(cfg.n_cuts if cfg.n_cuts is not None else rng.integers(0, 3))
    cut_lens = (
        list(cfg.cut_lengths_s)
        if cfg.cut_lengths_s is not None
        else [float(rng.uniform(15, 120)) for _ in range(n_cuts)]
    )
    n_cuts = len(cut_lens)
    broadcast_dur = audio_dur / k + late + sum(cut_lens)
    fmt = cfg.source_format or str(rng.choice(["twitchdownloader", "chat_downloader", "irc", "chatterino"]))
    bg_rate = float(cfg.background_rate if cfg.background_rate is not None else rng.uniform(0.5, 2.5))

    # cut positions (broadcast time), inside the audio, well apart
    cuts: list[tuple[float, float]] = []
    lo_b, hi_b = late + 0.12 * (broadcast_dur - late), broadcast_dur - 0.12 * (broadcast_dur - late)
    for d in cut_lens:
        for _ in range(200):
            c = float(rng.uniform(lo_b, hi_b - d))
            if all(abs(c - c2) > max(d, d2) + 180 for c2, d2 in cuts):
                cuts.append((c, d))
                break
    cuts.sort()

    rare = _pseudo_words(rng, int(rng.integers(25, 45)))
    rare_p = rng.dirichlet(np.full(len(rare), 0.7))
    lexicon = list(_SHARED_LEXICON)
    zipf = 1.0 / np.arange(1, len(_COMMON) + 1) ** 0.9
    zipf /= zipf.sum()

    tl = _Timeline()
    events: list[tuple[str, int, str]] = []  # (kind, word or utterance index, echo token)
    # starting soon + countdown
    soon = float(rng.uniform(25, 60))
    tl.music.append((0.0, soon - 11.0))
    t = tl.countdown(soon - 11.0)
    t = tl.say(rng, ["lets", "go"], t + 0.4, loud=True)
    events.append(("countdown", len(tl.utt_end) - 1, "hype"))
    t += rng.uniform(1.0, 3.0)
    next_break = t + rng.uniform(8, 20) * 60
    while t < broadcast_dur:
        if t > next_break:
            dur = float(rng.uniform(30, 60))
            tl.music.append((t, t + dur))
            t += dur + rng.uniform(0.5, 2.0)
            next_break = t + rng.uniform(8, 20) * 60
            continue
        roll = rng.random() / cfg.event_scale
        n = int(rng.integers(3, 15))
        words = list(rng.choice(_COMMON, size=n, p=zipf))
        if roll < 0.02:  # a call chat answers with a digit
            num = str(rng.choice(["one", "two"]))
            words = ["chat", "type", num, "in", "chat", "if"] + words[:4]
            end = tl.say(rng, words, t)
            events.append(("call", len(tl.utt_end) - 1, "1" if num == "one" else "2"))
        elif roll < 0.03:  # "spam kekw"
            emote = str(rng.choice(["kekw", "pogchamp", "sadge"]))
            words = ["chat", "spam", emote] + words[:3]
            end = tl.say(rng, words, t)
            events.append(("call", len(tl.utt_end) - 1, emote))
        elif roll < 0.40:  # a rare word, echoed
            pool = rare if rng.random() < 0.75 else lexicon
            word = str(rng.choice(pool, p=rare_p if pool is rare else None))
            pos = int(rng.integers(0, n))
            words.insert(pos, word)
            end = tl.say(rng, words, t)
            events.append(("echo", len(tl.w_text) - len(words) + pos, word))
        elif roll < 0.48:  # a joke: chat laughs, no lexical echo
            end = tl.say(rng, words, t)
            events.append(("joke", len(tl.utt_end) - 1, "kekw"))
        else:
            end = tl.say(rng, words, t)
        t = end + (rng.uniform(0.3, 1.5) if rng.random() < 0.85 else rng.uniform(2.0, 5.0))

    w_start = np.array(tl.w_start)
    w_end = np.array(tl.w_end)
    utt_end = np.array(tl.utt_end)

    # ---------------- chat ----------------
    n_viewers = int(rng.integers(150, 600))
    logins = [
        f"viewer_{seed % 1000}_{i}" if i % 3 else f"user{int(rng.integers(10, 99999))}_{i}" for i in range(n_viewers)
    ]
    latency = (
        np.maximum(rng.normal(cfg.lag.latency_mean_s, cfg.lag.latency_sd_s, n_viewers), cfg.lag.latency_min_s)
        + cfg.lag_shift_s
    )

    def reaction(size: int) -> np.ndarray:
        r = np.exp(np.log(cfg.lag.reaction_median_s) + cfg.lag.reaction_sigma * rng.standard_normal(size))
        return np.minimum(r, cfg.lag.reaction_max_s)

    m_t: list[float] = []
    m_body: list[str] = []
    m_user: list[str] = []
    m_type: list[str] = []
    m_kind: list[str] = []

    def add(ts: np.ndarray, bodies: list[str], users: np.ndarray, kind: str, mtype: str = "chat") -> None:
        for tt, bb, uu in zip(ts.tolist(), bodies, users.tolist(), strict=True):
            m_t.append(tt)
            m_body.append(bb)
            m_user.append(logins[uu] if isinstance(uu, int) else uu)
            m_type.append(mtype)
            m_kind.append(kind)

    for kind, ref, tok in events:
        if kind == "countdown":
            n = int(rng.integers(20, 60))
            users = rng.integers(0, n_viewers, n)
            ts = utt_end[ref] + latency[users] + reaction(n)
            add(ts, [str(rng.choice(_HYPE)) for _ in range(n)], users, "anchor")
        elif kind == "call":
            n = int(rng.integers(10, 40))
            users = rng.integers(0, n_viewers, n)
            ts = utt_end[ref] + latency[users] + reaction(n)
            if tok.isdigit():
                bodies = [tok if rng.random() < 0.8 else f"{tok} {tok}" for _ in range(n)]
            else:
                emote = {"kekw": "KEKW", "pogchamp": "PogChamp", "sadge": "Sadge"}[tok]
                bodies = [" ".join([emote] * int(rng.integers(1, 5))) for _ in range(n)]
            add(ts, bodies, users, "reaction")
        elif kind == "joke":
            n = int(rng.integers(3, 20))
            users = rng.integers(0, n_viewers, n)
            ts = utt_end[ref] + latency[users] + reaction(n)
            add(ts, [str(rng.choice(["LUL", "KEKW", "LMAO", "OMEGALUL", "lol"])) for _ in range(n)], users, "reaction")
        else:  # echo of one word (reactions counted from the end of its utterance)
            n = int(rng.integers(2, 30)) if rng.random() < 0.7 else int(rng.integers(0, 4))
            users = rng.integers(0, n_viewers, n)
            ts = utt_end[tl.w_utt[ref]] + latency[users] + reaction(n)
            bodies = []
            for _ in range(n):
                word = tok if rng.random() > 0.08 else tok[:-1] + "z"
                form = rng.random()
                if form < 0.4:
                    bodies.append(word.upper() if rng.random() < 0.5 else word)
                elif form < 0.8:
                    bodies.append(f"{rng.choice(_CHAT_FILLER)} {word} {rng.choice(_CHAT_FILLER)}")
                else:
                    bodies.append(f"{word} {word} {word}")
            add(ts, bodies, users, "reaction")

    # background chatter, including rare words and digits at random times (coincidences)
    chat_lo = late - rng.uniform(30, 120) if late > 150 else 0.0
    n_bg = int(rng.poisson(bg_rate * (broadcast_dur - chat_lo)))
    ts = np.sort(rng.uniform(chat_lo, broadcast_dur, n_bg))
    users = rng.integers(0, n_viewers, n_bg)
    bodies = []
    for _ in range(n_bg):
        r = rng.random()
        if r < 0.04:
            bodies.append(f"{rng.choice(_CHAT_FILLER)} {rng.choice(rare, p=rare_p)}")
        elif r < 0.07:
            bodies.append(str(rng.choice(lexicon)))
        elif r < 0.09:
            bodies.append(str(rng.choice(["1", "2", "11", "0"])))
        else:
            nw = int(rng.integers(1, 8))
            pool = _CHAT_FILLER + _COMMON[:120]
            bodies.append(" ".join(str(x) for x in rng.choice(pool, size=nw)))
    add(ts, bodies, users, "chat")
    # bots and commands
    tb = float(rng.uniform(30, 120))
    while tb < broadcast_dur:
        add(
            np.array([tb]),
            ["Follow the socials! Join the discord: discord.gg/dougchat parkzer kekw"],
            np.array(["Nightbot"], dtype=object),
            "bot",
        )
        tb += float(rng.uniform(90, 150))
    n_cmd = int(broadcast_dur / 60)
    tc = np.sort(rng.uniform(chat_lo, broadcast_dur, n_cmd))
    for tt in tc.tolist():
        u = int(rng.integers(0, n_viewers))
        cmd = str(rng.choice(["!uptime", "!discord", "!socials", "!so parkzer"]))
        add(np.array([tt]), [cmd], np.array([u]), "command", "command")
        add(
            np.array([tt + rng.uniform(0.5, 2.0)]),
            [f"@{logins[u]} {cmd[1:]} info: one two kekw"],
            np.array(["StreamElements"], dtype=object),
            "bot",
        )
    n_sub = int(broadcast_dur / 300)
    for tt in np.sort(rng.uniform(chat_lo, broadcast_dur, n_sub)).tolist():
        u = int(rng.integers(0, n_viewers))
        add(
            np.array([tt]),
            [f"{logins[u]} subscribed at Tier 1. They've subscribed for 3 months!"],
            np.array([u]),
            "sub",
            "sub",
        )

    t_send = np.array(m_t)
    order = np.argsort(t_send, kind="stable")
    t_send = t_send[order]
    body = [m_body[i] for i in order]
    user = [m_user[i] for i in order]
    mtype = [m_type[i] for i in order]
    kinds = tuple(m_kind[i] for i in order)
    sent_ms = cfg.started_at_utc_ms + np.round(t_send * 1000.0).astype(np.int64)
    if fmt == "chatterino":
        sent_ms = (sent_ms // 1000) * 1000
    vod_off: list[float | None]
    if fmt == "twitchdownloader":
        vod_off = np.floor(t_send).tolist()
    elif fmt == "chat_downloader":
        vod_off = np.round(t_send, 3).tolist()
    else:
        vod_off = [None] * t_send.size
    chat_table = pa.table(
        {
            "sent_at_utc_ms": pa.array(sent_ms, pa.int64()),
            "body": body,
            "user_login": [u.lower() for u in user],
            "msg_type": mtype,
            "vod_offset_s": pa.array(vod_off, pa.float64()),
            "source_format": [fmt] * t_send.size,
        }
    )

    # ---------------- audio clock ----------------
    def b_to_a(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(audio time, present in the audio) for broadcast times; flat at the cut point inside a cut."""
        b = np.asarray(b, dtype=np.float64)
        a = k * (b - late)
        present = b >= late
        removed = 0.0
        for c, d in cuts:
            inside = (b >= c) & (b < c + d)
            a = np.where(b >= c + d, a - k * d, a)
            a = np.where(inside, k * (c - late - removed), a)
            present &= ~inside
            removed += d
        return a, present

    knots: list[Knot] = []
    pts = [late] + [x for c, d in cuts for x in (c, c + d)] + [broadcast_dur]
    for i, b in enumerate(pts):
        a, _ = b_to_a(np.array([b]))
        knots.append(Knot(int(cfg.started_at_utc_ms + round(b * 1000)), float(a[0]), segment=i // 2, method="truth"))

    # ---------------- ASR words ----------------
    a_start, present_s = b_to_a(w_start)
    a_end, present_e = b_to_a(w_end)
    keep = present_s & present_e & (rng.random(w_start.size) > 0.03)
    idx = np.flatnonzero(keep)
    words_out: list[str] = []
    for i in idx.tolist():
        w = tl.w_text[i]
        if w in rare and rng.random() < 0.08:
            w = w[:-1] + "h"  # ASR misspelling
        elif w in _NUM_WORDS and rng.random() < 0.3:
            w = str(_NUM_WORDS.index(w) * -1 + 10)
        if rng.random() < 0.15:
            w = w.capitalize()
        last_of_utt = i + 1 >= len(tl.w_utt) or tl.w_utt[i + 1] != tl.w_utt[i]
        if last_of_utt and rng.random() < 0.85:
            w += str(rng.choice([".", ".", "?", "!"]))
        elif not last_of_utt and rng.random() < 0.08:
            w += ","
        words_out.append(" " + w)
    jit = rng.normal(0.0, 0.06, (2, idx.size))
    ws = a_start[idx] + jit[0]
    we = np.maximum(a_end[idx] + jit[1], ws + 0.05)
    utt_ids = np.array(tl.w_utt)[idx]
    bad_utts = set(np.flatnonzero(rng.random(len(tl.utt_end)) < 0.03).tolist())
    ok = np.array([u not in bad_utts for u in utt_ids.tolist()], dtype=bool)
    words = WordTimings.from_arrays(ws, we, words_out, np.clip(rng.normal(0.85, 0.1, idx.size), 0, 1), ok)

    # ---------------- energy ----------------
    frames = np.arange(0.0, audio_dur, 0.1)
    # broadcast time of each audio frame: invert the piecewise map
    b_frames = frames / k + late
    for c, d in cuts:
        prior_cuts = sum(d2 for c2, d2 in cuts if c2 < c)
        a_cut = k * (c - late - prior_cuts)
        b_frames = np.where(frames >= a_cut, b_frames + d, b_frames)
    level = rng.normal(-52.0, 2.0, frames.size)
    wi = np.searchsorted(w_start, b_frames, side="right") - 1
    in_word = (wi >= 0) & (b_frames < w_end[np.maximum(wi, 0)])
    level = np.where(in_word, rng.normal(-20.0, 3.0, frames.size), level)
    for s0, s1 in tl.music:
        m = (b_frames >= s0) & (b_frames < s1)
        level[m] = rng.normal(-26.0, 1.5, int(m.sum()))
    for s0, s1 in tl.loud:
        m = (b_frames >= s0) & (b_frames < s1) & in_word
        level[m] = rng.normal(-7.0, 1.0, int(m.sum()))
    energy = EnergyFrames.from_arrays(frames, level)

    meta = VodMeta(audio_duration_s=audio_dur, started_at_utc_ms=cfg.started_at_utc_ms)
    chat = ChatMessages.from_batches([chat_table], bots=meta.bots)
    inputs = AlignmentInputs(words=words, chat=chat, energy=energy, meta=meta)
    return SimulatedVod(
        seed=seed,
        inputs=inputs,
        true_knots=knots,
        late_start_s=late,
        drift_factor=k,
        cuts=cuts,
        chat_table=chat_table,
        message_kind=kinds,
    )


def mismatched_inputs(chat_from: SimulatedVod, audio_from: SimulatedVod) -> AlignmentInputs:
    """Chat export of one VOD paired with the audio/transcript/metadata of another.

    The chat clock is moved so both claim the same start: the worst case, where metadata
    cannot reveal the mix-up and only the content can.
    """
    a_meta = audio_from.inputs.meta
    shift = (a_meta.started_at_utc_ms or 0) - (chat_from.inputs.meta.started_at_utc_ms or 0)
    table = chat_from.chat_table.set_column(
        0, "sent_at_utc_ms", pa.array(chat_from.chat_table.column("sent_at_utc_ms").to_numpy() + shift, pa.int64())
    )
    chat = ChatMessages.from_batches([table], bots=a_meta.bots)
    return AlignmentInputs(words=audio_from.inputs.words, chat=chat, energy=audio_from.inputs.energy, meta=a_meta)
