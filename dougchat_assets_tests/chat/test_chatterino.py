"""Chatterino logs: dates, zones, midnight rollover, system lines, localized names."""

from __future__ import annotations

import pytest

from dougchat_assets.chat import ChatContext, stable_msg_id
from dougchat_assets.chat.chatterino import classify_system_line
from dougchat_assets.errors import InputError

from .support import copy_as, fixture, read_rows, spans, utc_ms

LOG = fixture("dougdoug-2024-03-02.log")


def test_header_date_and_zone():
    rows = read_rows(LOG, ChatContext("dd", timezone="Asia/Tokyo"))  # the header wins over vod.json
    first = rows[0]
    assert first["source_line"] == 2  # 1-based, the header is line 1
    assert first["msg_id"] == stable_msg_id("dd", LOG.name, 2)
    assert first["sent_at_utc_ms"] == utc_ms("2024-03-02T18:58:20-05:00")
    assert (first["user_login"], first["user_display_name"], first["body"]) == ("dougdoug", None, "welcome chat")
    assert first["native_id"] is None and first["user_id"] is None and first["vod_offset_s"] is None
    assert first["badges"] is None


def test_two_spaces_localized_names_and_emotes_by_name():
    rows = read_rows(LOG)
    assert rows[1]["user_login"] == "monkeyfan" and rows[1]["body"] == "Kappa hello KEKW"
    assert spans(rows[1]) == [(0, 5, None, "Kappa"), (12, 16, None, "KEKW")]
    assert (rows[2]["user_login"], rows[2]["user_display_name"]) == ("nihongo_user", "日本語ユーザー")
    assert spans(rows[2]) == [(8, 11, None, "LUL")]  # after CJK text and an emoji


def test_system_lines():
    rows = {r["source_line"]: r for r in read_rows(LOG)}
    expected = {
        5: ("timeout", None, "baduser"),
        6: ("timeout", "modguy", "spammer"),
        7: ("mod_action", None, "baduser2"),
        8: ("deletion", None, "spammer"),
        9: ("sub", "monkeyfan", None),
        10: ("raid", "raiderguy", None),
        11: ("mod_action", None, None),
        12: ("mod_action", None, None),
        13: ("notice", None, None),
        14: ("command", "monkeyfan", None),
        15: ("chat", "monkeyfan", None),
    }
    for line, (msg_type, login, target) in expected.items():
        row = rows[line]
        assert (row["msg_type"], row["user_login"], row["target_user_login"]) == (msg_type, login, target), line
    assert rows[15]["body"] == ""  # "monkeyfan: " with nothing after
    assert 16 not in rows  # blank line


def test_midnight_rollover():
    rows = read_rows(LOG)
    assert rows[-2]["sent_at_utc_ms"] == utc_ms("2024-03-02T23:59:58-05:00")
    assert rows[-1]["sent_at_utc_ms"] == utc_ms("2024-03-03T00:00:03-05:00")


def test_no_header_uses_vod_start_and_zone():
    path = fixture("stream-2079311234.log")
    context = ChatContext("s", started_at_utc_ms=utc_ms("2024-03-02T23:50:00+01:00"), timezone="Europe/Berlin")
    rows = read_rows(path, context)
    assert [r["sent_at_utc_ms"] for r in rows] == [
        utc_ms("2024-03-02T23:59:50+01:00"),
        utc_ms("2024-03-03T00:00:10+01:00"),
        utc_ms("2024-03-03T00:01:00+01:00"),
    ]
    assert rows[2]["is_emote_only"] is True


def test_vod_start_just_before_midnight_dates_the_first_line_after_it():
    path = fixture("stream-2079311234.log")
    # the stream started at 00:00:05 local on March 3: "[23:59:50]" is ten seconds before it
    context = ChatContext("s", started_at_utc_ms=utc_ms("2024-03-03T00:00:05+01:00"), timezone="+01:00")
    rows = read_rows(path, context)
    assert rows[0]["sent_at_utc_ms"] == utc_ms("2024-03-02T23:59:50+01:00")
    assert rows[1]["sent_at_utc_ms"] == utc_ms("2024-03-03T00:00:10+01:00")


