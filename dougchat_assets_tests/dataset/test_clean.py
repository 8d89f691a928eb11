"""clean_vod: filters + scrubbing + pairs for one VOD, and the untrusted-VOD path."""

from __future__ import annotations

import pyarrow as pa

from dougchat_assets.chat.schema import RAW_CHAT_SCHEMA
from dougchat_assets.dataset.clean import clean_vod
from dougchat_assets.dataset.config import DatasetConfig
from dougchat_assets.dataset.warehouse import CleanPairsInputs
from dougchat_assets_tests.dataset.test_pairs import KEY, START, vod


def chat(rows: list[tuple[float, str, str, str]]) -> pa.Table:
    """(sent offset s, login, body, msg_type) -> raw_chat rows."""
    return pa.Table.from_pylist(
        [
            {"msg_id": f"m{i}", "vod_id": "v1", "sent_at_utc_ms": START + int(t * 1000), "user_id": None,
             "user_login": login, "user_display_name": login, "body": body, "msg_type": kind, "emote_spans": [],
             "is_emote_only": False, "badges": [], "source_format": "irc", "source_file": "chat.log", "source_line": i + 1}
            for i, (t, login, body, kind) in enumerate(rows)
        ],
        schema=RAW_CHAT_SCHEMA,
    )


ROWS = [
    (40.0, "viewer_one", "that jump was amazing", "chat"),
    (41.0, "nightbot", "Follow the stream on socials!", "chat"),
    (42.0, "viewer_two", "!uptime", "command"),
    (43.0, "viewer_three", "@viewer_one no it was mid", "chat"),
    (44.0, "viewer_four", "viewer_one is carrying", "chat"),
    (45.0, "viewer_five", "subscribed for 3 months", "sub"),
    (120.0, "viewer_six", "sent during the ad", "chat"),
]


def test_a_trusted_vod_gives_scrubbed_hashed_pairs_and_a_complete_funnel() -> None:
    result = clean_vod("v1", CleanPairsInputs(chat(ROWS), vod(), {}), DatasetConfig(), KEY)
    replies = dict(zip(result.pairs.column("msg_id").to_pylist(), result.pairs.column("reply").to_pylist()))
    assert replies == {"m0": "that jump was amazing", "m3": "@user no it was mid", "m4": "@user is carrying"}
    steps = result.funnel.column("step").to_pylist()
    assert steps[0] == "system" and steps[-2:] == ["alignment", "balance"]
    logged = dict(zip(result.log.column("msg_id").to_pylist(), result.log.column("step").to_pylist()))
    assert logged == {"m1": "bots", "m2": "commands", "m5": "system", "m6": "alignment"}
    assert {c.name: c.passed for c in result.checks} == {"upstream_trusted": True, "no_usernames": True}
    assert result.kept.column("position").to_pylist() == list(range(result.kept.num_rows))
    assert {"filters.load", "scrub_mentions", "pairs"} <= set(result.seconds)


def test_an_untrusted_vod_gives_no_pairs_and_logs_every_message() -> None:
    inputs = CleanPairsInputs(chat(ROWS), None, {"offset_curve": ["alignment_confidence"]})
    result = clean_vod("v1", inputs, DatasetConfig(), KEY)
    assert result.pairs.num_rows == 0 and result.log.num_rows == len(ROWS)
    assert set(result.log.column("step").to_pylist()) == {"upstream_checks"}
    assert "offset_curve: alignment_confidence" in result.log.column("reason")[0].as_py()
    checks = {c.name: c for c in result.checks}
    assert set(checks) == {"upstream_trusted", "no_usernames"} and not checks["upstream_trusted"].passed
    assert checks["upstream_trusted"].severity == "WARN" and result.details["excluded"]
