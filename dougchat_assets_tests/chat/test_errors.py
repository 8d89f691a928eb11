"""Bad input: every error is an InputError naming the file and the line or field."""

from __future__ import annotations

import gzip
import json

import pytest

from dougchat_assets.chat import ChatContext, iter_chat_batches, read_export_metadata
from dougchat_assets.errors import InputError

from .support import fixture, read_rows


def raises(path, context=None) -> InputError:
    with pytest.raises(InputError) as caught:
        read_rows(path, context)
    assert path.name in str(caught.value)
    return caught.value


def modern() -> dict:
    return json.loads(fixture("td_modern.json").read_text(encoding="utf-8"))


def write_minified(path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


@pytest.mark.parametrize("pretty", [False, True])
def test_truncated_json(tmp_path, pretty):
    data = modern()
    text = json.dumps(data, ensure_ascii=False, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
    cut = text.index("c0000000-0000-4000-8000-000000000006") + 10
    path = tmp_path / "cut.json"
    path.write_text(text[:cut], encoding="utf-8")
    error = raises(path)
    assert "truncated" in str(error)
    assert error.field == "comments[6]"
    assert error.line == text[:cut].count("\n") + 1  # where the cut string starts


@pytest.mark.parametrize("pretty", [False, True])
def test_invalid_json_in_a_comment(tmp_path, pretty):
    text = json.dumps(modern(), ensure_ascii=False, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
    marker = '"c0000000-0000-4000-8000-000000000004"'
    broken = text.replace(marker + ',"created_at":', marker + ',"created_at";') if not pretty else text.replace(
        marker + ',\n      "created_at":', marker + ',\n      "created_at";'
    )
    assert broken != text
    path = tmp_path / "broken.json"
    path.write_text(broken, encoding="utf-8")
    error = raises(path)
    assert error.field == "comments[4]" and "invalid JSON" in str(error)
    if pretty:
        assert error.line == broken[: broken.index('"created_at";')].count("\n") + 1


@pytest.mark.parametrize("pretty", [False, True])
def test_latin1_bytes_report_the_line(tmp_path, pretty):
    text = json.dumps(modern(), ensure_ascii=False, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
    raw = text.encode("utf-8").replace("こんにちは".encode("utf-8"), "caf\u00e9".encode("latin-1"))
    path = tmp_path / "latin1.json"
    path.write_bytes(raw)
    error = raises(path)
    assert "UTF-8" in str(error)
    assert error.line == raw[: raw.index(b"caf\xe9")].count(b"\n") + 1


def test_bad_time_names_the_comment_and_field(tmp_path):
    data = modern()
    data["comments"][2]["created_at"] = "yesterday at noon"
    path = tmp_path / "badtime.json"
    write_minified(path, data)
    error = raises(path)
    assert error.field == "comments[2].created_at" and "yesterday" in str(error)


def test_wrong_type_names_the_field(tmp_path):
    data = modern()
    data["comments"][3]["message"]["fragments"] = "not a list"
    path = tmp_path / "badtype.json"
    write_minified(path, data)
    error = raises(path)
    assert error.field == "comments[3].message.fragments"


def test_missing_message(tmp_path):
    data = modern()
    del data["comments"][8]["message"]
    path = tmp_path / "nomsg.json"
    write_minified(path, data)
    assert raises(path).field == "comments[8].message"


def test_offset_not_a_number(tmp_path):
    data = modern()
    data["comments"][1]["content_offset_seconds"] = "4s"
    path = tmp_path / "offset.json"
    write_minified(path, data)
    assert raises(path).field == "comments[1].content_offset_seconds"


def test_truncated_gzip(tmp_path):
    packed = gzip.compress(fixture("irc_raw.log").read_bytes() * 50, mtime=0)
    path = tmp_path / "chat.log.gz"
    path.write_bytes(packed[: len(packed) // 2])
    error = raises(path)
    assert "gzip" in str(error) and "truncated" in str(error) and error.line is not None


def test_truncated_gzip_json(tmp_path):
    packed = gzip.compress(fixture("td_modern.json").read_bytes(), mtime=0)
    path = tmp_path / "chat.json.gz"
    path.write_bytes(packed[: len(packed) - 40])
    error = raises(path)
    assert "truncated" in str(error)


def test_utf16_text_log(tmp_path):
    path = tmp_path / "dougdoug-2024-03-02.log"
    path.write_bytes(fixture("dougdoug-2024-03-02.log").read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(InputError) as caught:
        list(iter_chat_batches(path, ChatContext("v")))
    assert "UTF-16" in str(caught.value) and caught.value.line == 1


def test_latin1_text_log_reports_the_line(tmp_path):
    text = fixture("dougdoug-2024-03-02.log").read_text(encoding="utf-8").replace("日本語ユーザー nihongo_user: こんにちは 🐒 LUL", "fan: caf\u00e9")
    path = tmp_path / "dougdoug-2024-03-02.log"
    path.write_bytes(text.encode("latin-1"))
    error = raises(path)
    assert error.line == 4 and "UTF-8" in str(error)


def test_jsonl_bad_line(tmp_path):
    lines = fixture("cd_live.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:-5]
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert raises(path).line == 3


def test_jsonl_missing_timestamp(tmp_path):
    lines = fixture("cd_live.jsonl").read_text(encoding="utf-8").splitlines()
    item = json.loads(lines[4])
    del item["timestamp"]
    lines[4] = json.dumps(item)
    path = tmp_path / "live.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    error = raises(path)
    assert (error.line, error.field) == (5, "timestamp")


def test_array_bad_timestamp(tmp_path):
    items = json.loads(fixture("cd_vod.json").read_text(encoding="utf-8"))
    items[1]["timestamp"] = "soon"
    path = tmp_path / "vod.json"
    path.write_text(json.dumps(items, indent=4), encoding="utf-8")
    error = raises(path)
    assert error.field == "[1].timestamp" and "soon" in str(error)


def test_array_truncated(tmp_path):
    text = fixture("cd_vod.json").read_text(encoding="utf-8")
    path = tmp_path / "vod.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    error = raises(path)
    assert "truncated" in str(error) and error.field.startswith("[")


def test_metadata_of_a_broken_export(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"video":{"created_at":"not a time"},"comments":[]}', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_export_metadata(path)
    assert caught.value.field == "video.created_at" and "x.json" in str(caught.value)
