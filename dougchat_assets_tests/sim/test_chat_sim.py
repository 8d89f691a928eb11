"""The simulated streams carry their drawn parameters into the data, and the truth is consistent.

Everything is checked from the outputs alone: delays are measured from chat times, the true
curve and the transcript, not read back from the generator's internals; table shapes are
compared with the parser contract (RAW_CHAT_SCHEMA, EmoteMatcher, the IRC parser's moderation
rows, the align.curve knot contract).
"""

from __future__ import annotations

import hashlib
import math
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dougchat_assets.align.curve import flat_spans, knot_arrays, map_chat_to_audio
from dougchat_assets.chat.emotes import EmoteMatcher
from dougchat_assets.chat.schema import RAW_CHAT_SCHEMA
from dougchat_assets.dataset.params import DEFAULT_BOTS

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from dougchat_sim import LABELS, REACTION_SHAPES, draw_params, simulate_stream  # noqa: E402

SMALL = {"duration_s": 1800.0, "chat_rate_msgs_per_s": 5.0}


def _col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


def _rows(stream) -> list[dict]:
    """Chat rows joined with their label rows (same order by construction; checked)."""
    chat, labels = stream.chat.to_pylist(), stream.labels.to_pylist()
    assert [c["msg_id"] for c in chat] == [lab["msg_id"] for lab in labels]
    return [{**c, **lab} for c, lab in zip(chat, labels)]


@pytest.fixture(scope="module")
def busy():
    """One stream with every kind of event switched on."""
    return simulate_stream(
        4, vod_id="sim_busy", duration_s=3600.0, chat_rate_msgs_per_s=8.0, n_raids=1, copypasta_bursts_per_hour=4.0,
        spam_bursts_per_hour=6.0, vote_calls_per_hour=4.0, timeouts_per_hour=8.0, bans_per_hour=2.0,
        deletions_per_hour=10.0, toxic_share=0.02, timer_bots=("beanhelper", "merch_reminder"), timer_period_s=(300.0, 450.0),
        n_speakers=2, cuts=((900.0, 120.0), (2400.0, 45.0)),
    )


# ----------------------------------------------------------------------------- parameters
def test_draw_params_varies_by_seed_and_pins_knobs():
    a, b = draw_params(1), draw_params(2)
    assert a != b and a == draw_params(1)
    pinned = draw_params(1, reaction_median_s=8.0, duration_s=3600.0)
    assert pinned.reaction_median_s == 8.0 and pinned.duration_s == 3600.0
    # Pinning one knob does not redraw unrelated ones.
    assert (pinned.reaction_shape, pinned.echo_share, pinned.drift_ppm) == (a.reaction_shape, a.echo_share, a.drift_ppm)
    assert all(a.late_start_s + 300 <= s and s + n <= pinned.duration_s - 300 for s, n in pinned.cuts)
    with pytest.raises(TypeError, match="unknown stream knob"):
        draw_params(1, reaction_medain_s=8.0)
    shapes = {draw_params(seed).reaction_shape for seed in range(30)}
    assert shapes == set(REACTION_SHAPES)
    medians = [draw_params(seed).reaction_median_s for seed in range(30)]
    assert min(medians) < 4.0 and max(medians) > 9.0 and all(1.0 <= m <= 12.0 for m in medians)


