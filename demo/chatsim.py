"""Simulate a Twitch chat on the broadcast clock, every message labelled with why it exists.

Input is a :class:`ChatPlan` (spoken events, phases, stream length), built from the ground
truth itself, so the committed chat can be regenerated from the committed truth without
any TTS (a test does exactly that).  Output is a list of :class:`SimMessage` in export
order, each with its true send time and ``kind``.

Reaction timing follows the brief's latency model: a viewer sees a spoken event
``latency`` seconds late (their own, ~N(2.5, 0.6) s, at least 1 s) and needs a human
reaction time (lognormal, median 1.8 s, long right tail, capped at 12 s), both counted from
the END of the words reacted to.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace

import numpy as np

from demo import chat_text as txt
from demo.vods import VodSpec
from demo.viewers import BOTS, Viewer, make_raiders, make_viewers

REACTION_MEDIAN_S = 1.8
REACTION_SIGMA = 0.6
REACTION_CAP_S = 12.0
COUNTDOWN_SIZE = (20, 40)
KINDS = ("chat", "reaction", "anchor", "bot", "command", "copypasta", "emote_wall", "toxic", "sub", "raid", "mod_action")


@dataclass(frozen=True)
class PlannedEvent:
    """A spoken event chat reacts to (from the ground truth's ``events``)."""

    index: int
    utterance: int
    kind: str  # countdown | call | spam | question | joke | mention
    broadcast_s: float  # end of the words reacted to
    words: tuple[str, ...]
    answers: tuple[str, ...]
    size: tuple[int, int]


@dataclass(frozen=True)
class ChatPlan:
    """Everything the chat simulation needs to know about the broadcast."""

    spec: VodSpec
    total_s: float
    countdown_end_s: float
    music_s: tuple[float, float]
    events: tuple[PlannedEvent, ...]
    raid_utterance_start_s: float | None


@dataclass
class SimMessage:
    """One line/comment/item of the export, with its truth."""

    t_ms: int  # broadcast time of sending, whole ms
    kind: str
    user: Viewer | None
    body: str = ""  # what the user typed (chat, commands, optional sub message, deleted text)
    action: str = "chat"  # chat | sub | resub | subgift | raid | timeout | ban | delete
    event: int | None = None
    echo: bool = False
    system_text: str = ""
    months: int = 0
    recipient: Viewer | None = None
    viewer_count: int = 0
    target: Viewer | None = None
    target_message: "SimMessage | None" = None
    duration_s: int | None = None
    seq: int = 0
    msg_id: str = field(default="")

    @property
    def t_s(self) -> float:
        return self.t_ms / 1000


def _reaction_delay(viewer: Viewer, rng: np.random.Generator) -> float:
    reaction = min(REACTION_CAP_S, float(rng.lognormal(math.log(REACTION_MEDIAN_S), REACTION_SIGMA)))
    return viewer.latency_s + reaction


def _choose(viewers: list[Viewer], n: int, rng: np.random.Generator) -> list[Viewer]:
    weights = np.array([v.activity for v in viewers], dtype=np.float64)
    idx = rng.choice(len(viewers), size=min(n, len(viewers)), replace=False, p=weights / weights.sum())
    return [viewers[int(i)] for i in idx]


def normalise(text: str) -> str:
    """Lower case without apostrophes, so chat's "LETS GO" echoes the spoken "let's go"."""
    return text.lower().replace("'", "").replace("\u2019", "")


def echoes(text: str, words: tuple[str, ...]) -> bool:
    """Does a chat message repeat one of the spoken ``words``?"""
    low = normalise(text)
    return any(normalise(word) in low for word in words)


class _Chat:
    """Collects messages; ``add`` drops anything outside the broadcast [0, T)."""

    def __init__(self, total_s: float) -> None:
        self.total_ms = int(round(total_s * 1000))
        self.messages: list[SimMessage] = []

    def add(self, t_s: float, kind: str, user: Viewer | None, **kw) -> SimMessage | None:
        t_ms = int(round(t_s * 1000))
        if not 0 < t_ms < self.total_ms:
            return None
        msg = SimMessage(t_ms=t_ms, kind=kind, user=user, seq=len(self.messages), **kw)
        self.messages.append(msg)
        return msg


def simulate(plan: ChatPlan, seed: int) -> list[SimMessage]:
    """All messages of one VOD's chat, sorted as the export lists them (by send time)."""
    spec = plan.spec
    rng = np.random.default_rng([seed, spec.number, 3])
    viewers = make_viewers(rng)
    plain = [v for v in viewers if v.role == "viewer"]
    mods = [v for v in viewers if v.role == "mod"]
    chat = _Chat(plan.total_s)
    banned_words = {w.lower() for e in plan.events for w in e.words}

    _reactions(plan, viewers, chat, rng)
    _background(plan, viewers, chat, rng, banned_words)
    _bots_and_commands(plan, plain, mods, chat, rng)
    _copypasta(plan, plain, chat, rng)
    _emote_walls(plan, viewers, chat, rng)
    _toxic(plan, plain, mods, chat, rng)
    _subs(plan, viewers, chat, rng)
    if spec.raid and plan.raid_utterance_start_s is not None:
        _raid(plan, {v.login for v in viewers}, chat, rng)

    ordered = sorted(chat.messages, key=lambda m: (m.t_ms, m.seq))
    id_rng = np.random.default_rng([seed, spec.number, 4])
    for msg in ordered:
        msg.msg_id = str(uuid.UUID(bytes=id_rng.bytes(16), version=4))
    return ordered


def _reactions(plan: ChatPlan, viewers: list[Viewer], chat: _Chat, rng: np.random.Generator) -> None:
    for event in plan.events:
        size = COUNTDOWN_SIZE if event.kind == "countdown" else event.size
        n = int(rng.integers(size[0], size[1] + 1))
        first_share = float(rng.uniform(0.55, 0.85))
        for viewer in _choose(viewers, n, rng):
            text, kind = _reaction_text(event, first_share, rng)
            chat.add(
                event.broadcast_s + _reaction_delay(viewer, rng),
                kind,
                viewer,
                body=text,
                event=event.index,
                echo=echoes(text, event.words),
            )


def _reaction_text(event: PlannedEvent, first_share: float, rng: np.random.Generator) -> tuple[str, str]:
    words = event.words
    if event.kind == "countdown":
        return txt.pick(txt.COUNTDOWN_REACTIONS, rng), "anchor"
    if event.kind == "call":
        answer = event.answers[0] if len(event.answers) == 1 or rng.random() < first_share else event.answers[1]
        text = txt.call_answer(answer, rng)
        if words and rng.random() < 0.15:
            text = f"{text} {txt.pick(words, rng)}"
        return text, "anchor"
    if event.kind == "spam":
        return txt.spam_answer(event.answers[0], rng), "reaction"
    if event.kind == "question":
        if words and rng.random() < 0.3:
            return f"{txt.question_answer(txt.pick(event.answers, rng), rng)} {txt.pick(words, rng).lower()}", "reaction"
        return txt.question_answer(txt.pick(event.answers, rng), rng), "reaction"
    if event.kind == "joke":
        if words and rng.random() < 0.45:
            return txt.echo_phrase(txt.pick(words, rng), rng), "reaction"
        return txt.joke_reaction(rng), "reaction"
    if rng.random() < 0.85:  # mention: chat repeats the name / meme
        return txt.echo_phrase(txt.pick(words, rng), rng), "reaction"
    return txt.joke_reaction(rng), "reaction"


def _background(
    plan: ChatPlan, viewers: list[Viewer], chat: _Chat, rng: np.random.Generator, banned_words: set[str]
) -> None:
    """Chatter unrelated to the audio: an inhomogeneous Poisson process (rate ~0.8-2 msg/s)."""
    base = float(rng.uniform(0.8, 1.1))
    p1, p2 = float(rng.uniform(60, 110)), float(rng.uniform(17, 29))
    f1, f2 = float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(0, 2 * np.pi))
    peak = base * 1.45 * 1.25 * 1.3
    weights = np.array([v.activity for v in viewers])
    weights /= weights.sum()
    pools = {
        phase: tuple(t for t in options if not any(w in t.lower() for w in banned_words))
        for phase, options in txt.BACKGROUND.items()
    }
    t = 0.0
    while True:
        t += float(rng.exponential(1.0 / peak))
        if t >= plan.total_s:
            break
        phase = _phase(plan, t)
        rate = base * (1 + 0.45 * math.sin(2 * math.pi * t / p1 + f1)) * (1 + 0.25 * math.sin(2 * math.pi * t / p2 + f2))
        rate *= {"opening": 1.3, "music": 0.9}.get(phase, 1.0)
        if rng.random() * peak > rate:
            continue
        viewer = viewers[int(rng.choice(len(viewers), p=weights))]
        other = viewers[int(rng.integers(len(viewers)))]
        text = txt.pick(pools[phase], rng).replace("{user}", other.login)
        chat.add(t, "chat", viewer, body=text)


