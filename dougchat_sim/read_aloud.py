"""Streamers reading chat aloud: which messages, when, and the words said.

A streamer sees a message the moment it is sent (no stream latency on their side) and
reads it a few seconds later, so the read lands at the audio time of (send time + read
delay).  That is the one event whose speech *follows* the chat, the mirror image of an
echo, which is why the truth records each read exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dougchat_sim.align_params import AlignmentKnobs
from dougchat_sim.clock import Clock
from dougchat_sim.messages import KIND, LABEL, MTYPE
from dougchat_sim.params import StreamParams
from dougchat_sim.population import VIEWER, Users
from dougchat_sim.vod_speech import Spoken, utterance

_WORD = re.compile(r"[A-Za-z][A-Za-z']*[.,!?]*")
_MAX_WORDS = 16


@dataclass(frozen=True)
class ReadAlouds:
    """Chosen reads: row of the (sorted) chat, broadcast delay, utterance and message-word starts."""

    rows: np.ndarray  # int64 rows of the chat being read
    delay_s: np.ndarray  # broadcast seconds from sending to the first word said
    utterances: list[Spoken]
    first_message_word: list[int]  # index into the utterance of the message's first word (after "X says")


def _spoken_words(body: str, emotes: frozenset[str]) -> list[str]:
    out = []
    for tok in body.split():
        if tok.rstrip(".,!?") in emotes or not _WORD.fullmatch(tok):
            continue
        out.append(tok.lower())
    return out[:_MAX_WORDS]


def choose_read_alouds(
    t: np.ndarray,
    body: list[str],
    label: np.ndarray,
    kind: np.ndarray,
    mtype: np.ndarray,
    user: np.ndarray,
    users: Users,
    clock: Clock,
    params: StreamParams,
    knobs: AlignmentKnobs,
    audio_s: float,
    busy: list[tuple[float, float]],
    emotes: frozenset[str],
    first_seg: int,
    rng: np.random.Generator,
) -> ReadAlouds:
    """Pick ``knobs.read_alouds`` plain viewer messages whose read fits in the audio.

    A read must lie wholly inside one stretch of audio (not across a cut point, not before
    the audio starts or past its end) and clear of ``busy`` audio spans and other reads.
    Fewer are returned when the chat has too few suitable messages.
    """
    want = knobs.read_alouds
    empty = ReadAlouds(np.zeros(0, np.int64), np.zeros(0), [], [])
    if want == 0 or t.size == 0:
        return empty
    sender = np.maximum(user, 0)
    plain = (
        (label == LABEL["ordinary"]) & (kind == KIND["ordinary"]) & (mtype == MTYPE["chat"]) & (user >= 0)
        & (users.kind[sender] == VIEWER)
    )
    candidates = rng.permutation(np.flatnonzero(plain))[: 60 * want + 200]
    delays = np.maximum(0.3, knobs.read_delay_s + rng.normal(0.0, 1.0, candidates.size) * knobs.read_delay_jitter_s)
    rates = params.speech_rate_wps * (0.85 + 0.3 * rng.random(candidates.size))
    prefix = rng.random(candidates.size) < knobs.read_prefix_prob
    cut_starts = np.array([s / 1000.0 for s, _ in clock.cuts_ms])
    cut_ends = np.array([e / 1000.0 for _, e in clock.cuts_ms])
    late = clock.late_ms / 1000.0
    taken: list[tuple[float, float]] = list(busy)
    rows: list[int] = []
    chosen_delay: list[float] = []
    parts: list[Spoken] = []
    firsts: list[int] = []
    for j, row in enumerate(candidates.tolist()):
        words = _spoken_words(body[row], emotes)
        if len(words) < 3:
            continue
        lead: list[str] = []
        if prefix[j]:
            login = users.login[int(user[row])]
            lead = [login if login.isalpha() else "chat", "says"]
        said = lead + words
        said[0] = said[0][:1].upper() + said[0][1:]
        said[-1] = said[-1].rstrip(".,!?") + "."
        b0 = float(t[row] + delays[j])
        length = len(said) / float(rates[j]) + 0.5
        b1 = b0 + length
        if b0 < late + 0.5 or ((cut_starts < b1 + 1.5) & (cut_ends > b0 - 1.5)).any():
            continue
        a0 = float(clock.audio_of_s(b0))
        a1 = a0 + (b1 - b0) * (1.0 + clock.drift)
        if a1 > audio_s - 1.0 or any(a0 - 1.0 < e and a1 + 1.0 > s for s, e in taken):
            continue
        taken.append((a0, a1))
        rows.append(row)
        chosen_delay.append(float(delays[j]))
        parts.append(utterance(said, a0, float(rates[j]) / (1.0 + clock.drift), first_seg + len(parts)))
        firsts.append(len(lead))
        if len(rows) == want:
            break
    if not rows:
        return empty
    return ReadAlouds(np.array(rows, np.int64), np.array(chosen_delay), parts, firsts)