# ----------------------------------------------------------------------------- table contracts
def test_chat_table_is_exactly_what_a_parser_writes(busy):
    chat = busy.chat
    assert chat.schema.equals(RAW_CHAT_SCHEMA)
    n = chat.num_rows
    assert n == pytest.approx(8.0 * 3600, rel=0.01)
    assert _col(chat, "source_line").tolist() == list(range(1, n + 1))
    assert set(_col(chat, "source_format")) == {"sim"} and set(_col(chat, "source_file")) == {"sim.jsonl"}
    assert set(_col(chat, "vod_id")) == {"sim_busy"}
    assert len(set(_col(chat, "msg_id"))) == n
    sent = _col(chat, "sent_at_utc_ms")
    assert np.all(np.diff(sent) >= 0)
    start = busy.params.started_at_utc_ms
    assert sent[0] >= start and sent[-1] < start + busy.params.duration_s * 1000
    rows = _rows(busy)
    natives = {}
    for row in rows:
        if row["msg_type"] in ("chat", "command"):
            assert (row["msg_type"] == "command") == row["body"].startswith("!")
            assert row["user_login"] and row["user_id"] and row["native_id"] and row["badges"] is not None
            natives[row["native_id"]] = row
        if row["msg_type"] in ("timeout", "deletion") or row["label"] == "mod_event":
            assert row["user_login"] is None and row["user_id"] is None and row["badges"] is None
        if row["msg_type"] == "timeout":
            assert row["body"] == "" and row["target_user_login"]
        if row["msg_type"] == "deletion":
            target = natives[row["target_native_id"]]  # deleted earlier, by native id
            assert target["label"] == "deleted" and target["body"] == row["body"]
            assert target["user_login"] == row["target_user_login"]
            assert target["sent_at_utc_ms"] <= row["sent_at_utc_ms"]
    types = Counter(r["msg_type"] for r in rows)
    assert {"chat", "command", "sub", "raid", "timeout", "deletion", "mod_action"} <= set(types)


def test_emote_flags_are_those_of_the_emote_matcher(busy):
    match = EmoteMatcher().match
    walls = 0
    for row in _rows(busy):
        spans, only = match(row["body"])
        assert row["is_emote_only"] == only
        assert [(s["start"], s["end"], s["emote_id"], s["name"]) for s in row["emote_spans"]] == [tuple(s) for s in spans]
        if row["label"] == "emote_only":
            assert only and 1 <= len(spans) <= 4
        if row["label"] == "emote_wall":
            walls += 1
            assert only and 6 <= len(spans) <= 30 and len(set(s[3] for s in spans)) <= 3
    assert walls > 0


def test_transcript_tables_and_knots_follow_the_contracts(busy):
    knots = busy.knots
    kx, ky = knot_arrays(knots)  # validates: strictly increasing chat time
    p = busy.params
    cuts = flat_spans(knots)
    assert [(round((s - p.started_at_utc_ms) / 1000, 3), round((e - s) / 1000, 3)) for s, e, _ in cuts] == list(p.cuts)
    # Late start and drift: audio 0 at broadcast late_start; slope (1 + drift) away from cuts.
    assert float(map_chat_to_audio(knots, p.started_at_utc_ms + round(p.late_start_s * 1000))) == pytest.approx(0.0, abs=1e-6)
    slope = (ky[1] - ky[0]) / ((kx[1] - kx[0]) / 1000)
    assert slope == pytest.approx(1 + p.drift_ppm * 1e-6, rel=1e-9)
    seg, words = busy.segments, busy.words
    assert seg.column_names == ["vod_id", "segment_id", "start_s", "end_s", "text", "quality", "speaker"]
    assert words.column_names == ["vod_id", "segment_id", "word_index", "start_s", "end_s", "word", "probability"]
    assert set(_col(seg, "quality")) <= {"ok", "low_confidence"} and "ok" in set(_col(seg, "quality"))
    assert set(seg.column("speaker").to_pylist()) <= {None, "S0", "S1"} and "S1" in seg.column("speaker").to_pylist()
    start, end = _col(seg, "start_s"), _col(seg, "end_s")
    assert np.all(end > start) and np.all(start[1:] >= end[:-1]) and start[0] >= 0
    assert end[-1] <= ky[-1]
    for _, _, point in cuts:  # no segment straddles the audio point of a cut
        assert not np.any((start < point) & (end > point))
    assert len(set(_col(seg, "segment_id"))) == seg.num_rows
    by_id = {s["segment_id"]: s for s in seg.to_pylist()}
    grouped = defaultdict(list)
    for w in words.to_pylist():
        grouped[w["segment_id"]].append(w)
    assert set(grouped) == set(by_id)
    for sid, ws in grouped.items():
        s = by_id[sid]
        assert [w["word_index"] for w in ws] == list(range(len(ws)))
        assert " ".join(w["word"] for w in ws) == s["text"]
        assert ws[0]["start_s"] == s["start_s"] and ws[-1]["end_s"] <= s["end_s"] + 1e-9


