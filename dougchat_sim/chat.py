"""Simulate one labelled stream: speech, chat, moderation and the true chat -> audio curve.

Order of work: the clock and speech first (chat reacts to speech), then the accounts, then
every structured kind of row (reactions, votes, bursts, bots, commands, system rows, emotes,
toxicity); ordinary chat fills what is left of the drawn chat rate; moderation then removes,
relabels and adds rows, and ordinary chat tops the count back up.  The result is
byte-identical for the same seed and pinned knobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dougchat_assets.chat.emotes import default_emote_names

from dougchat_sim import components as comp
from dougchat_sim import text_pools as tp
from dougchat_sim.clock import Clock
from dougchat_sim.messages import Buffer, Rows, concat
from dougchat_sim.moderation import Plan, moderate
from dougchat_sim.params import StreamParams, draw_params
from dougchat_sim.population import VIEWER, Intensity, Users, make_viewers
from dougchat_sim.tables import build_tables
from dougchat_sim.textgen import SlotFiller, Uniforms, weighted_pool
from dougchat_sim.transcript import Speech, simulate_speech


@dataclass
class SimulatedStream:
    """A simulated stream and its ground truth (see the module docstring of :mod:`dougchat_sim`)."""

    params: StreamParams
    chat: pa.Table  # exactly RAW_CHAT_SCHEMA
    labels: pa.Table  # msg_id, label, text_kind, burst_id, reacts_to_segment, true_viewer_position_s, latency_s, reaction_s
    segments: pa.Table  # vod_id, segment_id, start_s, end_s, text, quality, speaker (audio seconds)
    words: pa.Table  # vod_id, segment_id, word_index, start_s, end_s, word, probability
    knots: list[tuple[int, float]]  # true chat_utc_ms -> audio_s (align.curve contract)


def _emote_taste(params: StreamParams, rng: np.random.Generator) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """This chat's emotes, most popular first, and a pool weighted by popularity."""
    names = sorted(default_emote_names())
    chosen = [names[i] for i in rng.choice(len(names), min(params.emote_pool_size, len(names)), replace=False)]
    weights = np.arange(1, len(chosen) + 1, dtype=np.float64) ** -params.emote_popularity_skew
    return tuple(chosen), weighted_pool(chosen, weights)


def _filler(params: StreamParams, users, emote_pool: tuple[str, ...], channel: str, u: Uniforms, rng: np.random.Generator) -> SlotFiller:
    viewers = np.flatnonzero(users.kind == VIEWER)
    top = viewers[np.argsort(-users.weight[viewers], kind="stable")[:300]]
    some = rng.choice(viewers, min(300, viewers.size), replace=False)
    mention = tuple(users.login[i] for i in np.r_[top, some].tolist())
    code = "".join(rng.choice(list("abcdefghjkmnpqrstuvwxyz23456789"), 7).tolist())
    pools = {
        "streamer": tp.STREAMER_NAMES, "guest": tp.GUEST_NAMES, "thing": tp.THINGS, "adj": tp.ADJECTIVES,
        "verb_past": tp.VERBS_PAST, "verb": tp.VERBS, "item": tp.ITEMS, "place": tp.PLACES, "tod": tp.TIMES_OF_DAY,
        "elsewhere": tp.ELSEWHERE, "food": tp.FOODS, "pet": tp.PETS, "exam": tp.EXAMS, "game": tp.GAMES,
        "num": tuple(str(i) for i in range(2, 60)), "agree": tp.AGREE, "user": mention, "emote": emote_pool,
        "laugh": tp.LAUGHS, "channel": (channel,), "code": (code,), "quote": tp.SPEECH_TEMPLATES[:8],
        "game_title": tp.GAME_TITLES, "display": tuple(users.display[i] for i in some.tolist()),
        "other": tuple(users.display[i] for i in some.tolist()), "hours": ("2",), "mins": ("15",),
        "count": ("5",),
    }
    return SlotFiller(u, pools)


@dataclass
class GeneratedRows:
    """Everything drawn for one stream before it becomes Arrow tables.

    :func:`simulate_stream` turns it into the ``raw_chat`` and label tables; the alignment
    simulator (:mod:`dougchat_sim.alignment`) builds the estimator's inputs from it directly,
    skipping the parser-shaped columns (ids, emote spans) it has no use for.
    """

    params: StreamParams
    clock: Clock
    users: Users
    speech: Speech
    rows: Rows  # generation order, not yet sorted by time
    emotes: tuple[str, ...]  # this chat's distinct emotes, most popular first


def generate_rows(seed: int, vod_id: str = "sim", **fixed: object) -> GeneratedRows:
    """Draw the knots for ``seed`` and generate speech and every chat row (see module docstring)."""
    params = draw_params(seed, **fixed)
    rng = comp.component_rng(seed, "setup")
    clock = Clock.from_params(params)
    users = make_viewers(params, comp.component_rng(seed, "viewers"))
    comp.add_special_accounts(comp.component_rng(seed, "accounts"), params, users)
    u = Uniforms(comp.component_rng(seed, "text"))
    emotes, emote_pool = _emote_taste(params, rng)
    channel = u.pick(tp.NAME_HEADS) + u.pick(tp.NAME_TAILS)
    filler = _filler(params, users, emote_pool, channel, u, rng)
    speech = simulate_speech(params, clock, comp.component_rng(seed, "speech"), filler, vod_id)
    target = max(1, round(params.chat_rate_msgs_per_s * params.duration_s))
    ctx = comp.Context(
        params=params, clock=clock, users=users, viewers=np.flatnonzero(users.kind == VIEWER),
        intensity=Intensity(params, comp.component_rng(seed, "intensity")), speech=speech, filler=filler, u=u,
        buf=Buffer(), target_rows=target, emote_pool=emote_pool, emotes=emotes, channel=channel,
    )
    for make in (comp.reactions, comp.votes, comp.copypastas, comp.spam_bursts, comp.raids, comp.commands,
                 comp.listed_bots, comp.timer_bots, comp.subs, comp.notices, comp.emote_only, comp.emote_wall,
                 comp.toxic):
        make(ctx)
    plan = Plan.draw(params, comp.component_rng(seed, "moderation-plan"))
    comp.ordinary(ctx, target - ctx.buf.count - plan.rows, ctx.viewers)
    kept, mod_rows, victims = moderate(ctx.buf.rows(), users, params, plan, comp.component_rng(seed, "moderation"), filler)
    rows = concat(kept, mod_rows)
    deficit = target - len(rows)
    if deficit > 0:
        ctx.buf = Buffer()
        pool = np.setdiff1d(ctx.viewers, np.fromiter(victims, dtype=np.int64, count=len(victims)))
        comp.ordinary(ctx, deficit, pool if pool.size else ctx.viewers, name="ordinary-topup")
        rows = concat(rows, ctx.buf.rows())
    return GeneratedRows(params, clock, users, speech, rows, emotes)


def simulate_stream(seed: int, vod_id: str = "sim", **fixed: object) -> SimulatedStream:
    """Simulate the stream drawn for ``seed`` (``fixed`` pins knobs, as in :func:`draw_params`)."""
    g = generate_rows(seed, vod_id, **fixed)
    chat, labels = build_tables(g.rows, g.users, g.clock, g.speech, g.params, vod_id, comp.component_rng(seed, "tables"))
    return SimulatedStream(g.params, chat, labels, g.speech.segments, g.speech.words, g.clock.knots())
