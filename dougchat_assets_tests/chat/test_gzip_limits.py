"""Gzip bombs: decompressed size is capped against the compressed size and absolutely (issue 11)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from dougchat_assets.chat import ReaderLimits, iter_chat_batches, read_export_metadata
from dougchat_assets.errors import InputError

from .hostile import CONTEXT, MIB, filler_for, write_export

BOMB_FORMATS = ("irc", "chatterino", "cd_jsonl", "cd_array", "td_min", "td_pretty")


def _rows(path, limits=ReaderLimits()) -> int:
    return pa.Table.from_batches(list(iter_chat_batches(path, CONTEXT, limits=limits))).num_rows


def test_allowance_is_ratio_times_compressed_size_between_the_floor_and_the_cap():
    limits = ReaderLimits(max_decompressed_ratio=200, ratio_exempt_bytes=64 * MIB, max_decompressed_bytes=1 << 34)
    assert limits.decompressed_allowance(1000) == 64 * MIB  # small files: never refused for their ratio
    assert limits.decompressed_allowance(10 * MIB) == 2000 * MIB
    assert limits.decompressed_allowance(1 << 30) == 1 << 34  # the absolute cap wins


@pytest.mark.parametrize("fmt", BOMB_FORMATS)
def test_a_bomb_of_spaces_inside_a_valid_export_is_refused(tmp_path, fmt):
    """100 MB of padding compresses about 1000x: past 200x (and past the 64 MiB floor) it is refused."""
    path = write_export(tmp_path, fmt, ["hi", "bye"], gz=True, level=9, filler={0: filler_for(fmt, 100 * MIB)})
    assert path.stat().st_size * 200 < 64 * MIB  # the allowance is the floor: refused after 64 MiB
    with pytest.raises(InputError) as caught:
        _rows(path)
    message = str(caught.value)
    assert path.name in message and "gzip bomb" in message and "200x" in message
    # The same file under limits that allow it streams through: the padding is ignored.
    assert _rows(path, ReaderLimits(max_decompressed_ratio=100_000)) == 2


def test_the_absolute_cap_applies_whatever_the_ratio(tmp_path):
    path = write_export(tmp_path, "td_min", [f"message {i}" for i in range(3000)], gz=True)
    assert _rows(path) == 3000
    small = ReaderLimits(max_decompressed_bytes=100_000, ratio_exempt_bytes=1)
    with pytest.raises(InputError, match="more than 100000 bytes"):
        _rows(path, small)
    with pytest.raises(InputError, match="gzip bomb"):  # `add` reads metadata first: refused there too
        read_export_metadata(write_export(tmp_path, "td_min", ["x" * 900_000], gz=True, name="one.json.gz"), small)


def test_a_plain_file_is_not_subject_to_the_gzip_caps(tmp_path):
    path = write_export(tmp_path, "irc", [f"message {i}" for i in range(3000)])
    assert _rows(path, ReaderLimits(max_decompressed_bytes=1000, ratio_exempt_bytes=1)) == 3000