def test_truth_columns_agree_with_the_true_curve(busy):
    lat = _col(busy.labels, "latency_s")
    pos = _col(busy.labels, "true_viewer_position_s")
    sent = _col(busy.chat, "sent_at_utc_ms")
    typed = ~np.isnan(lat)
    assert np.array_equal(typed, ~np.isnan(pos))
    # The viewer's stream showed curve(sent - latency); knots carry it to within the 1 ms grid.
    back = map_chat_to_audio(busy.knots, np.round(sent[typed] - lat[typed] * 1000).astype(np.int64))
    assert np.max(np.abs(back - pos[typed])) < 1.5e-3
    label = _col(busy.labels, "label")
    assert np.all(np.isnan(lat[np.isin(label, ["bot", "timer_bot", "command_reply", "system", "mod_event"])]))
    # sent = segment end (broadcast) + latency + reaction: in audio, the viewer is `reaction` past the end.
    seg = busy.labels.column("reacts_to_segment").to_numpy(zero_copy_only=False)
    reacting = np.isin(label, ["reaction", "vote"])
    assert not np.isnan(seg[reacting].astype(float)).any()
    ends = _col(busy.segments, "end_s")[seg[reacting].astype(int)]
    gap = pos[reacting] - ends
    reaction = _col(busy.labels, "reaction_s")[reacting]
    in_cut = np.zeros(gap.size, bool)
    for _, _, point in flat_spans(busy.knots):
        in_cut |= np.isclose(pos[reacting], point, atol=1e-6)
    drift = 1 + busy.params.drift_ppm * 1e-6
    assert np.allclose(gap[~in_cut], reaction[~in_cut] * drift, atol=2e-3)
    assert np.all(reaction > 0)


# ----------------------------------------------------------------------------- parameters reach the data
@pytest.mark.parametrize("shape", REACTION_SHAPES)
def test_measured_reaction_delay_follows_the_drawn_median(shape):
    stream = simulate_stream(
        21, duration_s=3600.0, chat_rate_msgs_per_s=6.0, reaction_shape=shape, reaction_median_s=8.0,
        reaction_share=0.2, cuts=(),
    )
    label = _col(stream.labels, "label")
    seg = stream.labels.column("reacts_to_segment").to_numpy(zero_copy_only=False)
    pos = _col(stream.labels, "true_viewer_position_s")
    lat = _col(stream.labels, "latency_s")
    sent = _col(stream.chat, "sent_at_utc_ms")
    mask = label == "reaction"
    assert mask.sum() > 2000
    # Measured from outside: audio the viewer heard at sending minus the segment's end.
    delay = (pos[mask] - _col(stream.segments, "end_s")[seg[mask].astype(int)]) / (1 + stream.params.drift_ppm * 1e-6)
    assert np.median(delay) == pytest.approx(8.0, rel=0.05)
    # And the echo-visible total (chat time minus segment end on the broadcast clock) is latency + reaction.
    knots = stream.knots
    x, y = knot_arrays(knots)
    end_b = np.interp(_col(stream.segments, "end_s")[seg[mask].astype(int)], y, x)
    total = (sent[mask] - end_b) / 1000
    assert np.median(total - lat[mask]) == pytest.approx(8.0, rel=0.05)
    assert np.median(lat[~np.isnan(lat)]) == pytest.approx(stream.params.latency_median_s, rel=0.1)


