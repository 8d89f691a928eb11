"""The general streaming JSON reader at its window boundaries."""

from __future__ import annotations

import json

import pytest

from dougchat_assets.chat.jsonstream import JsonStream
from dougchat_assets.errors import InputError


def test_values_across_window_boundaries(tmp_path):
    numbers = list(range(10_000_000, 10_300_000))  # ~2.4 MB of numbers: some straddle a 1 MiB read
    items = numbers + ["x" * (3 << 20)] + [{"deep": [1, {"é": "😀"}]}]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(items, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    with JsonStream(path) as stream:
        assert list(stream.iter_array("a")) == items


def test_whitespace_everywhere(tmp_path):
    path = tmp_path / "w.json"
    path.write_text('\ufeff  {  "k" :  [ 1 ,\n 2 ,\t{"a" : [ ] } ] , "z" : null }  \n', encoding="utf-8")
    with JsonStream(path) as stream:
        keys = stream.iter_object_keys("doc")
        assert next(keys) == "k"
        assert list(stream.iter_array("k")) == [1, 2, {"a": []}]
        assert next(keys) == "z"
        assert stream.value("z") is None
        assert list(keys) == []
        stream.skip_to_end("doc")


def test_error_line_deep_in_a_big_file(tmp_path):
    lines = ["["] + [f"  {i}," for i in range(400_000)] + ["  oops", "]"]
    path = tmp_path / "bad.json"
    path.write_text("\n".join(lines), encoding="utf-8")
    with JsonStream(path) as stream, pytest.raises(InputError) as caught:
        list(stream.iter_array("items"))
    assert caught.value.line == 400_002 and caught.value.field == "items[400000]"