def _phase(plan: ChatPlan, t: float) -> str:
    if t < plan.countdown_end_s:
        return "opening"
    if plan.music_s[0] <= t < plan.music_s[1]:
        return "music"
    if t > plan.total_s - 25:
        return "end"
    return "speech"


def _bots_and_commands(
    plan: ChatPlan, plain: list[Viewer], mods: list[Viewer], chat: _Chat, rng: np.random.Generator
) -> None:
    nightbot, streamelements = BOTS
    for bot, first in ((nightbot, rng.uniform(30, 90)), (streamelements, rng.uniform(60, 120))):
        t, i = float(first), int(rng.integers(10))
        lines = txt.BOT_TIMERS[bot.login]
        while t < plan.total_s:
            chat.add(t, "bot", bot, body=lines[i % len(lines)])
            t += float(rng.uniform(90, 150))
            i += 1
    for _ in range(int(rng.integers(4, 9))):
        t = float(rng.uniform(20, plan.total_s - 20))
        viewer = plain[int(rng.integers(len(plain)))]
        command = txt.pick(txt.COMMANDS, rng)
        chat.add(t, "command", viewer, body=command)
        reply_t = t + float(rng.uniform(0.4, 1.5))
        if command == "!discord":
            chat.add(reply_t, "bot", nightbot, body=f"@{viewer.display_name} Join the Discord: discord.gg/dougdoug")
        elif command == "!uptime":
            up = int(reply_t)
            chat.add(reply_t, "bot", nightbot, body=f"DougDoug has been live for {up // 60} minutes {up % 60} seconds")
        else:
            chat.add(
                reply_t,
                "bot",
                streamelements,
                body=f"@{viewer.display_name} twitter.com/dougdougw | youtube.com/@DougDoug | tiktok.com/@dougdoug",
            )
    mod = mods[int(rng.integers(len(mods)))]
    target = "sparklekat" if plan.spec.raid else txt.pick(txt.SHOUTOUT_TARGETS, rng)
    t = float(rng.uniform(60, plan.total_s - 30))
    if plan.spec.raid and plan.raid_utterance_start_s is not None:
        t = plan.raid_utterance_start_s + float(rng.uniform(5, 15))
    chat.add(t, "command", mod, body=f"!so {target}")
    chat.add(
        t + float(rng.uniform(0.4, 1.2)),
        "bot",
        streamelements,
        body=f"Go check out {target}! They were last seen playing Just Chatting at twitch.tv/{target}",
    )


