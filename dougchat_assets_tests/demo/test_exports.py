"""Each chat export has the real-world shape and agrees message by message with the ground truth.

Counting and timestamps are read here with json/gzip/regex only, independent of the
project's parsers and of the demo's writers.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

import pytest

from dougchat_assets_tests.demo.demo_files import (
    VOD_IDS,
    VODS_DIR,
    chatterino_zone,
    irc_tags,
    read_export,
    script,
    truth,
)

MIN_ECHOING_REACTIONS = 40


def _norm(text: str) -> str:
    return text.lower().replace("'", "")


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_message_counts_match_the_export(vod_id):
    gt = truth(vod_id)
    path = VODS_DIR / vod_id / gt["chat_file"]
    fmt = gt["chat_format"]
    if fmt == "twitchdownloader":
        count = len(json.loads(gzip.decompress(path.read_bytes()))["comments"])
    elif fmt == "chat_downloader":
        count = len(json.loads(path.read_text(encoding="utf-8")))
    elif fmt == "irc":
        count = sum("tmi-sent-ts=" in line for line in path.read_text(encoding="utf-8").splitlines())
    else:
        count = sum(bool(re.match(r"^\[\d\d:\d\d:\d\d\] ", line)) for line in path.read_text(encoding="utf-8").splitlines())
    assert count == len(gt["messages"]) > 500


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_export_timestamps_are_the_true_send_times(vod_id):
    gt = truth(vod_id)
    rows = read_export(vod_id)
    assert len(rows) == len(gt["messages"])
    whole_seconds = gt["chat_format"] == "chatterino"
    for row, msg in zip(rows, gt["messages"]):
        expected = msg["sent_at_utc_ms"] // 1000 * 1000 if whole_seconds else msg["sent_at_utc_ms"]
        assert row.sent_ms == expected, (msg["index"], row)
        if "line" in msg:
            assert row.line == msg["line"]
        if msg["kind"] == "mod_action":
            assert row.login == msg["target"]
        elif row.login is not None:
            assert row.login == msg["user"]
        else:  # a Chatterino notice names the user only inside its text
            assert msg["kind"] == "sub" and msg["user"] in row.body.lower()


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_enough_reactions_echo_words_from_the_script(vod_id):
    gt = truth(vod_id)
    utts = script(vod_id)
    rows = read_export(vod_id)
    echoing = 0
    for row, msg in zip(rows, gt["messages"]):
        if msg["kind"] not in ("reaction", "anchor"):
            continue
        event = gt["events"][msg["event"]]
        spoken = _norm(utts[event["utterance"]]["text"])
        hits = [w for w in event["words"] if _norm(w) in _norm(row.body) and _norm(w) in spoken]
        assert bool(hits) == msg["echo"], (msg["index"], row.body, event["words"])
        echoing += bool(hits)
    assert echoing >= MIN_ECHOING_REACTIONS


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_call_answers_and_countdown_burst_are_there(vod_id):
    gt = truth(vod_id)
    rows = read_export(vod_id)
    by_event = {}
    for row, msg in zip(rows, gt["messages"]):
        if msg["event"] is not None:
            by_event.setdefault(msg["event"], []).append(row.body)
    for event in gt["events"]:
        bodies = by_event.get(event["index"], [])
        if event["kind"] == "call":
            answered = [b for b in bodies if any(b.startswith(a) or b.lower().startswith({"1": "one", "2": "two"}[a]) for a in event["answers"])]
            assert len(answered) >= 10, (event, bodies)
        if event["kind"] == "countdown":
            assert len(bodies) >= 20
            hype = ("LETSGO", "HYPE", "POG", "LIVE", "KREYGASM")
            assert all(any(w in b.upper().replace(" ", "") for w in hype) for b in bodies), bodies


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_spam_bodies_look_like_spam(vod_id):
    gt = truth(vod_id)
    rows = read_export(vod_id)
    pastas = Counter()
    for row, msg in zip(rows, gt["messages"]):
        if msg["kind"] == "emote_wall":
            tokens = row.body.split()
            assert 8 <= len(tokens) <= 20 and len(set(tokens)) == 1
        elif msg["kind"] == "copypasta":
            assert 20 <= len(row.body.split()) <= 40
            pastas[row.body] += 1
        elif msg["kind"] == "command":
            assert row.body.startswith("!")
    assert all(8 <= n <= 25 for n in pastas.values()) and 2 <= len(pastas) <= 3


def test_twitchdownloader_export_shape():
    gt = truth("demo_01")
    doc = json.loads(gzip.decompress((VODS_DIR / "demo_01" / gt["chat_file"]).read_bytes()))
    assert list(doc) == ["FileInfo", "streamer", "video", "comments", "embeddedData"]
    assert doc["embeddedData"] is None
    video = doc["video"]
    assert {"id", "title", "created_at", "start", "end", "length"} <= set(video)
    assert video["created_at"] == gt["started_at"]
    assert video["length"] >= gt["broadcast_duration_s"] > video["length"] - 1
    rows = read_export("demo_01")
    for row, msg in zip(rows, gt["messages"]):
        assert row.extra["offset"] == int(msg["t_send_broadcast_s"])
        assert isinstance(row.extra["offset"], int)
        assert "".join(f["text"] for f in row.extra["fragments"]) == row.body
    emote_fragments = [f for r in rows for f in r.extra["fragments"] if f["emoticon"]]
    assert emote_fragments and all(f["emoticon"]["emoticon_id"].isdigit() for f in emote_fragments)
    assert {r.kind for r in rows} >= {"chat", "sub", "resub"} or {r.kind for r in rows} >= {"chat", "sub"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["comments"][0]["created_at"])


def test_chat_downloader_export_shape():
    gt = truth("demo_02")
    rows = read_export("demo_02")
    for row, msg in zip(rows, gt["messages"]):
        raw = row.extra["raw"]
        assert isinstance(raw["timestamp"], int) and raw["timestamp"] % 1000 == 0
        assert row.extra["time_in_seconds"] == pytest.approx(msg["t_send_broadcast_s"], abs=1e-3)
        for emote in row.extra["emotes"]:
            for loc in emote["locations"]:
                start, end = map(int, loc.split("-"))
                assert row.body[start : end + 1] == emote["name"]
    types = Counter(r.extra["raw"]["message_type"] for r in rows)
    assert types["ban_user"] >= 1 and types["delete_message"] >= 1 and types["text_message"] > 500
    ids = {r.native_id: r for r in rows if r.native_id}
    for r in rows:
        if r.kind == "delete":
            assert ids[r.target_id].login == r.login and ids[r.target_id].body == r.body
        if r.kind == "timeout":
            assert r.extra["raw"]["ban_duration"] > 0


def test_irc_log_shape():
    gt = truth("demo_03")
    path = VODS_DIR / "demo_03" / gt["chat_file"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("PING") for line in lines)
    assert any(" ROOMSTATE " in line for line in lines)
    assert any(" 001 " in line for line in lines)
    rows = read_export("demo_03")
    kinds = Counter(r.kind for r in rows)
    assert kinds["timeout"] >= 1 and kinds["ban"] >= 1 and kinds["delete"] >= 1 and kinds["raid"] == 1
    assert kinds["sub"] + kinds["resub"] + kinds["subgift"] >= 3
    ids = {r.native_id: r for r in rows if r.native_id}
    emoji_before_emote = 0
    for r in rows:
        tags = r.extra["tags"]
        if r.kind == "delete":
            assert ids[r.target_id].body == r.body and ids[r.target_id].login == r.login
        if r.kind == "timeout":
            assert int(tags["ban-duration"]) > 0
        if r.kind in ("sub", "resub", "subgift", "raid"):
            assert tags["system-msg"] and "\\s" not in tags["system-msg"]
        for spec in filter(None, tags.get("emotes", "").split("/")):
            emote_id, positions = spec.split(":")
            for pos in positions.split(","):
                start, end = map(int, pos.split("-"))
                name = r.body[start : end + 1]
                assert name and " " not in name, (r.body, spec)
                if any(ord(ch) > 0xFFFF for ch in r.body[:start]):
                    emoji_before_emote += 1
    assert emoji_before_emote >= 1, "positions are code points: at least one emoji precedes an emote"
    assert irc_tags("system-msg=a\\sb\\:c")["system-msg"] == "a b;c"


def test_chatterino_log_shape():
    gt = truth("demo_04")
    path = VODS_DIR / "demo_04" / gt["chat_file"]
    assert re.fullmatch(r"dougdoug-\d{4}-\d\d-\d\d\.log", path.name)
    zone = chatterino_zone(path)
    assert zone not in ("UTC", "GMT", "+00:00")
    rows = read_export("demo_04")
    kinds = Counter(r.kind for r in rows)
    assert kinds["timeout"] >= 1 and kinds["delete"] >= 1 and kinds["notice"] >= 3
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Start logging at ")
    assert sum(line[10:12] == "  " for line in lines[1:]) > 500, "user lines have the empty localized name (two spaces)"
