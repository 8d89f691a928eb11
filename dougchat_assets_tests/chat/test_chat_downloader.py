"""chat-downloader output: JSON array (VOD replay) and JSON Lines (live capture)."""

from __future__ import annotations

from dougchat_assets.chat import ChatContext, ChatFormat, read_export_metadata, stable_msg_id
from dougchat_assets.chat.chat_downloader import timestamp_ms

from .support import fixture, read_rows, spans, utc_ms

import pytest


def test_vod_array_rows():
    rows = read_rows(fixture("cd_vod.json"), ChatContext("v9"))
    assert [r["source_line"] for r in rows] == [0, 1, 2, 3]  # 0-based array index
    assert rows[0]["msg_id"] == stable_msg_id("v9", "cd_vod.json", 0)
    first = rows[0]
    assert first["sent_at_utc_ms"] == utc_ms("2024-03-02T19:00:04.500+00:00")  # from microseconds
    assert first["vod_offset_s"] == 4.0
    assert first["native_id"] == "d0000000-0000-4000-8000-000000000000"
    assert (first["user_id"], first["user_login"], first["user_display_name"]) == ("111111", "monkeyfan", "MonkeyFan")
    assert first["badges"] == ["subscriber/12"]
    assert spans(first) == [(0, 5, "25", "Kappa"), (12, 17, "25", "Kappa")]  # "0-4,12-16": end inclusive
    assert spans(rows[1]) == [(3, 6, "425618", "LUL")]  # after two emoji
    assert rows[2]["sent_at_utc_ms"] == utc_ms("2024-03-02T19:00:06.999+00:00")  # floor, not round
    assert [r["msg_type"] for r in rows] == ["chat", "chat", "command", "sub"]
    assert all(r["source_format"] == "chat_downloader" for r in rows)


def test_vod_array_metadata_start_from_offsets():
    meta = read_export_metadata(fixture("cd_vod.json"))
    assert meta.format == ChatFormat.CHAT_DOWNLOADER
    assert meta.video_id is None and meta.title is None and meta.duration_s is None
    # timestamp - time_in_seconds of the first messages: within a second of the true start
    assert abs(meta.started_at_utc_ms - utc_ms("2024-03-02T19:00:00+00:00")) < 1000


def test_live_jsonl_rows_and_moderation():
    rows = read_rows(fixture("cd_live.jsonl"))
    assert [r["source_line"] for r in rows] == list(range(1, 9))  # 1-based lines
    by_type = [(r["msg_type"], r["target_user_login"], r["target_native_id"]) for r in rows]
    assert by_type == [
        ("chat", None, None),
        ("timeout", "baduser", None),
        ("mod_action", "baduser2", None),
        ("deletion", "spammer", "e0"),
        ("mod_action", None, None),
        ("raid", None, None),
        ("mod_action", None, None),
        ("sub", None, None),
    ]
    assert spans(rows[0]) == [(2, 7, "25", "Kappa")]  # locations as a list
    assert rows[0]["vod_offset_s"] is None
    assert rows[3]["user_login"] is None  # the deleted message's author is the target, not the actor
    assert rows[3]["body"] == "buy followers"
    assert rows[5]["user_login"] == "raiderguy"
    assert rows[5]["body"] == "25 raiders from RaiderGuy have joined!"  # system message when no text
    assert rows[7]["body"] == "Love this stream"
    assert read_export_metadata(fixture("cd_live.jsonl")).started_at_utc_ms is None


def test_chat_replay_downloader_author_string():
    rows = read_rows(fixture("cd_replay_old.json"))
    assert (rows[0]["user_login"], rows[0]["user_display_name"]) == ("jump3n", "jump3N")
    assert rows[1]["body"] == "Kör ni prophunt?"
    assert rows[0]["sent_at_utc_ms"] == 1562541137129
    assert rows[0]["badges"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1709406004500000, 1709406004500), (1709406004500999.0, 1709406004500), ("1709406004500000", 1709406004500), ("2024-03-02T19:00:04.5Z", 1709406004500)],
)
def test_timestamp_forms(value, expected):
    assert timestamp_ms(value) == expected


@pytest.mark.parametrize("value", [1709406004500, True, None, "yesterday", [1]])
def test_timestamp_rejects_non_microseconds(value):
    with pytest.raises(ValueError):
        timestamp_ms(value)
