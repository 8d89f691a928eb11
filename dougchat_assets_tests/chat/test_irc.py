"""Raw Twitch IRC: tags, escapes, emote positions in code points, moderation commands."""

from __future__ import annotations

import pytest

from dougchat_assets.chat import ChatContext, stable_msg_id
from dougchat_assets.chat.irc import emote_tag_spans, split_line, unescape_tag
from dougchat_assets.errors import InputError

from .support import fixture, read_rows, spans

LOG = fixture("irc_raw.log")


def rows_by_line() -> dict[int, dict]:
    return {r["source_line"]: r for r in read_rows(LOG, ChatContext("irc1"))}


def test_protocol_lines_are_skipped():
    rows = rows_by_line()
    assert sorted(rows) == list(range(6, 18))  # 001, CAP, JOIN, ROOMSTATE, PING, NOTICE/USERSTATE without ts


def test_privmsg_fields():
    row = rows_by_line()[6]
    assert row["msg_id"] == stable_msg_id("irc1", "irc_raw.log", 6)
    assert row["sent_at_utc_ms"] == 1709406005123
    assert (row["user_id"], row["user_login"], row["user_display_name"]) == ("456", "foo", "Foo")
    assert row["native_id"] == "f0000000-0000-4000-8000-000000000001"
    assert row["badges"] == ["moderator/1", "subscriber/12"]
    assert row["body"] == "Kappa hello Kappa"
    assert spans(row) == [(0, 5, "25", "Kappa"), (12, 17, "25", "Kappa")]
    assert row["msg_type"] == "chat" and row["vod_offset_s"] is None


def test_emote_positions_after_emoji_and_in_actions():
    rows = rows_by_line()
    body = rows[7]["body"]
    assert body == "🐒 Kappa 😂 LUL"
    assert spans(rows[7]) == [(2, 7, "25", "Kappa"), (10, 13, "425618", "LUL")]
    for start, end, _, name in spans(rows[7]):
        assert body[start:end] == name
    assert rows[8]["body"] == "dances Kappa"  # /me: the ACTION wrapper is removed
    assert spans(rows[8]) == [(7, 12, "25", "Kappa")]
    assert rows[9]["msg_type"] == "command"
    assert spans(rows[9]) == [(8, 12, None, "KEKW")]  # third-party emote by name


def test_clearchat_clearmsg():
    rows = rows_by_line()
    assert (rows[10]["msg_type"], rows[10]["target_user_login"]) == ("timeout", "baduser")
    assert (rows[11]["msg_type"], rows[11]["target_user_login"]) == ("mod_action", "baduser2")  # ban
    assert (rows[12]["msg_type"], rows[12]["target_user_login"]) == ("mod_action", None)  # /clear
    deletion = rows[13]
    assert deletion["msg_type"] == "deletion"
    assert deletion["target_user_login"] == "spammer"
    assert deletion["target_native_id"] == "f0000000-0000-4000-8000-000000000000"
    assert deletion["user_login"] is None


def test_usernotice():
    rows = rows_by_line()
    resub = rows[14]
    assert (resub["msg_type"], resub["user_login"], resub["body"]) == ("sub", "monkeyfan", "Love this stream Kappa")
    assert spans(resub) == [(17, 22, "25", "Kappa")]
    sub = rows[15]
    assert sub["msg_type"] == "sub"
    assert sub["body"] == "NewSub subscribed with Prime; thanks\\ doug!"  # system-msg unescaped
    assert (rows[16]["msg_type"], rows[16]["user_login"]) == ("raid", "raiderguy")
    assert (rows[17]["msg_type"], rows[17]["body"]) == ("notice", "Be nice in chat")


def test_privmsg_without_timestamp_is_an_error(tmp_path):
    path = tmp_path / "chat.irc"
    path.write_text(
        ":tmi.twitch.tv 001 me :Welcome\n@badges=;id=x :foo!foo@foo.tmi.twitch.tv PRIVMSG #dougdoug :hi\n", encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        read_rows(path)
    assert caught.value.line == 2 and caught.value.field == "tmi-sent-ts" and "chat.irc" in str(caught.value)


def test_bad_timestamp(tmp_path):
    path = tmp_path / "chat.irc"
    path.write_text("@tmi-sent-ts=12a4 :foo!foo@foo.tmi.twitch.tv PRIVMSG #d :hi\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path)
    assert caught.value.line == 1 and caught.value.field == "tmi-sent-ts"


def test_only_protocol_lines_is_zero_messages(tmp_path):
    path = tmp_path / "chat.irc"
    path.write_text("PING :tmi.twitch.tv\n:tmi.twitch.tv 001 me :Welcome\n", encoding="utf-8")
    with pytest.raises(InputError, match="zero chat messages"):
        read_rows(path)


def test_logger_timestamp_prefix_is_ignored(tmp_path):
    path = tmp_path / "bot.log"
    path.write_text("[2024-03-02 19:00:05] @tmi-sent-ts=1709406005123;user-id=1 :foo!foo@foo.tmi.twitch.tv PRIVMSG #d :hi\n", encoding="utf-8")
    rows = read_rows(path)
    assert (rows[0]["user_login"], rows[0]["body"], rows[0]["sent_at_utc_ms"]) == ("foo", "hi", 1709406005123)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("a\\sb", "a b"), ("a\\:b", "a;b"), ("a\\\\b", "a\\b"), ("a\\rb\\nc", "a\rb\nc"), ("a\\qb", "aqb"), ("end\\", "end"), ("plain", "plain")],
)
def test_unescape_tag(raw, value):
    assert unescape_tag(raw) == value


def test_split_line():
    tags, prefix, command, middle, trailing = split_line("@a=1;b= :nick!u@h PRIVMSG #chan :hello :) there")
    assert tags == {"a": "1", "b": ""} and prefix == "nick!u@h" and command == "PRIVMSG"
    assert middle == "#chan" and trailing == "hello :) there"
    assert split_line("not irc at all") is None


def test_emote_tag_spans_drop_out_of_range():
    assert emote_tag_spans("Kappa", "25:0-4,3-40/1:x-y") == [(0, 5, "25", "Kappa")]