def test_chat_rate_and_label_shares_follow_the_draw():
    for seed, wobble in ((31, {}), (32, {"rate_wobble": 0.2})):
        stream = simulate_stream(seed, duration_s=4 * 3600.0, chat_rate_msgs_per_s=3.0, **wobble)
        p = stream.params
        n = stream.chat.num_rows
        assert n / p.duration_s == pytest.approx(p.chat_rate_msgs_per_s, rel=0.1)
        if wobble:  # with little wobble, every hour after the warm-up is near the drawn rate
            sent = (_col(stream.chat, "sent_at_utc_ms") - p.started_at_utc_ms) / 1000
            hourly = np.histogram(sent, bins=4, range=(0, 4 * 3600))[0] / 3600
            assert hourly[1:] == pytest.approx([p.chat_rate_msgs_per_s] * 3, rel=0.25)
        label = Counter(_col(stream.labels, "label").tolist())
        for name, share in (("reaction", p.reaction_share), ("emote_only", p.emote_only_share), ("command", p.command_share),
                            ("bot", p.bot_share), ("emote_wall", p.emote_wall_share)):
            assert label[name] / n == pytest.approx(share, rel=0.1, abs=0.002), name
        # Moderation relabels some toxic lines (timed_out_user / deleted), never adds any.
        assert 0.5 * p.toxic_share - 0.002 <= label["toxic"] / n <= p.toxic_share + 0.001


def test_latency_and_rate_extremes_are_reachable():
    fast = simulate_stream(5, duration_s=600.0, chat_rate_msgs_per_s=2.0, latency_median_s=1.5, latency_sigma=0.1)
    slow = simulate_stream(5, duration_s=600.0, chat_rate_msgs_per_s=2.0, latency_median_s=10.0, latency_sigma=0.1)
    lf, ls = _col(fast.labels, "latency_s"), _col(slow.labels, "latency_s")
    assert np.nanmedian(lf) == pytest.approx(1.5, rel=0.15) and np.nanmedian(ls) == pytest.approx(10.0, rel=0.15)


# ----------------------------------------------------------------------------- behaviours behind each label
def test_bursts_bots_commands_and_moderation_look_like_twitch(busy):
    rows = _rows(busy)
    p = busy.params
    bursts = defaultdict(list)
    for r in rows:
        if r["burst_id"] is not None:
            bursts[r["burst_id"]].append(r)
    kinds = {r[0]["label"] for r in bursts.values()}
    assert kinds == {"copypasta", "spam_burst"} or kinds <= {"copypasta", "spam_burst", "timed_out_user", "deleted"}
    for members in bursts.values():
        users = {m["user_login"] for m in members}
        assert len(users) >= 0.9 * len(members) and len(members) >= 3
        base = Counter(m["body"] for m in members).most_common(1)[0][0]
        if members[0]["text_kind"].startswith("copypasta"):
            assert len(base) > 120
            base_words = set(base.lower().split())
            for m in members:  # small edits only
                words = set(m["body"].lower().split())
                assert len(words & base_words) / len(words | base_words) > 0.8
    by_user = defaultdict(list)
    for r in rows:
        if r["user_login"]:
            by_user[r["user_login"]].append(r)
    bots = {r["user_login"] for r in rows if r["label"] == "bot"}
    assert bots and bots <= set(DEFAULT_BOTS)
    timers = {r["user_login"] for r in rows if r["label"] == "timer_bot"}
    assert timers == {"beanhelper", "merch_reminder"} and not timers & set(DEFAULT_BOTS)
    for login in timers:
        own = [r for r in by_user[login]]
        gaps = np.diff([r["sent_at_utc_ms"] for r in own]) / 1000
        assert np.std(gaps) / np.mean(gaps) < 0.25 and len({r["body"] for r in own}) <= 3
    command_times = np.array([r["sent_at_utc_ms"] for r in rows if r["msg_type"] == "command"])
    replies = [r for r in rows if r["label"] == "command_reply"]
    assert replies
    for r in replies:
        before = command_times[command_times <= r["sent_at_utc_ms"]]
        assert before.size and r["sent_at_utc_ms"] - before[-1] <= 5000
    # Timed-out users: an action against them follows within the lookback, then silence while it lasts.
    actions = defaultdict(list)
    for r in rows:
        if r["msg_type"] in ("timeout", "mod_action") and r["target_user_login"]:
            actions[r["target_user_login"]].append(r["sent_at_utc_ms"])
    flagged = [r for r in rows if r["label"] == "timed_out_user"]
    assert flagged
    for r in flagged:
        later = [t for t in actions[r["user_login"]] if t >= r["sent_at_utc_ms"]]
        assert later and later[0] - r["sent_at_utc_ms"] <= p.moderation_lookback_s * 1000 + 1
    for login, times in actions.items():
        own = [r["sent_at_utc_ms"] for r in by_user[login]]
        assert not any(times[0] < t <= times[0] + 60_000 for t in own)  # every timeout lasts at least 60 s
    toxic_text = [r for r in rows if r["text_kind"] == "toxic"]
    assert {r["label"] for r in toxic_text} <= {"toxic", "timed_out_user", "deleted"}
    votes = [r for r in rows if r["label"] == "vote"]
    assert votes and all(len(r["body"].split()) <= 3 for r in votes)
    system = [r for r in rows if r["label"] == "system"]
    assert {r["msg_type"] for r in system} <= {"sub", "raid", "notice"} and "raid" in {r["msg_type"] for r in system}


