"""The ground truth is self-consistent: distortions, knots, script times, events, messages."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from dougchat_assets_tests.demo.demo_files import VOD_IDS, knot_audio_s, script, truth

KINDS = {"chat", "reaction", "anchor", "bot", "command", "copypasta", "emote_wall", "toxic", "sub", "raid", "mod_action"}


def _expected_audio_s(gt: dict, t: float) -> float:
    late, k = gt["late_start_s"], gt["drift_factor"]
    c, d = gt["ad_cut"]["broadcast_start_s"], gt["ad_cut"]["duration_s"]
    if t < c:
        return k * (t - late)
    if t < c + d:
        return k * (c - late)
    return k * (t - late - d)


def _chat_ms(gt: dict, t: float) -> float:
    return gt["started_at_utc_ms"] + 1000 * t


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_distortions_are_in_the_briefed_ranges(vod_id):
    gt = truth(vod_id)
    assert 8.0 <= gt["late_start_s"] <= 60.0
    assert 0.0008 <= abs(gt["drift_factor"] - 1.0) <= 0.0015 + 1e-9
    cut = gt["ad_cut"]
    assert 20.0 <= cut["duration_s"] <= 60.0
    c, end = cut["broadcast_start_s"], cut["broadcast_start_s"] + cut["duration_s"]
    total = gt["broadcast_duration_s"]
    assert 0.25 * total < c and end < 0.85 * total, "the cut sits in the middle of the stream"
    music = gt["music_stretch"]
    assert end <= music["broadcast_start_s"] or c >= music["broadcast_end_s"], "the cut avoids the music"
    assert 20.0 <= gt["opening"]["broadcast_end_s"] <= 40.0


def test_the_four_vods_cover_countdown_heard_half_heard_and_lost():
    states = []
    for vod_id in VOD_IDS:
        counts = [u for u in script(vod_id) if u["part"] == "countdown"]
        states.append(sum(u["audio_start_s"] is not None for u in counts) / len(counts))
    assert 1.0 in states and 0.0 in states and any(0 < s < 1 for s in states)


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_knots_are_the_true_map(vod_id):
    gt = truth(vod_id)
    knots = gt["knots"]
    late, cut = gt["late_start_s"], gt["ad_cut"]
    expected_t = [late, cut["broadcast_start_s"], cut["broadcast_start_s"] + cut["duration_s"], gt["broadcast_duration_s"]]
    assert [k["chat_utc_ms"] for k in knots] == [round(_chat_ms(gt, t)) for t in expected_t]
    assert all(isinstance(k["chat_utc_ms"], int) for k in knots)
    assert knots[0]["audio_s"] == 0.0
    assert knots[1]["audio_s"] == knots[2]["audio_s"], "flat inside the cut"
    for t in expected_t:
        assert knot_audio_s(knots, _chat_ms(gt, t)) == pytest.approx(_expected_audio_s(gt, t), abs=1e-5)
    slope = (knots[1]["audio_s"] - knots[0]["audio_s"]) / ((knots[1]["chat_utc_ms"] - knots[0]["chat_utc_ms"]) / 1000)
    assert slope == pytest.approx(gt["drift_factor"], abs=1e-7)
    assert knots[-1]["audio_s"] == pytest.approx(gt["audio_duration_s"], abs=0.01)
    for t in np.linspace(0, gt["broadcast_duration_s"], 97):
        assert knot_audio_s(knots, _chat_ms(gt, t)) == pytest.approx(_expected_audio_s(gt, t), abs=1e-5)


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_script_audio_times_follow_the_knots(vod_id):
    gt = truth(vod_id)
    late, cut = gt["late_start_s"], gt["ad_cut"]
    c, end = cut["broadcast_start_s"], cut["broadcast_start_s"] + cut["duration_s"]
    utts = script(vod_id)
    assert [u["index"] for u in utts] == list(range(len(utts)))
    for u in utts:
        start, stop = u["broadcast_start_s"], u["broadcast_end_s"]
        assert 0 <= start < stop <= gt["broadcast_duration_s"]
        if u["audio_start_s"] is None:
            assert u["audio_end_s"] is None
            assert u["cut"] == (c <= start and stop <= end)
            assert u["trimmed"] == (stop <= late)
            assert u["cut"] != u["trimmed"]
            continue
        assert not u["cut"] and not u["trimmed"]
        assert stop <= c or start >= end, "no utterance straddles the cut"
        assert start >= late
        for b, a in ((start, u["audio_start_s"]), (stop, u["audio_end_s"])):
            assert a == pytest.approx(knot_audio_s(gt["knots"], _chat_ms(gt, b)), abs=1e-3)
        assert u["audio_end_s"] <= gt["audio_duration_s"]
    order = [u["broadcast_start_s"] for u in utts]
    assert order == sorted(order)
    assert any(u["cut"] for u in utts), "the ad cut removes some speech"


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_script_is_words_only_with_realistic_gaps(vod_id):
    utts = [u for u in script(vod_id) if u["part"] == "script"]
    assert 40 <= len(utts) <= 90
    assert all(not any(ch.isdigit() for ch in u["text"]) for u in script(vod_id))
    assert {u["speaker"] for u in utts} <= {"streamer", "guest"}
    gaps = [b["broadcast_start_s"] - a["broadcast_end_s"] for a, b in zip(utts, utts[1:])]
    normal = [g for g in gaps if g < 5]
    assert min(normal) >= 0.3 - 1e-6 and max(normal) <= 1.5 + 1e-6
    assert sum(g >= 5 for g in gaps) == 1, "one long gap: the music break"


def test_one_vod_has_a_guest_conversation():
    with_guest = [v for v in VOD_IDS if any(u["speaker"] == "guest" for u in script(v))]
    assert len(with_guest) == 1
    vod_id = with_guest[0]
    utts = script(vod_id)
    assert sum(u["speaker"] == "guest" for u in utts) >= 8
    turns = truth(vod_id)["speaker_turns"]
    covered = [i for t in turns for i in range(t["utterances"][0], t["utterances"][1] + 1)]
    assert covered == list(range(len(utts)))
    for turn in turns:
        speakers = {utts[i]["speaker"] for i in range(turn["utterances"][0], turn["utterances"][1] + 1)}
        assert speakers == {turn["speaker"]}
    switches = sum(a["speaker"] != b["speaker"] for a, b in zip(utts, utts[1:]))
    assert switches >= 10, "a back-and-forth, not two monologues"


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_events_sit_at_the_end_of_their_utterance_and_echo_its_words(vod_id):
    gt = truth(vod_id)
    utts = script(vod_id)
    events = gt["events"]
    assert len(events) >= 20
    assert [e["index"] for e in events] == list(range(len(events)))
    assert events[0]["kind"] == "countdown" and utts[events[0]["utterance"]]["text"] == "let's go!"
    assert events[0]["broadcast_s"] == gt["countdown_end"]["broadcast_s"]
    for e in events:
        u = utts[e["utterance"]]
        assert e["broadcast_s"] == u["broadcast_end_s"]
        assert e["audio_s"] == u["audio_end_s"]
        for word in e["words"]:
            assert word.lower() in u["text"].lower()
    calls = [e for e in events if e["kind"] == "call"]
    assert calls and all(set(e["answers"]) <= {"1", "2"} for e in calls)
    per_minute = len(events) / (gt["broadcast_duration_s"] / 60)
    assert per_minute >= 3, "several events per minute"


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_message_records_are_complete_and_in_send_order(vod_id):
    gt = truth(vod_id)
    msgs = gt["messages"]
    assert [m["index"] for m in msgs] == list(range(len(msgs)))
    assert {m["kind"] for m in msgs} <= KINDS
    times = [m["t_send_broadcast_s"] for m in msgs]
    assert times == sorted(times)
    assert 0 < times[0] and times[-1] < gt["broadcast_duration_s"]
    for m in msgs:
        assert m["sent_at_utc_ms"] == round(_chat_ms(gt, m["t_send_broadcast_s"]))
        assert (m["event"] is not None) == (m["kind"] in ("reaction", "anchor"))
        assert m["utterance"] == (gt["events"][m["event"]]["utterance"] if m["event"] is not None else None)
    rate = len(msgs) / gt["broadcast_duration_s"]
    assert 1.0 <= rate <= 4.0, f"{rate:.2f} msg/s"


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_reactions_lag_their_event_like_humans(vod_id):
    gt = truth(vod_id)
    events = gt["events"]
    lags = [m["t_send_broadcast_s"] - events[m["event"]]["broadcast_s"] for m in gt["messages"] if m["event"] is not None]
    assert len(lags) >= 300
    assert min(lags) >= 1.0 - 1e-3
    assert max(lags) <= 2.5 + 5 * 0.6 + 12.0
    assert 3.5 <= float(np.median(lags)) <= 5.5, "latency ~2.5 s + reaction median ~1.8 s"
    per_event = Counter(m["event"] for m in gt["messages"] if m["event"] is not None)
    assert min(per_event.values()) >= 1 and max(per_event.values()) <= 40


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_chat_keeps_going_before_the_audio_during_music_and_during_the_cut(vod_id):
    gt = truth(vod_id)
    t = np.array([m["t_send_broadcast_s"] for m in gt["messages"]])
    cut = gt["ad_cut"]
    music = gt["music_stretch"]
    assert np.sum(t < gt["late_start_s"]) >= 5
    assert np.sum((t >= cut["broadcast_start_s"]) & (t < cut["broadcast_start_s"] + cut["duration_s"])) >= 20
    assert np.sum((t >= music["broadcast_start_s"]) & (t < music["broadcast_end_s"])) >= 20


@pytest.mark.parametrize("vod_id", VOD_IDS)
def test_spam_and_noise_are_there_to_be_filtered(vod_id):
    gt = truth(vod_id)
    msgs = gt["messages"]
    kinds = Counter(m["kind"] for m in msgs)
    assert kinds["bot"] >= 4 and kinds["command"] >= 3
    assert {m["user"] for m in msgs if m["kind"] == "bot"} == {"nightbot", "streamelements"}
    assert 3 <= kinds["toxic"] <= 6
    assert kinds["emote_wall"] >= 3
    assert kinds["sub"] >= 3
    bursts = _bursts([m["t_send_broadcast_s"] for m in msgs if m["kind"] == "copypasta"])
    assert 2 <= len(bursts) <= 3
    assert all(8 <= len(b) <= 25 and b[-1] - b[0] <= 20.0 for b in bursts)
    actions = [m for m in msgs if m["kind"] == "mod_action"]
    if gt["chat_format"] == "twitchdownloader":
        assert actions == []
    else:
        assert {"timeout", "delete"} <= {m["action"] for m in actions}
        toxic_users = {m["user"] for m in msgs if m["kind"] == "toxic"}
        assert {m["target"] for m in actions} <= toxic_users


def test_exactly_one_vod_has_a_raid():
    raids = {v: [m for m in truth(v)["messages"] if m["kind"] == "raid"] for v in VOD_IDS}
    assert sorted(len(r) for r in raids.values()) == [0, 0, 0, 1]


def _bursts(times: list[float], gap: float = 25.0) -> list[list[float]]:
    out: list[list[float]] = []
    for t in sorted(times):
        if out and t - out[-1][-1] <= gap:
            out[-1].append(t)
        else:
            out.append([t])
    return out


def test_distortion_values_are_whole_milliseconds():
    for vod_id in VOD_IDS:
        gt = truth(vod_id)
        for value in (gt["late_start_s"], gt["ad_cut"]["broadcast_start_s"], gt["ad_cut"]["duration_s"]):
            assert math.isclose(value * 1000, round(value * 1000), abs_tol=1e-6)
