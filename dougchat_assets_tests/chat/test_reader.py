"""Properties every parser shares: schema, determinism, batch boundaries, streaming."""

from __future__ import annotations

import gc

import pyarrow as pa
import pytest

from dougchat_assets.chat import RAW_CHAT_SCHEMA, ChatContext, MsgType, iter_chat_batches, stable_msg_id
from dougchat_assets.errors import InputError

from .support import fixture, read_table

CONTEXT = ChatContext("vodA", started_at_utc_ms=1709419800000, timezone="Europe/Berlin")
FIXTURES = [
    "td_modern.json", "td_legacy.json", "td_local_clock.json", "cd_vod.json", "cd_live.jsonl", "cd_replay_old.json",
    "dougdoug-2024-03-02.log", "stream-2079311234.log", "windows-2024-07-01.log", "irc_raw.log",
]


@pytest.mark.parametrize("name", FIXTURES)
def test_schema_and_invariants(name):
    batches = list(iter_chat_batches(fixture(name), CONTEXT))
    assert batches
    for batch in batches:
        assert batch.schema.equals(RAW_CHAT_SCHEMA)
    table = pa.Table.from_batches(batches)
    for field in RAW_CHAT_SCHEMA:
        if not field.nullable:
            assert table.column(field.name).null_count == 0, field.name
    valid_types = {t.value for t in MsgType}
    for row in table.to_pylist():
        assert row["msg_type"] in valid_types
        assert row["msg_id"] == stable_msg_id("vodA", name, row["source_line"])
        for span in row["emote_spans"]:
            assert row["body"][span["start"] : span["end"]] == span["name"]
        starts = [s["start"] for s in row["emote_spans"]]
        assert starts == sorted(starts)
    assert len(set(table.column("msg_id").to_pylist())) == table.num_rows


@pytest.mark.parametrize("name", FIXTURES)
def test_batch_size_does_not_change_rows(name):
    whole = read_table(fixture(name), CONTEXT, 50_000)
    small = list(iter_chat_batches(fixture(name), CONTEXT, 3))
    assert all(batch.num_rows <= 3 for batch in small)
    assert pa.Table.from_batches(small).equals(whole)


@pytest.mark.parametrize("name", FIXTURES)
def test_same_file_same_output(name):
    assert read_table(fixture(name), CONTEXT).equals(read_table(fixture(name), CONTEXT))


def test_unknown_format_fails_before_iteration(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("dear diary\n", encoding="utf-8")
    with pytest.raises(InputError):
        iter_chat_batches(path, CONTEXT)
    with pytest.raises(ValueError):
        iter_chat_batches(fixture("irc_raw.log"), CONTEXT, 0)


def test_collector_is_paused_only_inside_the_parser():
    assert gc.isenabled()
    seen = [gc.isenabled() for _ in iter_chat_batches(fixture("td_modern.json"), CONTEXT, 2)]
    assert seen and all(seen)  # the caller's code between batches runs with the collector on
    batches = iter_chat_batches(fixture("td_modern.json"), CONTEXT, 2)
    next(batches)
    batches.close()  # stopping early leaves it as it was
    assert gc.isenabled()
    gc.disable()
    try:
        list(iter_chat_batches(fixture("irc_raw.log"), CONTEXT))
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_errors_leave_the_collector_on(tmp_path):
    path = tmp_path / "chat.irc"
    path.write_text("@badges= :foo!foo@foo.tmi.twitch.tv PRIVMSG #d :hi\n", encoding="utf-8")
    with pytest.raises(InputError):
        list(iter_chat_batches(path, CONTEXT))
    assert gc.isenabled()
