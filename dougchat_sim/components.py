"""One generator per kind of chat row: who sends it, when, and what it says.

Each generator draws from its own random stream (seeded by the stream seed and its name), so
pinning one knob does not reshuffle every other component, and appends whole columns to the
shared :class:`~dougchat_sim.messages.Buffer`.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from dougchat_sim import text_pools as tp
from dougchat_sim.clock import Clock
from dougchat_sim.messages import KIND, Buffer
from dougchat_sim.params import StreamParams, sample_latency, sample_reaction
from dougchat_sim.population import LISTED_BOT, NEWCOMER, RAIDER, RESPONDER, TIMER_BOT, Intensity, Users, pick_distinct, pick_users
from dougchat_sim.textgen import SlotFiller, Uniforms, compile_all, compile_template, elongate, typo, usernames
from dougchat_sim.transcript import Speech

_ORDINARY = compile_all(tp.ORDINARY_TEMPLATES)
_PROFANE = compile_all(tp.ORDINARY_PROFANE)
_ECHO_FORMS = compile_all(tp.REACTION_ECHO_FORMS)
_TOXIC = compile_all(tp.TOXIC_TEMPLATES)
_TOXIC_TARGETS = compile_all(tp.TOXIC_TARGETS)
_TOXIC_YOU = compile_all(tp.TOXIC_YOU)
_PASTAS = compile_all(tp.COPYPASTAS)
_SPAM = compile_all(tp.SPAM_TEXTS)
_RAID_SPAM = compile_all(tp.RAID_SPAM)
_BOT_NOTICES = compile_all(tp.BOT_NOTICES)
_TIMER_TEXTS = compile_all(tp.TIMER_TEXTS)
_SUB_TEXTS = compile_all(tp.SUB_TEXTS)
_SUB_MESSAGES = compile_all(tp.SUB_MESSAGES)
_NOTICES = compile_all(tp.NOTICE_TEXTS)
_COMMANDS = [(compile_template(cmd), weight, compile_all(replies)) for cmd, weight, replies in tp.COMMANDS]
_VOTE_OPTIONS = {kind: tuple(tuple(compile_all(spellings)) for spellings in options) for kind, options in tp.VOTE_KINDS}
_GIFT_ONE = compile_template("{display} gifted a Tier 1 sub to {other}!")
_GIFT_BOMB = compile_template("{display} is gifting {count} Tier 1 Subs to {channel}'s community! They've gifted a total of {num} in the channel!")
_RAID = compile_template("{count} raiders from {display} have joined!")
_EDIT_WORDS = ("literally", "actually", "honestly", "really", "just", "so", "very", "totally")


def component_rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


@dataclass
class Context:
    """Everything the generators share for one stream."""

    params: StreamParams
    clock: Clock
    users: Users
    viewers: np.ndarray  # indices of ordinary viewer accounts
    intensity: Intensity
    speech: Speech
    filler: SlotFiller
    u: Uniforms
    buf: Buffer
    target_rows: int
    emote_pool: tuple[str, ...]  # weighted by this chat's taste
    emotes: tuple[str, ...]  # this chat's distinct emotes, most popular first
    channel: str
    next_burst: int = 0
    trolls: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def rng(self, name: str) -> np.random.Generator:
        return component_rng(self.params.seed, name)

    @property
    def duration(self) -> float:
        return self.params.duration_s

    def burst_id(self) -> int:
        self.next_burst += 1
        return self.next_burst - 1

    def place(self, rng: np.random.Generator, users: np.ndarray) -> np.ndarray:
        """Times for rows sent by ``users``, inside each sender's session."""
        return self.intensity.place(rng, self.users.session_start[users], self.users.session_end[users])

    def decorate(self, text: str) -> str:
        """Make a template line look typed: slips, caps, a trailing emote or laugh."""
        u, p = self.u, self.params
        if u.next() < p.typo_prob:
            text = typo(text, u)
        if u.next() < 0.03:
            text = elongate(text, u)
        r = u.next()
        if r < p.caps_prob:
            text = text.upper()
        elif r < p.caps_prob + 0.2:
            text = text[:1].upper() + text[1:]
        r = u.next()
        if r < p.trailing_emote_prob:
            emote = u.pick(self.emote_pool)
            text = f"{text} {emote}" if u.next() < 0.75 else f"{text} {emote} {emote}"
        elif r < p.trailing_emote_prob + 0.04:
            text = f"{text} {u.pick(tp.LAUGHS)}"
        elif r < p.trailing_emote_prob + 0.06:
            text = f"{text} {u.pick(tp.EMOJI)}"
        return text

    def emote_line(self, low: int, high: int) -> str:
        """``low``..``high`` emotes, sometimes one repeated, sometimes a mix."""
        u = self.u
        n = low + int(u.next() * (high - low + 1))
        if u.next() < 0.35:
            return " ".join([u.pick(self.emote_pool)] * n)
        return " ".join(u.pick(self.emote_pool) for _ in range(n))


