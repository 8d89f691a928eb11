"""Every vod.json field is range-checked, and the error names the file and the field."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dougchat_assets.errors import InputError
from dougchat_assets.ingest.register import register_vod_folder
from dougchat_assets.ingest.vod_json import read_vod_json
from dougchat_assets_tests.ingest.support import vod_folder_with

DEMO_VODS = Path(__file__).resolve().parents[2] / "demo" / "vods"
NOW = datetime(2026, 3, 10, tzinfo=timezone.utc)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vod.json"
    path.write_text(text, encoding="utf-8")
    return path


# (raw JSON value, field, words the message must contain)
BAD_VALUES = [
    ("-5", "duration_s", "out of range"),
    ("0", "duration_s", "out of range"),
    ("true", "duration_s", "not true/false"),
    ("1e999", "duration_s", "finite"),
    ("-1e999", "duration_s", "finite"),
    ("NaN", "duration_s", "finite"),
    ('"3600"', "duration_s", "not a string"),
    ("172801", "duration_s", "at most 48 h"),
    ("1" + "0" * 400, "duration_s", "out of range"),
    ('"2026-03-02T19:00:00"', "started_at", "no time zone"),
    ('"last tuesday"', "started_at", "not an ISO-8601 time"),
    ('"1999-12-31T23:00:00Z"', "started_at", "out of range"),
    ('"2026-03-12T00:00:00Z"', "started_at", "out of range"),  # two days after NOW
    ('"0001-01-01T00:00:00+01:00"', "started_at", "out of range"),
    ("1772478000", "started_at", "must be a string"),
    ("false", "started_at", "must be a string"),
    ("5", "title", "must be a string"),
    ('""', "title", "empty"),
    ('"   "', "title", "empty"),
    ('"' + "a" * 1001 + '"', "title", "too long"),
    ('"\\ud800 broken"', "title", "not valid Unicode"),
    ('"a\\u0000b"', "title", "control character"),
    ('"two\\nlines"', "title", "control character"),
    ('["a"]', "title", "must be a string"),
    ("true", "channel", "must be a string"),
    ('"dougdoug\\u001b[31m"', "channel", "control character"),
    ("{}", "licence", "must be a string"),
    ("1", "license", "must be a string"),
    ("1", "usage", "must be a string"),
    ('"Mars/Olympus_Mons"', "chat_timezone", "unknown time zone"),
    ('"../../../etc/passwd"', "chat_timezone", "unknown time zone"),
    ('"+25:00"', "chat_timezone", "time zone"),
    ("-5", "chat_timezone", "must be a string"),
    ('"../escape"', "vod_id", "unsafe VOD id"),
    ("5", "vod_id", "unsafe VOD id"),
]


@pytest.mark.parametrize(("raw", "field", "words"), BAD_VALUES, ids=[f"{f}={r[:20]}" for r, f, _ in BAD_VALUES])
def test_a_bad_value_is_refused_naming_the_file_and_field(tmp_path: Path, raw: str, field: str, words: str) -> None:
    path = _write(tmp_path, f'{{"{field}": {raw}}}')
    with pytest.raises(InputError) as caught:
        read_vod_json(path, now=NOW)
    assert caught.value.path == str(path)
    assert caught.value.field == field
    assert words in caught.value.reason
    assert str(path) in str(caught.value) and f"field '{field}'" in str(caught.value)


def test_unknown_field_is_refused_with_the_nearest_known_one(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"duraton_s": 3600}')
    with pytest.raises(InputError, match="did you mean 'duration_s'") as caught:
        read_vod_json(path)
    assert caught.value.field == "duraton_s"
    assert "x_" in caught.value.reason  # says how to keep free-form notes


def test_a_field_given_twice_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"duration_s": 60, "duration_s": 6000}')
    with pytest.raises(InputError, match="given twice") as caught:
        read_vod_json(path)
    assert caught.value.field == "duration_s"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"x_notes": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("[1, 2]", "must be a JSON object"),
        ('{"title": "x"', "invalid JSON"),
    ],
    ids=["deep", "array", "truncated"],
)
def test_malformed_files_are_refused_naming_the_file(tmp_path: Path, text: str, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=words) as caught:
        read_vod_json(path)
    assert caught.value.path == str(path)


def test_a_huge_file_is_not_read_whole(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"x_pad": "' + "a" * (2 << 20) + '"}')
    with pytest.raises(InputError, match="larger than 1024 KiB"):
        read_vod_json(path)


def test_good_values_nulls_and_notes_are_accepted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        json.dumps(
            {
                "vod_id": "doug_2026_03_02",
                "title": "Ünïcode title 🎮",
                "started_at": "2026-03-02T14:00:00-05:00",
                "duration_s": 14400,
                "channel": "dougdoug",
                "licence": "CC0\nline two",
                "chat_timezone": "America/New_York",
                "usage": None,
                "x_notes": {"anything": [1, 2.5, None]},
            }
        ),
    )
    data = read_vod_json(path, now=NOW)
    assert data["duration_s"] == 14400 and "usage" not in data and data["x_notes"] == {"anything": [1, 2.5, None]}


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "+01:00", "-05:00"])
def test_zones_the_chat_parser_understands_are_accepted(tmp_path: Path, zone: str) -> None:
    assert read_vod_json(_write(tmp_path, json.dumps({"chat_timezone": zone})))["chat_timezone"] == zone


@pytest.mark.parametrize("vod_id", ["demo_02", "demo_03", "demo_04"])
def test_the_demo_vod_json_files_pass(vod_id: str) -> None:
    assert read_vod_json(DEMO_VODS / vod_id / "vod.json")["vod_id"] == vod_id


@pytest.mark.parametrize("raw", ["-5", "true", "1e999"])
def test_add_refuses_the_issue_values_and_copies_nothing(tmp_path: Path, layout, raw: str) -> None:
    folder = vod_folder_with(tmp_path / "src" / "vod_r", vod_json=f'{{"duration_s": {raw}}}')
    with pytest.raises(InputError) as caught:
        register_vod_folder(folder, layout)
    assert caught.value.path == str(folder / "vod.json") and caught.value.field == "duration_s"
    assert list(layout.incoming_dir.iterdir()) == []