def test_first_line_after_midnight_from_vod_start(tmp_path):
    path = tmp_path / "stream-42.log"
    path.write_text("[00:00:10] a: one\n[00:00:20] b: two\n", encoding="utf-8")
    context = ChatContext("s", started_at_utc_ms=utc_ms("2024-03-02T23:58:00-05:00"), timezone="America/New_York")
    rows = read_rows(path, context)
    assert rows[0]["sent_at_utc_ms"] == utc_ms("2024-03-03T00:00:10-05:00")


def test_date_from_file_name_and_zone_offset(tmp_path):
    path = tmp_path / "dougdoug-2024-03-05.log"
    path.write_text("[10:00:00] a: hi\n", encoding="utf-8")
    rows = read_rows(path, ChatContext("s", timezone="+0530"))
    assert rows[0]["sent_at_utc_ms"] == utc_ms("2024-03-05T10:00:00+05:30")


def test_windows_zone_name_with_daylight_saving():
    rows = read_rows(fixture("windows-2024-07-01.log"))
    assert rows[0]["sent_at_utc_ms"] == utc_ms("2024-07-01T20:00:05-04:00")
    assert rows[0]["body"] == "hello from windows"  # CRLF stripped


def test_missing_zone_names_the_field(tmp_path):
    path = tmp_path / "dougdoug-2024-03-05.log"
    path.write_text("[10:00:00] a: hi\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, ChatContext("s"))
    message = str(caught.value)
    assert "dougdoug-2024-03-05.log" in message and "time zone" in message and "chat_timezone" in message


def test_unknown_header_zone(tmp_path):
    path = tmp_path / "x-2024-03-05.log"
    path.write_text("# Start logging at 2024-03-05 10:00:00 Hora estándar romance\n[10:00:01] a: hi\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, ChatContext("s"))
    assert caught.value.line == 1 and caught.value.field == "time zone"
    rows = read_rows(path, ChatContext("s", timezone="Europe/Madrid"))  # vod.json rescues it
    assert rows[0]["sent_at_utc_ms"] == utc_ms("2024-03-05T10:00:01+01:00")


def test_no_date_anywhere(tmp_path):
    path = copy_as(fixture("stream-2079311234.log"), tmp_path, "stream.log")
    with pytest.raises(InputError) as caught:
        read_rows(path, ChatContext("s", timezone="UTC"))
    assert caught.value.line == 1 and caught.value.field == "date" and "started_at" in str(caught.value)


def test_bad_time_names_line_and_field(tmp_path):
    path = tmp_path / "d-2024-03-05.log"
    path.write_text("[10:00:00] a: hi\n[25:61:00] b: no\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, ChatContext("s", timezone="UTC"))
    assert caught.value.line == 2 and caught.value.field == "time" and "d-2024-03-05.log" in str(caught.value)


def test_garbage_line(tmp_path):
    path = tmp_path / "d-2024-03-05.log"
    path.write_text("[10:00:00] a: hi\nthis is not a log line\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path, ChatContext("s", timezone="UTC"))
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("baduser has been timed out for 10m.", ("timeout", None, "baduser")),
        ("baduser has been timed out for 1s. (2 times)", ("timeout", None, "baduser")),
        ("ModGuy banned baduser: spam", ("mod_action", "modguy", "baduser")),
        ("ModGuy unbanned baduser.", ("mod_action", "modguy", "baduser")),
        ("ModGuy deleted message from spammer saying: buy", ("deletion", "modguy", "spammer")),
        ("Gifter gifted a Tier 1 sub to Lucky!", ("sub", "gifter", None)),
        ("Gifter is gifting 5 Tier 1 Subs to DougDoug's community!", ("sub", "gifter", None)),
        ("An anonymous user gifted a Tier 1 sub to Lucky!", ("sub", None, None)),
        ("25 raiders from RaiderGuy have joined!", ("raid", "raiderguy", None)),
        ("This room is no longer in emote-only mode.", ("mod_action", None, None)),
        ("Now hosting someone.", ("notice", None, None)),
    ],
)
def test_classify_system_line(text, expected):
    assert classify_system_line(text) == expected