# ----------------------------------------------------------------------------- background chat
def ordinary(ctx: Context, count: int, pool: np.ndarray, name: str = "ordinary") -> None:
    """Plain chat unrelated to the speech: greetings, questions, game talk, mentions."""
    if count <= 0:
        return
    rng = ctx.rng(name)
    users = pick_users(rng, ctx.users.weight, pool, count)
    t = ctx.place(rng, users)
    profane = rng.random(count) < ctx.params.ordinary_profane_share
    u, fill = ctx.u, ctx.filler.fill
    bodies = []
    for is_profane in profane.tolist():
        templates = _PROFANE if is_profane else _ORDINARY
        bodies.append(ctx.decorate(fill(templates[int(u.next() * len(templates))])))
    kinds = np.where(profane, KIND["ordinary_profane"], KIND["ordinary"])
    ctx.buf.add(t, users, bodies, "chat", "ordinary", kinds)


def emote_only(ctx: Context) -> None:
    count = round(ctx.params.emote_only_share * ctx.target_rows)
    if count <= 0:
        return
    rng = ctx.rng("emote_only")
    taste = ctx.users.weight * (0.2 + rng.beta(0.6, 1.5, len(ctx.users)))  # some chatters mostly emote
    users = pick_users(rng, taste, ctx.viewers, count)
    bodies = []
    for _ in range(count):
        r = ctx.u.next()
        bodies.append(ctx.emote_line(1, 1) if r < 0.55 else ctx.emote_line(2, 2) if r < 0.8 else ctx.emote_line(3, 4))
    ctx.buf.add(ctx.place(rng, users), users, bodies, "chat", "emote_only", "emote_only")


