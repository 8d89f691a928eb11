"""Format detection from content, whatever the file is called."""

from __future__ import annotations

import gzip

import pytest

from dougchat_assets.chat import ChatContext, ChatFormat, detect_format, iter_chat_batches
from dougchat_assets.errors import InputError

from .support import copy_as, fixture, gzip_as

CASES = [
    ("td_modern.json", ChatFormat.TWITCHDOWNLOADER),
    ("td_legacy.json", ChatFormat.TWITCHDOWNLOADER),
    ("cd_vod.json", ChatFormat.CHAT_DOWNLOADER),
    ("cd_live.jsonl", ChatFormat.CHAT_DOWNLOADER),
    ("cd_replay_old.json", ChatFormat.CHAT_DOWNLOADER),
    ("dougdoug-2024-03-02.log", ChatFormat.CHATTERINO),
    ("stream-2079311234.log", ChatFormat.CHATTERINO),
    ("windows-2024-07-01.log", ChatFormat.CHATTERINO),
    ("irc_raw.log", ChatFormat.IRC),
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_fixtures(name, expected):
    assert detect_format(fixture(name)) == expected


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_misleading_extensions_and_gzip(tmp_path, name, expected):
    assert detect_format(copy_as(fixture(name), tmp_path, "chat.txt")) == expected
    assert detect_format(copy_as(fixture(name), tmp_path, "export.json")) == expected
    assert detect_format(gzip_as(fixture(name), tmp_path, "chat.log")) == expected


def test_utf8_bom_is_fine(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + fixture("td_modern.json").read_bytes())
    assert detect_format(path) == ChatFormat.TWITCHDOWNLOADER


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"  \n\n\t", "empty"),
        (b"[]", "zero chat messages"),
        (b'{"hello": "world"}', "unknown chat format"),
        (b"[1, 2, 3]", "unknown chat format"),
        (b"hello there\nthis is a diary\n", "unknown chat format"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", "binary"),
        ("[19:00:05] a: hi\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_rejections_name_the_file(tmp_path, content, message):
    path = tmp_path / "suspect.bin"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        detect_format(path)
    assert "suspect.bin" in str(caught.value)
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not a file"):
        detect_format(tmp_path / "nope.json")


def test_reads_only_the_head(tmp_path):
    """A big file with a chat-looking start is classified from its head alone."""
    path = tmp_path / "big.log"
    with open(path, "wb") as out:
        out.write(b"[19:00:05] a: hi\n")
        out.write(b"\xff" * (1 << 20))  # not UTF-8 far beyond the head: detection does not look there
    assert detect_format(path) == ChatFormat.CHATTERINO


@pytest.mark.parametrize(
    "content",
    [b"\x00" * 4096, b"\x00" * 300_000, b"\x00" * 10, b"\x00" * 4000 + b"\x01\x02garbage"],
    ids=["4k", "300k", "tiny", "mostly"],
)
@pytest.mark.parametrize("packed", [False, True], ids=["plain", "gzip"])
def test_a_zeroed_file_is_named_as_such_not_utf16(tmp_path, content, packed):
    """An all-NUL file (an interrupted download, a zeroed block) is not text in any encoding."""
    path = tmp_path / "chat.log"
    path.write_bytes(gzip.compress(content) if packed else content)
    for read in (detect_format, lambda p: list(iter_chat_batches(p, ChatContext("v")))):
        with pytest.raises(InputError) as caught:
            read(path)
        message = str(caught.value)
        assert "chat.log" in message and "NUL bytes" in message and "not a chat export" in message
        assert "UTF-16" not in message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom_are_still_named(tmp_path, encoding):
    path = tmp_path / "chat.log"
    path.write_bytes("[19:00:05] a: hi\n[19:00:06] b: hello there 日本\n".encode(encoding))
    with pytest.raises(InputError, match=encoding[:6].upper() + " encoded"):
        detect_format(path)
