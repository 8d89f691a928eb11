"""One VOD's chat -> filtered, aligned, rendered training pairs, plus the funnel and checks.

The ``clean_pairs`` asset is this function between a read and a write (see
``dataset/warehouse.py``).  A VOD whose transcript or offset curve failed a blocking check
contributes no pairs: every message is logged as dropped at step ``upstream_checks`` so the
funnel says why the VOD is empty (a chat export paired with the wrong audio ends here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dougchat_assets.dataset.config import DatasetConfig
from dougchat_assets.dataset.filters import run_filters
from dougchat_assets.dataset.pairs import LOG_SCHEMA, build_pairs
from dougchat_assets.dataset.warehouse import CleanPairsInputs, funnel_table, vod_logins
from dougchat_assets.privacy import count_handle_mentions, scrub_mentions
from dougchat_assets.store.checks import WARN, CheckRecord

FunnelRow = tuple[str, int, int, int, int]  # step, in, dropped, downweighted, collapsed


KEPT_COLUMNS = ("msg_id", "sent_at_utc_ms", "reply", "weight", "is_emote_only")


@dataclass
class CleanResult:
    pairs: pa.Table
    kept: pa.Table  # the filters' survivors as kept (what contexts quote): table kept_chat
    log: pa.Table
    funnel: pa.Table
    checks: list[CheckRecord]
    details: dict
    seconds: dict[str, float] = field(default_factory=dict)  # per filter phase, then scrub_mentions, pairs, checks

    @property
    def n_pairs(self) -> int:
        return int(pc.sum(pc.equal(self.pairs.column("variant"), "orig")).as_py() or 0) if self.pairs.num_rows else 0


def clean_vod(vod_id: str, inputs: CleanPairsInputs, config: DatasetConfig, hash_key: bytes, scorer=None) -> CleanResult:
    chat = inputs.chat
    filters = config.filters
    details = {
        "filter_preset": filters.preset,
        "filter_params": filters.model_dump(mode="json"),
        "filter_params_hash": filters.params_hash(),
        "window_params": config.window.model_dump(mode="json"),
        "window_params_hash": config.window.params_hash(),
        "balance": config.balance.model_dump(mode="json"),
        "messages_in": chat.num_rows,
    }
    if inputs.vod is None:
        why = "; ".join(f"{asset}: {', '.join(names)}" for asset, names in sorted(inputs.untrusted.items()))
        ids = chat.column("msg_id")
        log = pa.table(
            {"msg_id": ids, "step": pa.array(["upstream_checks"] * len(ids), pa.string()),
             "action": pa.array(["drop"] * len(ids), pa.string()),
             "reason": pa.array([f"blocking checks failed upstream ({why})"] * len(ids), pa.string())},
            schema=LOG_SCHEMA,
        )
        details.update(excluded=True, reason=why, pairs=0)
        checks = [
            CheckRecord("upstream_trusted", False, why, None, f"no pairs: blocking checks failed upstream ({why})",
                        severity=WARN),
            _no_usernames_check(pa.table({}), set()),
        ]
        return CleanResult(pa.table({}), pa.table({}), log, funnel_table(vod_id, [("upstream_checks", chat.num_rows, chat.num_rows, 0, 0)]),
                           checks, details)

    outcome = run_filters(chat, filters, scorer)
    seconds = {f"filters.{k}": v for k, v in outcome.seconds.items()}
    started = time.perf_counter()
    kept = outcome.kept
    # The distinct logins first: lower-casing a million rows in Python cost more than the scrub.
    logins = vod_logins(pa.table({"user_login": pc.unique(chat.column("user_login"))}))
    kept = kept.set_column(kept.schema.get_field_index("reply"), "reply", scrub_mentions(kept.column("reply"), logins))
    seconds["scrub_mentions"] = time.perf_counter() - started
    started = time.perf_counter()
    built = build_pairs(inputs.vod, kept, config, hash_key)
    seconds["pairs"] = time.perf_counter() - started
    funnel: list[FunnelRow] = [
        (s.step, s.messages_in, s.dropped, s.downweighted, s.collapsed) for s in outcome.funnel
    ] + [(step, n_in, dropped, 0, 0) for step, n_in, dropped in built.steps]
    log = pa.concat_tables([outcome.log.select(LOG_SCHEMA.names).cast(LOG_SCHEMA), built.log])
    pairs = built.pairs
    details.update(excluded=False, pairs=int(pairs.num_rows), curve_version=inputs.vod.curve_version,
                   audio_duration_s=inputs.vod.audio_duration_s)
    started = time.perf_counter()
    checks = [
        CheckRecord("upstream_trusted", True, None, None, "transcripts and offset_curve passed their blocking checks"),
        _no_usernames_check(pairs, logins),
    ]
    seconds["checks"] = time.perf_counter() - started
    kept_rows = kept.select(list(KEPT_COLUMNS)).append_column("position", pa.array(np.arange(kept.num_rows, dtype=np.int32)))
    return CleanResult(pairs, kept_rows, log, funnel_table(vod_id, funnel), checks, details, seconds)


def _no_usernames_check(pairs: pa.Table, logins: set[str]) -> CheckRecord:
    """No chatter's handle-like login survives in a reply or context (they are hashed or scrubbed)."""
    found = 0
    if pairs.num_rows:
        found = sum(count_handle_mentions(pairs.column(c), logins) for c in ("reply", "context"))
    return CheckRecord(
        "no_usernames", found == 0, found, 0,
        f"{found} pair texts contain a chatter's login (logins are replaced by @user, users by a keyed hash)",
    )
