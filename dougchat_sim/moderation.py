"""Moderators at work: timeouts, bans, deleted messages and room-mode changes.

Moderation acts on rows already generated: a victim is someone who posted (usually a toxic
line), the action comes a moderator's reaction time later, the victim's rows just before it
become ``timed_out_user``, and the victim is silent while timed out (gone after a ban).  A
deleted row keeps its text and gets a CLEARMSG-style ``deletion`` row naming its native id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dougchat_sim import text_pools as tp
from dougchat_sim.messages import KIND, LABEL, MTYPE, Buffer, Rows
from dougchat_sim.params import StreamParams
from dougchat_sim.population import VIEWER, Users
from dougchat_sim.textgen import SlotFiller, compile_template

TIMEOUT_LENGTHS_S = (60.0, 300.0, 600.0, 1800.0, 3600.0)
_CHATTY = (MTYPE["chat"], MTYPE["command"])
_DELETABLE = tuple(KIND[k] for k in ("ordinary", "ordinary_profane", "spam", "copypasta", "copypasta_edited", "emote_wall", "reaction_echo"))


@dataclass(frozen=True)
class Plan:
    """How many actions of each kind (drawn before ordinary chat fills the remaining rows)."""

    timeouts: int
    bans: int
    deletions: int
    mode_changes: int

    @classmethod
    def draw(cls, params: StreamParams, rng: np.random.Generator) -> Plan:
        hours = params.duration_s / 3600.0
        return cls(
            int(rng.poisson(params.timeouts_per_hour * hours)),
            int(rng.poisson(params.bans_per_hour * hours)),
            int(rng.poisson(params.deletions_per_hour * hours)),
            int(rng.poisson(params.mode_changes_per_hour * hours)),
        )

    @property
    def rows(self) -> int:
        return self.timeouts + self.bans + self.deletions + self.mode_changes


def moderate(rows: Rows, users: Users, params: StreamParams, plan: Plan, rng: np.random.Generator, filler: SlotFiller) -> tuple[Rows, Rows, set[int]]:
    """Return (surviving rows, moderation rows, victim user indices).

    Moderation rows reference deleted rows by their index in the *surviving* rows.
    """
    duration = params.duration_s
    is_viewer_row = (rows.user >= 0) & np.isin(rows.mtype, _CHATTY)
    is_viewer_row &= (users.kind[np.maximum(rows.user, 0)] == VIEWER) & ~users.is_mod[np.maximum(rows.user, 0)]
    candidates = np.flatnonzero(is_viewer_row)
    toxic_rows = np.flatnonzero(is_viewer_row & (rows.kind == KIND["toxic"]))
    by_user = np.argsort(rows.user, kind="stable")
    sorted_users = rows.user[by_user]
    delay_mu = math.log(params.moderation_delay_median_s)
    removed = np.zeros(len(rows), dtype=bool)
    relabel = np.zeros(len(rows), dtype=bool)
    out = Buffer()
    victims: set[int] = set()
    if candidates.size == 0:
        return rows, out.rows(), victims
    actions = ["timeout"] * plan.timeouts + ["ban"] * plan.bans
    for action in actions:
        pool = toxic_rows if toxic_rows.size and rng.random() < params.moderation_toxic_share else candidates
        row = int(pool[rng.integers(0, pool.size)])
        victim = int(rows.user[row])
        when = float(rows.t[row] + math.exp(rng.normal(delay_mu, 0.6)))
        if victim in victims or when >= duration:
            continue
        victims.add(victim)
        lo, hi = np.searchsorted(sorted_users, [victim, victim + 1])
        own = by_user[lo:hi]
        length = float(rng.choice(TIMEOUT_LENGTHS_S)) if action == "timeout" else math.inf
        own_t = rows.t[own]
        removed[own[(own_t > when) & (own_t <= when + length)]] = True
        relabel[own[(own_t <= when) & (own_t >= when - params.moderation_lookback_s) & np.isin(rows.mtype[own], _CHATTY)]] = True
        mtype = "timeout" if action == "timeout" else "mod_action"
        out.add(np.array([when]), -1, [""], mtype, "mod_event", action, target_user=victim)
    # Deletions: targets that survive the timeouts, mostly toxic lines, else spam and chatter.
    alive = ~removed
    toxic_alive = toxic_rows[alive[toxic_rows]]
    deletable = candidates[alive[candidates] & np.isin(rows.kind[candidates], _DELETABLE)]
    deleted = np.zeros(len(rows), dtype=bool)
    del_mu = math.log(max(1.5, params.moderation_delay_median_s * 0.5))
    for _ in range(plan.deletions):
        pool = toxic_alive if toxic_alive.size and rng.random() < params.moderation_toxic_share else deletable
        if pool.size == 0:
            continue
        row = int(pool[rng.integers(0, pool.size)])
        when = float(rows.t[row] + math.exp(rng.normal(del_mu, 0.5)))
        if deleted[row] or when >= duration:
            continue
        deleted[row] = True
        out.add(np.array([when]), -1, [rows.body[row]], "deletion", "mod_event", "deletion", target_user=int(rows.user[row]), target_row=row)
    u = filler.u
    for _ in range(plan.mode_changes):
        msg_id, template = tp.MODE_NOTICES[int(u.next() * len(tp.MODE_NOTICES))]
        body = filler.fill(compile_template(template))
        out.add(np.array([float(rng.uniform(0.0, duration - 0.01))]), -1, [body], "mod_action", "mod_event", "room_mode")
    rows.label[relabel] = LABEL["timed_out_user"]
    rows.label[deleted] = LABEL["deleted"]
    keep = np.flatnonzero(alive)
    new_index = np.cumsum(alive) - 1
    mod = out.rows()
    has_target = mod.target_row >= 0
    mod.target_row[has_target] = new_index[mod.target_row[has_target]]
    return rows.take(keep), mod, victims

