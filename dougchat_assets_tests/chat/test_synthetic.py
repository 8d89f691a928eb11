"""The synthetic TwitchDownloader writer: realistic, deterministic, and read back exactly."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from dougchat_assets.chat import ChatContext, iter_chat_batches, read_export_metadata
from dougchat_assets.chat.synthetic import write_twitchdownloader_export

from .support import read_table


def test_deterministic_bytes(tmp_path):
    a = write_twitchdownloader_export(tmp_path / "a.json", 500, seed=7)
    b = write_twitchdownloader_export(tmp_path / "b.json", 500, seed=7)
    c = write_twitchdownloader_export(tmp_path / "c.json", 500, seed=8)
    assert a.path.read_bytes() == b.path.read_bytes() != c.path.read_bytes()
    ga = write_twitchdownloader_export(tmp_path / "a.json.gz", 500, seed=7, gzip=True)
    gb = write_twitchdownloader_export(tmp_path / "b.json.gz", 500, seed=7, gzip=True)
    assert ga.path.read_bytes() == gb.path.read_bytes()
    assert ga.path.stat().st_size < a.path.stat().st_size


def test_is_valid_json_with_the_real_shape(tmp_path):
    export = write_twitchdownloader_export(tmp_path / "x.json", 300, seed=1)
    data = json.loads(export.path.read_text(encoding="utf-8"))
    assert set(data) == {"FileInfo", "streamer", "video", "comments", "embeddedData"}
    assert len(data["comments"]) == 300
    comment = data["comments"][0]
    assert set(comment) >= {"_id", "created_at", "content_offset_seconds", "commenter", "message"}
    assert isinstance(comment["content_offset_seconds"], int)  # whole seconds, as recent exports
    bodies = [c["message"]["body"] for c in data["comments"]]
    assert bodies == ["".join(f["text"] for f in c["message"]["fragments"]) for c in data["comments"]]


def test_reads_back(tmp_path):
    export = write_twitchdownloader_export(tmp_path / "x.json.gz", 2000, seed=3, gzip=True)
    table = read_table(export.path, ChatContext("syn"))
    assert table.num_rows == 2000
    types = pc.value_counts(table.column("msg_type")).to_pylist()
    kinds = {item["values"] for item in types}
    assert {"chat", "command", "sub"} <= kinds
    assert pc.sum(pc.list_value_length(table.column("emote_spans"))).as_py() > 0
    assert pc.any(table.column("is_emote_only")).as_py()
    meta = read_export_metadata(export.path)
    assert meta.started_at_utc_ms == export.started_at_utc_ms and meta.duration_s == export.duration_s


def test_local_clock_quirk_is_detected(tmp_path):
    export = write_twitchdownloader_export(tmp_path / "x.json", 200, seed=4, created_at_shift_ms=-8 * 3_600_000)
    assert read_export_metadata(export.path).clock_correction_ms == 8 * 3_600_000
    table = read_table(export.path)
    sent = table.column("sent_at_utc_ms").to_numpy()
    offsets = table.column("vod_offset_s").to_numpy()
    lag = sent - export.started_at_utc_ms - offsets * 1000
    assert lag.min() >= 0 and lag.max() < 1000


def test_bulk_and_general_reader_agree_across_chunks(tmp_path):
    """~4 MB: several bulk pieces and stream windows; pretty-printing forces the general reader."""
    export = write_twitchdownloader_export(tmp_path / "big.json", 6000, seed=5)
    pretty = tmp_path / "pretty" / "big.json"
    pretty.parent.mkdir()
    pretty.write_text(json.dumps(json.loads(export.path.read_text(encoding="utf-8")), indent=1), encoding="utf-8")
    fast = read_table(export.path)
    slow = read_table(pretty)
    assert fast.num_rows == 6000
    assert fast.equals(slow)
    odd_batches = list(iter_chat_batches(export.path, ChatContext("vod1"), 1777))
    assert [b.num_rows for b in odd_batches] == [1777, 1777, 1777, 669]
    assert pa.Table.from_batches(odd_batches).equals(fast)