def test_reactions_echo_the_words_that_were_said(busy):
    rows = _rows(busy)
    segments = busy.segments.to_pylist()
    spoken = [{w.strip(".,?!").lower() for w in s["text"].split()} for s in segments]
    echoes = [r for r in rows if r["text_kind"] == "reaction_echo"]
    hits = sum(any(w.strip("\"?!").lower() in spoken[r["reacts_to_segment"]] for w in r["body"].split() if len(w) > 3) for r in echoes)
    assert echoes and hits / len(echoes) > 0.8


def test_every_label_appears_for_some_seed():
    seen: set[str] = set()
    for seed in range(10):
        seen |= set(simulate_stream(seed, **SMALL).labels.column("label").to_pylist())
        if seen == set(LABELS):
            break
    assert seen == set(LABELS)


# ----------------------------------------------------------------------------- determinism
def _digest(stream) -> str:
    h = hashlib.sha256()
    for table in (stream.chat, stream.labels, stream.segments, stream.words):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        h.update(sink.getvalue().to_pybytes())
    h.update(repr(stream.knots).encode())
    return h.hexdigest()


def test_same_seed_and_knobs_give_byte_identical_tables_in_any_process():
    ours = _digest(simulate_stream(9, duration_s=900.0, chat_rate_msgs_per_s=4.0))
    assert ours == _digest(simulate_stream(9, duration_s=900.0, chat_rate_msgs_per_s=4.0))
    assert ours != _digest(simulate_stream(10, duration_s=900.0, chat_rate_msgs_per_s=4.0))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from dougchat_assets_tests.sim.test_chat_sim import _digest;"
        "from dougchat_sim import simulate_stream;"
        "print(_digest(simulate_stream(9, duration_s=900.0, chat_rate_msgs_per_s=4.0)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, str(REPO)], env=env, capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == ours


def test_msg_ids_are_positional_and_seeded():
    a = simulate_stream(3, duration_s=300.0, chat_rate_msgs_per_s=2.0)
    b = simulate_stream(4, duration_s=300.0, chat_rate_msgs_per_s=2.0)
    assert not set(_col(a.chat, "msg_id")) & set(_col(b.chat, "msg_id"))
    assert math.isclose(a.chat.num_rows, 600, rel_tol=0.01)
