"""Column buffers for simulated chat rows, and the label / type / text-kind vocabularies.

Generators append whole columns (numpy arrays and one list of bodies) per component; rows
only become Arrow at the end, after moderation has removed, relabelled and added rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dougchat_assets.chat.schema import MsgType

LABELS: tuple[str, ...] = (
    "ordinary", "reaction", "vote", "bot", "timer_bot", "command", "command_reply", "copypasta", "spam_burst",
    "emote_only", "emote_wall", "toxic", "system", "mod_event", "timed_out_user", "deleted",
)
LABEL = {name: code for code, name in enumerate(LABELS)}
MSG_TYPES: tuple[str, ...] = tuple(str(m) for m in MsgType)
MTYPE = {name: code for code, name in enumerate(MSG_TYPES)}
# Where a body came from, kept beside the label (a timed-out user's toxic line is labelled
# timed_out_user but its text_kind stays "toxic").
TEXT_KINDS: tuple[str, ...] = (
    "ordinary", "ordinary_profane", "reaction_echo", "reaction_plain", "reaction_emote", "vote", "bot_notice",
    "timer", "command", "command_reply", "copypasta", "copypasta_edited", "spam", "raid_spam", "emote_only",
    "emote_wall", "toxic", "sub", "gift", "raid", "notice", "timeout", "ban", "deletion", "room_mode",
)
KIND = {name: code for code, name in enumerate(TEXT_KINDS)}


@dataclass
class Rows:
    """Concatenated columns of all generated rows (one entry per row)."""

    t: np.ndarray  # broadcast seconds
    user: np.ndarray  # int64 index into Users, -1 for none
    body: list[str]
    mtype: np.ndarray  # int8 code into MSG_TYPES
    label: np.ndarray  # int8 code into LABELS
    kind: np.ndarray  # int8 code into TEXT_KINDS
    burst: np.ndarray  # int32, -1 for none
    seg: np.ndarray  # int32 segment row reacted to, -1 for none
    latency: np.ndarray  # float64, NaN = fill from the sender's latency later
    target_user: np.ndarray  # int64, -1 for none
    target_row: np.ndarray  # int64 row index of a deleted message, -1 for none

    def __len__(self) -> int:
        return len(self.body)

    def take(self, index: np.ndarray) -> Rows:
        bodies = self.body
        return Rows(
            self.t[index], self.user[index], [bodies[i] for i in index.tolist()], self.mtype[index], self.label[index],
            self.kind[index], self.burst[index], self.seg[index], self.latency[index], self.target_user[index],
            self.target_row[index],
        )


class Buffer:
    """Collects rows component by component."""

    def __init__(self) -> None:
        self._parts: list[tuple] = []
        self.count = 0

    def add(
        self,
        t: np.ndarray,
        user: np.ndarray | int,
        body: list[str],
        mtype: str,
        label: str | np.ndarray,
        kind: str | np.ndarray,
        *,
        burst: np.ndarray | int = -1,
        seg: np.ndarray | int = -1,
        latency: np.ndarray | float = np.nan,
        target_user: np.ndarray | int = -1,
        target_row: np.ndarray | int = -1,
    ) -> None:
        n = len(body)
        if n == 0:
            return
        t = np.asarray(t, dtype=np.float64)
        if t.shape != (n,):
            raise ValueError(f"{n} bodies but {t.shape} times")

        def col(value, dtype):
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        label_col = col(LABEL[label], np.int8) if isinstance(label, str) else np.asarray(label, np.int8)
        kind_col = col(KIND[kind], np.int8) if isinstance(kind, str) else np.asarray(kind, np.int8)
        self._parts.append(
            (t, col(user, np.int64), list(body), col(MTYPE[mtype], np.int8), label_col, kind_col,
             col(burst, np.int32), col(seg, np.int32), col(latency, np.float64), col(target_user, np.int64),
             col(target_row, np.int64))
        )
        self.count += n

    def rows(self) -> Rows:
        if not self._parts:
            empty = np.zeros(0)
            return Rows(empty, empty.astype(np.int64), [], empty.astype(np.int8), empty.astype(np.int8),
                        empty.astype(np.int8), empty.astype(np.int32), empty.astype(np.int32), empty,
                        empty.astype(np.int64), empty.astype(np.int64))
        cols = list(zip(*self._parts))
        bodies: list[str] = []
        for part in cols[2]:
            bodies.extend(part)
        return Rows(
            np.concatenate(cols[0]), np.concatenate(cols[1]), bodies, *(np.concatenate(c) for c in cols[3:])
        )


def concat(a: Rows, b: Rows) -> Rows:
    return Rows(
        np.r_[a.t, b.t], np.r_[a.user, b.user], a.body + b.body, np.r_[a.mtype, b.mtype], np.r_[a.label, b.label],
        np.r_[a.kind, b.kind], np.r_[a.burst, b.burst], np.r_[a.seg, b.seg], np.r_[a.latency, b.latency],
        np.r_[a.target_user, b.target_user], np.r_[a.target_row, b.target_row],
    )
