"""TwitchDownloader JSON: fields, emotes, legacy keys, the local-clock quirk, gzip, both read paths."""

from __future__ import annotations

import json

import pytest

from dougchat_assets.chat import ChatContext, ChatFormat, clock_correction_ms, read_export_metadata, stable_msg_id
from dougchat_assets.chat.schema import MsgType

from .support import fixture, gzip_as, read_rows, read_table, spans, utc_ms

MODERN = fixture("td_modern.json")


def test_modern_export_rows():
    rows = read_rows(MODERN, ChatContext("dd1"))
    assert len(rows) == 10
    first = rows[0]
    assert first["msg_id"] == stable_msg_id("dd1", "td_modern.json", 0)
    assert first["vod_id"] == "dd1"
    assert first["sent_at_utc_ms"] == utc_ms("2024-03-02T19:00:03.250+00:00")
    assert first["vod_offset_s"] == 3.0
    assert first["native_id"] == "c0000000-0000-4000-8000-000000000000"
    assert (first["user_id"], first["user_login"], first["user_display_name"]) == ("31507411", "dougdoug", "DougDoug")
    assert first["badges"] == ["broadcaster/1"]
    assert first["source_format"] == "twitchdownloader" and first["source_file"] == "td_modern.json"
    assert [r["source_line"] for r in rows] == list(range(10))  # 0-based comment index
    # times with 2 fraction digits and none
    assert rows[5]["sent_at_utc_ms"] == utc_ms("2024-03-02T19:00:08.120+00:00")
    assert rows[6]["sent_at_utc_ms"] == utc_ms("2024-03-02T19:00:09+00:00")


def test_emote_spans_count_code_points_after_emoji():
    rows = read_rows(MODERN)
    assert spans(rows[1]) == [(0, 5, "25", "Kappa"), (12, 17, "25", "Kappa")]
    body = rows[2]["body"]
    assert body == "🐒🐒 LUL 👨\u200d👩\u200d👧 Kappa"
    assert spans(rows[2]) == [(3, 6, "425618", "LUL"), (13, 18, "25", "Kappa")]
    for start, end, _, name in spans(rows[2]):
        assert body[start:end] == name
    assert rows[2]["is_emote_only"] is False


def test_emote_only_native_and_third_party():
    rows = read_rows(MODERN)
    assert spans(rows[3]) == [(0, 4, None, "KEKW"), (5, 9, None, "KEKW")]  # BTTV/FFZ by name
    assert rows[3]["is_emote_only"] is True
    assert spans(rows[7]) == [(0, 8, "305954156", "PogChamp")]
    assert rows[7]["is_emote_only"] is True
    assert spans(rows[6]) == [(6, 14, None, "PogChamp")]  # typed as text, known name
    assert rows[6]["is_emote_only"] is False


def test_message_types_and_names():
    rows = read_rows(MODERN)
    assert [r["msg_type"] for r in rows] == [
        "chat", "chat", "chat", "chat", "command", "sub", "chat", "chat", "chat", "chat",
    ]
    assert rows[6]["user_display_name"] == "日本語ユーザー"
    assert rows[7]["user_display_name"] == "Spacey"  # trailing space trimmed
    assert rows[8]["body"] == 'look at me, highlighted "quotes" \\ backslash'
    assert rows[9]["body"] == "raid incoming "  # bodies are kept as exported


def test_metadata_from_head():
    meta = read_export_metadata(MODERN)
    assert meta.format == ChatFormat.TWITCHDOWNLOADER
    assert meta.video_id == "2079311234"
    assert meta.title == "Can chat beat the game? 🐒"
    assert meta.started_at_utc_ms == utc_ms("2024-03-02T19:00:00+00:00")
    assert meta.duration_s == 10800.0
    assert meta.channel == "DougDoug"
    assert meta.clock_correction_ms == 0
    assert meta.parser_name == "twitchdownloader" and meta.parser_version


def test_trimmed_export_start_and_duration(tmp_path):
    data = json.loads(MODERN.read_text(encoding="utf-8"))
    data["video"].update(start=600, end=4200, length=10800)
    path = tmp_path / "trimmed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    meta = read_export_metadata(path)
    assert meta.started_at_utc_ms == utc_ms("2024-03-02T19:10:00+00:00")
    assert meta.duration_s == 3600.0


def test_legacy_export():
    rows = read_rows(fixture("td_legacy.json"))
    assert len(rows) == 3
    old = rows[0]
    # 7 fraction digits are truncated to ms; offset kept as float
    assert old["sent_at_utc_ms"] == utc_ms("2019-08-10T02:00:12.345+00:00")
    assert old["vod_offset_s"] == 12.345
    assert old["user_id"] == "98765"  # a number in the file
    assert spans(old) == [(0, 5, "25", "Kappa"), (16, 21, "25", "Kappa")]  # from legacy emoticons begin/end
    assert rows[1]["sent_at_utc_ms"] == utc_ms("2019-08-10T02:00:20+00:00")
    assert rows[1]["msg_type"] == MsgType.SUB  # user_notice_params.msg_id (underscore)
    assert rows[2]["msg_type"] == MsgType.COMMAND
    assert rows[2]["badges"] is None  # the export says nothing about badges
    meta = read_export_metadata(fixture("td_legacy.json"))
    assert meta.video_id == "470000001" and meta.channel == "dougdoug"
    assert meta.started_at_utc_ms == utc_ms("2019-08-10T02:00:00+00:00")


