"""Score a filter's survivors against a simulated stream's labels (tests and bench/filters.py)."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

ORDINARY_CHAT = "ordinary_chat"  # the dataset issue's "ordinary": labels ordinary/reaction, not emote-only


def keep_counts(stream, kept_msg_ids: pa.Array | pa.ChunkedArray) -> tuple[Counter, Counter]:
    """(kept, total) per label, plus ``ordinary_chat``."""
    labels = stream.labels.select(["msg_id", "label"]).join(stream.chat.select(["msg_id", "is_emote_only"]), "msg_id")
    is_kept = pc.is_in(labels.column("msg_id"), value_set=kept_msg_ids).to_pylist()
    kept, total = Counter(), Counter()
    for label, emote_only, keep in zip(labels.column("label").to_pylist(), labels.column("is_emote_only").to_pylist(), is_kept):
        keys = [label]
        if label in ("ordinary", "reaction") and not emote_only:
            keys.append(ORDINARY_CHAT)
        for key in keys:
            total[key] += 1
            kept[key] += keep
    return kept, total