def _copypasta(plan: ChatPlan, plain: list[Viewer], chat: _Chat, rng: np.random.Generator) -> None:
    n_bursts = int(rng.integers(2, 4))
    pastas = rng.permutation(len(txt.COPYPASTAS))[:n_bursts]
    # one burst per 60 s slot at most, so bursts stay distinct (>= 30 s apart)
    slots = np.sort(rng.choice(np.arange(1, int((plan.total_s - 35) // 60) + 1), size=n_bursts, replace=False)) * 60.0
    for start, pasta_i in zip(slots, pastas):
        start = float(start + rng.uniform(0, 10))
        users = _choose(plain, int(rng.integers(8, 26)), rng)
        offsets = np.sort(rng.uniform(0, 20, size=len(users)))
        offsets -= offsets[0]
        for viewer, dt in zip(users, offsets):
            chat.add(start + float(dt), "copypasta", viewer, body=txt.COPYPASTAS[int(pasta_i)])


def _emote_walls(plan: ChatPlan, viewers: list[Viewer], chat: _Chat, rng: np.random.Generator) -> None:
    for _ in range(int(rng.integers(5, 11))):
        emote = txt.pick(txt.WALL_EMOTES, rng)
        viewer = viewers[int(rng.integers(len(viewers)))]
        chat.add(float(rng.uniform(5, plan.total_s - 5)), "emote_wall", viewer, body=" ".join([emote] * int(rng.integers(8, 21))))


def _toxic(plan: ChatPlan, plain: list[Viewer], mods: list[Viewer], chat: _Chat, rng: np.random.Generator) -> None:
    """3-6 mildly toxic lines; where the format records mod actions, some get a timeout or deletion.

    Formats with mod actions always get at least one timeout and one deletion (and the IRC
    capture one permanent ban), so every parser branch has something to read.
    """
    n = int(rng.integers(3, 7))
    lines = rng.permutation(len(txt.TOXIC_LINES))[:n]
    trolls = [v for v in plain if v.sub_months == 0]
    users = [trolls[int(i)] for i in rng.choice(len(trolls), size=n, replace=False)]
    actions: list[str | None] = [None] * n
    if plan.spec.supports_mod_actions:
        required = ["timeout", "delete"] + (["ban"] if plan.spec.chat_format == "irc" else [])
        optional = [txt.pick(("timeout", "delete", "none"), rng) for _ in range(n - len(required))]
        actions = [None if a == "none" else a for a in required + optional]
        actions = [actions[int(i)] for i in rng.permutation(n)]
    for line_i, troll, action in zip(lines, users, actions):
        t = float(rng.uniform(40, plan.total_s - 30))
        msg = chat.add(t, "toxic", troll, body=txt.TOXIC_LINES[int(line_i)])
        if msg is None or action is None:
            continue
        t_action = t + float(rng.uniform(2.5, 12))
        if action == "ban":
            chat.add(t_action, "mod_action", None, action="ban", target=troll)
        elif action == "timeout":
            duration = int(txt.pick(("60", "300", "600"), rng))
            chat.add(t_action, "mod_action", None, action="timeout", target=troll, duration_s=duration)
        else:
            chat.add(t_action, "mod_action", None, action="delete", target=troll, target_message=msg, body=msg.body)


def _subs(plan: ChatPlan, viewers: list[Viewer], chat: _Chat, rng: np.random.Generator) -> None:
    subs = [v for v in viewers if v.sub_months > 0]
    for _ in range(int(rng.integers(4, 9))):
        t = float(rng.uniform(15, plan.total_s - 10))
        roll = rng.random()
        if roll < 0.35:
            # a first-time sub already wears the subscriber/0 badge on the notice
            viewer = replace(viewers[int(rng.integers(len(viewers)))], sub_months=1)
            text = f"{viewer.display_name} subscribed at Tier 1."
            chat.add(t, "sub", viewer, action="sub", system_text=text, months=1)
        elif roll < 0.8:
            viewer = subs[int(rng.integers(len(subs)))]
            months = max(2, viewer.sub_months)
            text = f"{viewer.display_name} subscribed at Tier 1. They've subscribed for {months} months!"
            body = txt.pick(txt.RESUB_MESSAGES, rng).replace("{m}", str(months)) if rng.random() < 0.6 else ""
            chat.add(t, "sub", viewer, action="resub", system_text=text, months=months, body=body)
        else:
            gifter = subs[int(rng.integers(len(subs)))]
            recipient = viewers[int(rng.integers(len(viewers)))]
            text = f"{gifter.display_name} gifted a Tier 1 sub to {recipient.display_name}!"
            chat.add(t, "sub", gifter, action="subgift", system_text=text, months=1, recipient=recipient)


def _raid(plan: ChatPlan, taken: set[str], chat: _Chat, rng: np.random.Generator) -> None:
    """A raid lands just before the line where the streamer welcomes the raiders."""
    raider = Viewer("sparklekat", "SparkleKat", "87220415", "#FF69B4", "raider", 0, False, 1.0, 2.0)
    t = float(plan.raid_utterance_start_s) - float(rng.uniform(6, 10))
    count = int(rng.integers(25, 121))
    chat.add(t, "raid", raider, action="raid", system_text=f"{count} raiders from {raider.display_name} have joined!", viewer_count=count)
    for viewer in make_raiders(rng, int(rng.integers(10, 21)), taken):
        chat.add(t + float(rng.uniform(2, 35)), "chat", viewer, body=txt.pick(txt.RAID_MESSAGES, rng))