def test_local_clock_written_as_utc_is_corrected():
    path = fixture("td_local_clock.json")
    meta = read_export_metadata(path)
    assert meta.clock_correction_ms == 5 * 3_600_000
    rows = read_rows(path)
    # the file says 15:00:03.000Z; the truth is 20:00:03Z (offset 3 s after a 20:00:00Z start)
    assert rows[0]["sent_at_utc_ms"] == utc_ms("2025-01-10T20:00:03+00:00")
    assert rows[9]["sent_at_utc_ms"] == utc_ms("2025-01-10T20:00:12.999+00:00")
    for row in rows:
        assert abs(row["sent_at_utc_ms"] - meta.started_at_utc_ms - row["vod_offset_s"] * 1000) < 1000


@pytest.mark.parametrize(
    ("skew_min", "expected_min"),
    [(0, 0), (20, 0), (-300, 300), (330, -330), (-345, 345), (48, 0), (-300.5, 300), (-296, 0)],
)
def test_clock_correction_rule(skew_min, expected_min):
    start = utc_ms("2025-01-10T20:00:00+00:00")
    samples = [(start + int(o * 1000) + 400 + int(skew_min * 60_000), float(o)) for o in range(3, 40)]
    assert clock_correction_ms(start, samples) == expected_min * 60_000


def test_clock_correction_needs_video_time():
    assert clock_correction_ms(None, [(1, 0.0)]) == 0
    assert clock_correction_ms(0, []) == 0


def test_gzip_export_gives_the_same_rows(tmp_path):
    packed = gzip_as(MODERN, tmp_path, "td_modern.json")  # same file name: same msg_ids
    assert read_rows(packed) == read_rows(MODERN)
    assert read_export_metadata(packed) == read_export_metadata(MODERN)


def test_minified_and_pretty_printed_read_the_same(tmp_path):
    """The bulk reader (minified) and the general reader (any formatting) agree exactly."""
    pretty = tmp_path / "td_modern.json"
    pretty.write_text(json.dumps(json.loads(MODERN.read_text(encoding="utf-8")), ensure_ascii=True, indent=3), encoding="utf-8")
    assert read_table(pretty).equals(read_table(MODERN))


def test_zero_messages_is_an_error(tmp_path):
    from dougchat_assets.errors import InputError

    data = json.loads(MODERN.read_text(encoding="utf-8"))
    data["comments"] = []
    path = tmp_path / "empty_comments.json"
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path)
    assert "empty_comments.json" in str(caught.value) and "comments" in str(caught.value)
    del data["comments"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError, match="comments"):
        read_rows(path)


def test_a_wrong_cut_falls_back_to_the_general_reader(tmp_path):
    """A badge with a nested object puts the comment-boundary marker inside a comment."""
    data = json.loads(MODERN.read_text(encoding="utf-8"))
    data["comments"][-1]["message"]["user_badges"] = [
        {"_id": "subscriber", "version": "12", "info": {"months": 12}},
        {"_id": "premium", "version": "1"},
    ]
    minified = tmp_path / "td_modern.json"
    minified.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    assert '}},{"_id":"premium"' in minified.read_text(encoding="utf-8")
    pretty = tmp_path / "pretty" / "td_modern.json"
    pretty.parent.mkdir()
    pretty.write_text(json.dumps(data, indent=2), encoding="utf-8")
    rows = read_rows(minified)
    assert rows[-1]["badges"] == ["subscriber/12", "premium/1"]
    assert read_table(minified).equals(read_table(pretty))


def test_utf8_bom(tmp_path):
    path = tmp_path / "td_modern.json"
    path.write_bytes(b"\xef\xbb\xbf" + MODERN.read_bytes())
    assert read_table(path).equals(read_table(MODERN))
    assert read_export_metadata(path) == read_export_metadata(MODERN)


def test_lone_surrogate_escape_becomes_replacement_character(tmp_path):
    text = MODERN.read_text(encoding="utf-8").replace("hello chat", "hello \\ud83d chat")
    path = tmp_path / "td_modern.json"
    path.write_text(text, encoding="utf-8")
    rows = read_rows(path)
    assert rows[0]["body"] == "hello \ufffd chat"
    assert rows[1:] == read_rows(MODERN)[1:]


def test_missing_video_block(tmp_path):
    data = json.loads(MODERN.read_text(encoding="utf-8"))
    del data["video"]
    path = tmp_path / "novideo.json"
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
    meta = read_export_metadata(path)
    assert (meta.video_id, meta.started_at_utc_ms, meta.duration_s, meta.clock_correction_ms) == (None, None, None, 0)
    assert len(read_rows(path)) == 10