def emote_wall(ctx: Context) -> None:
    count = round(ctx.params.emote_wall_share * ctx.target_rows)
    if count <= 0:
        return
    rng = ctx.rng("emote_wall")
    users = pick_users(rng, ctx.users.weight, ctx.viewers, count)
    u = ctx.u
    bodies = []
    for _ in range(count):
        reps = 6 + int(u.next() * 25)
        kinds = [u.pick(ctx.emote_pool) for _ in range(1 + int(u.next() * 3 if u.next() < 0.4 else 0))]
        if len(kinds) > 1 and u.next() < 0.5:
            tokens = [kinds[i % len(kinds)] for i in range(reps)]
        else:
            per = max(1, reps // len(kinds))
            tokens = [k for k in kinds for _ in range(per)]
        body = " ".join(tokens)
        while len(body) > 500:
            tokens = tokens[:-1]
            body = " ".join(tokens)
        bodies.append(body)
    ctx.buf.add(ctx.place(rng, users), users, bodies, "chat", "emote_wall", "emote_wall")


def toxic(ctx: Context) -> None:
    """Insults aimed at the streamer, chat or one viewer, from a small set of trolls."""
    count = round(ctx.params.toxic_share * ctx.target_rows)
    rng = ctx.rng("toxic")
    n_trolls = max(1, round(ctx.params.troll_share * ctx.viewers.size))
    ctx.trolls = np.sort(rng.choice(ctx.viewers, min(n_trolls, ctx.viewers.size), replace=False))
    if count <= 0:
        return
    troll_weight = np.zeros(len(ctx.users))
    troll_weight[ctx.trolls] = rng.gamma(1.0, 1.0, ctx.trolls.size)
    users = pick_users(rng, troll_weight, ctx.trolls, count)
    u, fill = ctx.u, ctx.filler.fill
    bodies = []
    for _ in range(count):
        target = fill(_TOXIC_TARGETS[int(u.next() * len(_TOXIC_TARGETS))])
        you = fill(_TOXIC_YOU[int(u.next() * len(_TOXIC_YOU))])
        body = fill(_TOXIC[int(u.next() * len(_TOXIC))], {"target": target, "you": you})
        r = u.next()
        body = body.upper() if r < 0.12 else body
        if u.next() < 0.15:
            body = f"{body} {u.pick(ctx.emote_pool)}"
        bodies.append(body)
    ctx.buf.add(ctx.place(rng, users), users, bodies, "chat", "toxic", "toxic")


# ----------------------------------------------------------------------------- reacting to speech
def _echo(words: list[str], u: Uniforms) -> str:
    """A short run of the segment's words, usually starting on a content word."""
    n = len(words)
    k = min(n, 1 + (u.next() > 0.35) + (u.next() > 0.5) + (u.next() > 0.8))
    content = [i for i in range(n - k + 1) if len(words[i]) >= 4]
    start = content[int(u.next() * len(content))] if content else int(u.next() * (n - k + 1))
    return " ".join(words[start : start + k])


def reactions(ctx: Context) -> None:
    """Viewers answering what they just heard: echoes, laughs, questions, emotes."""
    p, sp, users = ctx.params, ctx.speech, ctx.users
    count = round(p.reaction_share * ctx.target_rows)
    eligible = np.flatnonzero((sp.heat > 0) & (sp.end_broadcast_s < ctx.duration - 1.0))
    if count <= 0 or eligible.size == 0:
        return
    rng = ctx.rng("reactions")
    cdf = np.cumsum(sp.heat[eligible])
    seg = eligible[np.searchsorted(cdf / cdf[-1], rng.random(count), side="right").clip(0, eligible.size - 1)]
    end_b = sp.end_broadcast_s[seg]
    reaction = sample_reaction(rng, p, count)
    sender = pick_users(rng, users.weight, ctx.viewers, count)
    for _ in range(3):  # the reacting viewer must be watching then
        t_est = end_b + users.latency[sender] + reaction
        away = (t_est < users.session_start[sender]) | (t_est > users.session_end[sender])
        if not away.any():
            break
        sender[away] = pick_users(rng, users.weight, ctx.viewers, int(away.sum()))
    latency = np.maximum(0.2, users.latency[sender] + rng.normal(0.0, p.latency_jitter_s, count))
    t = end_b + latency + reaction
    keep = np.flatnonzero(t < ctx.duration)
    u, fill = ctx.u, ctx.filler.fill
    style = rng.random(count)
    bodies, kinds = [], []
    for i in keep.tolist():
        if style[i] < p.echo_share:
            echo = _echo(sp.spoken[seg[i]], u)
            form = _ECHO_FORMS[int(u.next() * len(_ECHO_FORMS))]
            bodies.append(fill(form, {"echo": echo, "ECHO": echo.upper()}))
            kinds.append(KIND["reaction_echo"])
        elif style[i] < p.echo_share + (1.0 - p.echo_share) * 0.7:
            bodies.append(ctx.decorate(u.pick(tp.REACTION_PLAIN)))
            kinds.append(KIND["reaction_plain"])
        else:
            bodies.append(ctx.emote_line(1, 3))
            kinds.append(KIND["reaction_emote"])
    ctx.buf.add(t[keep], sender[keep], bodies, "chat", "reaction", np.array(kinds, np.int8), seg=seg[keep], latency=latency[keep])


def votes(ctx: Context) -> None:
    """Answers to spoken calls ("one or two, chat"): one per viewer, a split that varies per call."""
    p, sp, users = ctx.params, ctx.speech, ctx.users
    rng = ctx.rng("votes")
    u, fill = ctx.u, ctx.filler.fill
    for seg, kind in enumerate(sp.call_kind):
        if kind is None:
            continue
        n = int(rng.poisson(p.vote_turnout * p.chat_rate_msgs_per_s * 60.0))
        voters = pick_distinct(rng, users.weight, ctx.viewers, n)
        if voters.size == 0:
            continue
        n = voters.size
        reaction = sample_reaction(rng, p, n)
        latency = np.maximum(0.2, users.latency[voters] + rng.normal(0.0, p.latency_jitter_s, n))
        t = sp.end_broadcast_s[seg] + latency + reaction
        first = rng.random(n) < rng.beta(2.0, 2.0)
        keep = np.flatnonzero(t < ctx.duration)
        options = _VOTE_OPTIONS[kind]
        bodies = []
        for i in keep.tolist():
            spellings = options[0 if first[i] else 1]
            bodies.append(fill(spellings[0 if u.next() < 0.6 else int(u.next() * len(spellings))]))
        ctx.buf.add(t[keep], voters[keep], bodies, "chat", "vote", "vote", seg=seg, latency=latency[keep])


# ----------------------------------------------------------------------------- bursts
def _burst_times(rng: np.random.Generator, ctx: Context, n: int, window: float) -> tuple[float, np.ndarray]:
    lo = max(0.0, ctx.params.late_start_s)
    t0 = float(rng.uniform(lo, max(lo + 1.0, ctx.duration - window - 5.0)))
    offsets = np.sort(rng.gamma(1.3, window / 3.0, n))
    return t0, np.minimum(t0 + offsets, ctx.duration - 0.01)


def _edit_pasta(text: str, u: Uniforms, ctx: Context) -> str:
    """A participant's small edit: a word swapped or added, case changed, an emote tacked on."""
    words = text.split(" ")
    op = u.next()
    if op < 0.3:
        i = int(u.next() * len(words))
        words[i] = u.pick(tp.THINGS) if u.next() < 0.5 else u.pick(tp.ADJECTIVES)
        return " ".join(words)
    if op < 0.5:
        i = int(u.next() * len(words))
        return " ".join(words[:i] + [u.pick(_EDIT_WORDS)] + words[i:])
    if op < 0.7:
        return text.upper() if u.next() < 0.7 else text.lower()
    if op < 0.9:
        return f"{text} {u.pick(ctx.emote_pool)}"
    return text.rstrip(".!?")


def copypastas(ctx: Context) -> None:
    """Long paragraphs pasted by many viewers within a minute or so, with small edits."""
    p = ctx.params
    rng = ctx.rng("copypasta")
    n_bursts = int(rng.poisson(p.copypasta_bursts_per_hour * ctx.duration / 3600.0))
    popularity = rng.permutation(len(_PASTAS))
    ranks = np.arange(1, len(_PASTAS) + 1, dtype=np.float64) ** -1.0
    u, fill = ctx.u, ctx.filler.fill
    for _ in range(n_bursts):
        size = max(3, int(rng.poisson(p.copypasta_burst_users)))
        senders = pick_distinct(rng, ctx.users.weight ** 0.5, ctx.viewers, size)
        t0, t = _burst_times(rng, ctx, senders.size, p.copypasta_window_s)
        pasta = _PASTAS[int(popularity[int(np.searchsorted(np.cumsum(ranks) / ranks.sum(), rng.random()))])]
        base = fill(pasta)
        bodies, kinds = [], []
        for i in range(senders.size):
            if i > 0 and u.next() < p.copypasta_edit_prob:
                bodies.append(_edit_pasta(base, u, ctx)[:500])
                kinds.append(KIND["copypasta_edited"])
            else:
                bodies.append(base[:500])
                kinds.append(KIND["copypasta"])
        ctx.buf.add(t, senders, bodies, "chat", "copypasta", np.array(kinds, np.int8), burst=ctx.burst_id())


def spam_bursts(ctx: Context) -> None:
    """Many viewers posting the same short text within seconds."""
    p = ctx.params
    rng = ctx.rng("spam")
    n_bursts = int(rng.poisson(p.spam_bursts_per_hour * ctx.duration / 3600.0))
    u, fill = ctx.u, ctx.filler.fill
    for _ in range(n_bursts):
        size = max(4, int(rng.poisson(p.spam_burst_users)))
        senders = pick_distinct(rng, ctx.users.weight ** 0.5, ctx.viewers, size)
        _, t = _burst_times(rng, ctx, senders.size, p.spam_window_s)
        base = fill(_SPAM[int(u.next() * len(_SPAM))])
        bodies = []
        for _ in range(senders.size):
            r = u.next()
            if r < 0.7:
                bodies.append(base)
            elif r < 0.8:
                bodies.append(base.lower() if base.isupper() else base.upper())
            elif r < 0.9:
                bodies.append(f"{base} {u.pick(ctx.emote_pool)}")
            else:
                bodies.append(f"{base} {base}")
        ctx.buf.add(t, senders, bodies, "chat", "spam_burst", "spam", burst=ctx.burst_id())


# ----------------------------------------------------------------------------- commands and bots
def commands(ctx: Context) -> None:
    """Viewer "!commands", and the replies a bot or a helper account posts within seconds."""
    p, users = ctx.params, ctx.users
    count = round(p.command_share * ctx.target_rows)
    if count <= 0:
        return
    rng = ctx.rng("commands")
    askers = pick_users(rng, users.weight, ctx.viewers, count)
    t = ctx.place(rng, askers)
    order = rng.permutation(len(_COMMANDS))
    pop = np.arange(1, len(_COMMANDS) + 1, dtype=np.float64) ** -0.9
    which = order[np.searchsorted(np.cumsum(pop) / pop.sum(), rng.random(count), side="right").clip(0, len(pop) - 1)]
    listed = [i for i in range(len(users)) if users.kind[i] == LISTED_BOT]
    helpers = [i for i in range(len(users)) if users.kind[i] == RESPONDER]
    answered_by = []
    for _ in range(len(_COMMANDS)):
        if helpers and (ctx.u.next() < p.responder_unlisted_share or not listed):
            answered_by.append(helpers[int(ctx.u.next() * len(helpers))])
        else:
            answered_by.append(listed[int(ctx.u.next() * len(listed))] if listed else -1)
    delay = np.minimum(4.5, np.exp(rng.normal(math.log(p.reply_delay_median_s), 0.4, count)))
    reply_roll = rng.random(count)
    u, fill = ctx.u, ctx.filler.fill
    bodies, reply_t, reply_user, reply_bodies = [], [], [], []
    for i in range(count):
        cmd, weight, replies = _COMMANDS[int(which[i])]
        asker = users.login[int(askers[i])]
        mention = u.pick(ctx.filler.pools["user"])
        bodies.append(fill(cmd, {"user2": mention}))
        responder = answered_by[int(which[i])]
        if responder >= 0 and reply_roll[i] < p.command_reply_prob * weight and t[i] + delay[i] < ctx.duration:
            hours, minutes = divmod(int(t[i] // 60), 60)
            given = {"user": asker, "user2": mention, "hours": str(hours), "mins": str(minutes)}
            reply_bodies.append(fill(replies[int(u.next() * len(replies))], given))
            reply_t.append(t[i] + delay[i])
            reply_user.append(responder)
    ctx.buf.add(t, askers, bodies, "command", "command", "command")
    ctx.buf.add(np.array(reply_t), np.array(reply_user, np.int64), reply_bodies, "chat", "command_reply", "command_reply")


def listed_bots(ctx: Context) -> None:
    """Posts by well-known bot accounts: follows, redemptions, warnings, reminders."""
    p = ctx.params
    bots = np.flatnonzero(ctx.users.kind == LISTED_BOT)
    count = round(p.bot_share * ctx.target_rows)
    if count <= 0 or bots.size == 0:
        return
    rng = ctx.rng("bots")
    per_bot = np.bincount(rng.integers(0, bots.size, count), minlength=bots.size)
    u, fill = ctx.u, ctx.filler.fill
    for bot, n in zip(bots.tolist(), per_bot.tolist()):
        if n == 0:
            continue
        periodic = n // 2
        period = ctx.duration / max(periodic, 1)
        phase = rng.uniform(0.0, period)
        t_periodic = phase + period * np.arange(periodic) + rng.normal(0.0, 0.02 * period, periodic)
        t = np.clip(np.r_[t_periodic, rng.uniform(0.0, ctx.duration, n - periodic)], 0.0, ctx.duration - 0.01)
        bodies = [fill(_BOT_NOTICES[int(u.next() * len(_BOT_NOTICES))]) for _ in range(n)]
        ctx.buf.add(t, bot, bodies, "chat", "bot", "bot_notice")


def timer_bots(ctx: Context) -> None:
    """Unlisted accounts that post a few fixed texts on a near-regular timer."""
    p = ctx.params
    rng = ctx.rng("timers")
    timers = np.flatnonzero(ctx.users.kind == TIMER_BOT)
    for bot, period in zip(timers.tolist(), p.timer_period_s):
        texts = [ctx.filler.fill(_TIMER_TEXTS[int(ctx.u.next() * len(_TIMER_TEXTS))]) for _ in range(1 + int(ctx.u.next() * 3))]
        n = int(ctx.duration // period)
        t = rng.uniform(0.0, period) + period * np.arange(n) + rng.normal(0.0, p.timer_jitter_cv * period, n)
        t = t[(t >= 0.0) & (t < ctx.duration)]
        ctx.buf.add(t, bot, [texts[i % len(texts)] for i in range(t.size)], "chat", "timer_bot", "timer")


# ----------------------------------------------------------------------------- system rows
def subs(ctx: Context) -> None:
    """Subs, resubs and gift bombs (a bomb is one notice plus one row per gifted sub)."""
    p, users = ctx.params, ctx.users
    rng = ctx.rng("subs")
    n = int(rng.poisson(p.subs_per_hour * ctx.duration / 3600.0))
    if n == 0:
        return
    subbers = pick_users(rng, users.weight ** 0.3, ctx.viewers, n)
    t = ctx.place(rng, subbers)
    u, fill = ctx.u, ctx.filler.fill
    bomb = rng.random(n) < p.gift_bomb_share
    rows_t, rows_user, bodies, kinds = [], [], [], []
    for i in range(n):
        display = users.display[int(subbers[i])]
        if bomb[i]:
            k = int(rng.choice([5, 5, 10, 10, 20, 50]))
            rows_t.append(t[i])
            rows_user.append(subbers[i])
            bodies.append(fill(_GIFT_BOMB, {"display": display, "count": str(k)}))
            kinds.append(KIND["gift"])
            for j in range(k):
                rows_t.append(min(t[i] + 0.05 * (j + 1), ctx.duration - 0.01))
                rows_user.append(subbers[i])
                bodies.append(fill(_GIFT_ONE, {"display": display}))
                kinds.append(KIND["gift"])
        else:
            rows_t.append(t[i])
            rows_user.append(subbers[i])
            if u.next() < 0.25:
                bodies.append(fill(_SUB_MESSAGES[int(u.next() * len(_SUB_MESSAGES))]))
            else:
                bodies.append(fill(_SUB_TEXTS[int(u.next() * len(_SUB_TEXTS))], {"display": display}))
            kinds.append(KIND["sub"])
    ctx.buf.add(np.array(rows_t), np.array(rows_user, np.int64), bodies, "sub", "system", np.array(kinds, np.int8))


def notices(ctx: Context) -> None:
    p, users = ctx.params, ctx.users
    rng = ctx.rng("notices")
    n = int(rng.poisson(p.notices_per_hour * ctx.duration / 3600.0))
    if n == 0:
        return
    senders = pick_users(rng, users.weight ** 0.3, ctx.viewers, n)
    mods = ctx.viewers[users.is_mod[ctx.viewers]]
    u, fill = ctx.u, ctx.filler.fill
    bodies = []
    for i, sender in enumerate(senders.tolist()):
        template = _NOTICES[int(u.next() * len(_NOTICES))]
        if template[0][0].startswith("Announcement") and mods.size:  # announcements come from moderators
            senders[i] = sender = int(mods[int(u.next() * mods.size)])
        bodies.append(fill(template, {"display": users.display[sender]}))
    ctx.buf.add(ctx.place(rng, senders), senders, bodies, "notice", "system", "notice")


def raids(ctx: Context) -> None:
    """A raid notice, then the raiders arriving and spamming the raid message."""
    p, users = ctx.params, ctx.users
    rng = ctx.rng("raids")
    u, fill = ctx.u, ctx.filler.fill
    taken = set(users.login)
    for _ in range(p.n_raids):
        channel = u.pick(tp.RAIDER_CHANNELS)
        while channel in taken:
            channel = f"{channel}_{int(u.next() * 100)}"
        taken.add(channel)
        t0 = float(rng.uniform(max(0.0, p.late_start_s) + 60.0, max(p.late_start_s + 61.0, ctx.duration - 60.0)))
        if t0 >= ctx.duration - 1.0:
            continue
        raider = users.add(rng, [channel], RAIDER, ["partner/1"], t0, ctx.duration)
        n = max(3, int(rng.poisson(p.raid_users)))
        logins = usernames(rng, n, tp.NAME_HEADS, tp.NAME_TAILS, taken)
        taken.update(logins)
        newcomers = users.add(rng, logins, NEWCOMER, [], t0, ctx.duration, latency=sample_latency(rng, p, n))
        count = str(n * int(rng.integers(3, 12)))
        ctx.buf.add(np.array([t0]), raider, [fill(_RAID, {"count": count, "display": users.display[int(raider[0])]})], "raid", "system", "raid")
        t = np.minimum(t0 + 1.0 + np.sort(rng.gamma(1.5, 6.0, n)), ctx.duration - 0.01)
        given = {"RAIDER": channel.upper(), "raider": channel}
        bodies = [fill(_RAID_SPAM[int(u.next() * len(_RAID_SPAM))], given) for _ in range(n)]
        ctx.buf.add(t, newcomers, bodies, "chat", "spam_burst", "raid_spam", burst=ctx.burst_id())


def add_special_accounts(ctx_rng: np.random.Generator, params: StreamParams, users: Users) -> None:
    """Listed bots, unlisted timer bots and command responders, present all stream."""
    end = params.duration_s
    users.add(ctx_rng, list(params.listed_bots), LISTED_BOT, ["moderator/1"], 0.0, end)
    for login in params.timer_bots:
        users.add(ctx_rng, [login], TIMER_BOT, ["moderator/1"] if ctx_rng.random() < 0.5 else ["vip/1"], 0.0, end)
    users.add(ctx_rng, list(params.responders), RESPONDER, ["moderator/1"], 0.0, end)
