"""The alignment VOD simulator carries its drawn parameters into the data.

Delays and positions are measured from what the estimator would read (chat times, the
transcript words, the energy frames) against the true curve, not read back from the
generator's bookkeeping; the truth labels only say *which* messages to look at.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from dougchat_assets.align.curve import map_chat_to_audio
from dougchat_sim.align_params import EXPORT_FORMATS, draw_alignment_params
from dougchat_sim.alignment import mismatched_inputs, simulate_alignment_vod
from dougchat_sim.params import REACTION_SHAPES

SIM_DIR = Path(__file__).resolve().parents[2] / "dougchat_sim"
QUIET = {  # clean speech and chat so a measured delay is the drawn one
    "audio_duration_s": 1200.0,
    "n_cuts": 0,
    "read_alouds": 0,
    "countdown": False,
    "chat_rate_msgs_per_s": 3.0,
    "reaction_share": 0.3,
    "echo_share": 0.8,
    "latency_median_s": 3.0,
    "latency_sigma": 0.1,
    "latency_jitter_s": 0.0,
    "reaction_shape": "lognormal",
    "reaction_spread": 0.3,
    "asr_jitter_s": 0.0,
    "asr_drop_rate": 0.0,
    "asr_misspell_rate": 0.0,
    "export_format": "irc",
}


def _plain(word: str) -> str:
    return word.strip().strip(".,!?").lower()


def _echo_delays(v) -> np.ndarray:
    """Send time on the true curve minus the end of the latest sentence saying the echoed word."""
    w = v.inputs.words
    words = [_plain(x) for x in w.word]
    terminal = np.array([x.strip().endswith((".", "?", "!")) for x in w.word])
    last = np.flatnonzero(terminal)
    sentence_end = w.end_s[last[np.searchsorted(last, np.arange(len(words)))]]
    ends_by_word: dict[str, list[float]] = {}
    for word, end in zip(words, sentence_end.tolist(), strict=True):
        if len(word) >= 4:
            ends_by_word.setdefault(word, []).append(end)
    sent = map_chat_to_audio(v.true_knots, v.chat_utc_ms)
    bodies = v.chat_table.column("body").to_pylist()
    delays = []
    for i in np.flatnonzero(v.truth.text_kind == "reaction_echo").tolist():
        best = math.inf
        for tok in {_plain(x) for x in bodies[i].split()}:
            ends = np.asarray(ends_by_word.get(tok, ()))
            before = ends[(ends < sent[i]) & (ends > sent[i] - 60.0)]
            if before.size:
                best = min(best, sent[i] - before.max())
        if math.isfinite(best):
            delays.append(best)
    return np.array(delays)


@pytest.mark.parametrize("reaction_median_s", [2.0, 8.0])
def test_reaction_median_reaches_the_echo_delays(reaction_median_s: float):
    v = simulate_alignment_vod(21, **QUIET, reaction_median_s=reaction_median_s)
    delays = _echo_delays(v)
    assert delays.size > 200
    expected = 3.0 + reaction_median_s  # latency + reaction time, both from the end of the sentence
    assert np.median(delays) == pytest.approx(expected, abs=0.8)


def test_truth_knots_follow_late_start_drift_and_cuts():
    v = simulate_alignment_vod(9, audio_duration_s=1200.0, late_start_s=100.0, drift_ppm=1000.0, cut_lengths_s=(50.0,))
    k = v.drift_factor
    assert k == pytest.approx(1.001)
    ((c, d),) = v.cuts
    assert d == 50.0
    t0 = v.inputs.meta.started_at_utc_ms

    def at(b: float) -> float:
        return float(map_chat_to_audio(v.true_knots, np.array([t0 + round(b * 1000)]))[0])

    tol = 2e-3  # knots and times are whole milliseconds
    assert abs(at(100.0)) < tol
    assert abs(at(c - 10) - k * (c - 10 - 100.0)) < tol
    assert abs(at(c + d / 2) - k * (c - 100.0)) < tol  # flat inside the cut
    assert abs(at(c + d + 10) - k * (c + 10 - 100.0)) < tol  # offset dropped by the cut length
    assert abs(at(v.truth.params.duration_s) - 1200.0) < tol
    assert v.inputs.meta.audio_duration_s == 1200.0
    assert v.truth.cut_spans_utc_ms == ((t0 + round(c * 1000), t0 + round((c + d) * 1000)),)
    # the audio has nothing at the cut point: no word spans it
    (point,) = v.truth.cut_audio_points_s
    w = v.inputs.words
    assert not ((w.start_s < point + 0.5) & (w.end_s > point - 0.5)).any()


def test_pinned_cuts_drift_and_late_start_vary_when_not_pinned():
    drawn = [draw_alignment_params(s)[0] for s in range(200)]
    late = np.array([p.late_start_s for p in drawn])
    drift = np.array([p.drift_ppm for p in drawn])
    n_cuts = np.array([len(p.cuts) for p in drawn])
    assert late.min() < 5.0 and late.max() > 500.0 and late.max() <= 600.0
    assert drift.min() < -1500.0 and drift.max() > 1500.0
    assert set(n_cuts.tolist()) == {0, 1, 2, 3}


def test_knobs_are_drawn_over_wide_ranges_and_pins_hold():
    pairs = [draw_alignment_params(s) for s in range(200)]
    audio = np.array([k.audio_duration_s for _, k in pairs])
    rate = np.array([p.chat_rate_msgs_per_s for p, _ in pairs])
    reaction = np.array([p.reaction_median_s for p, _ in pairs])
    reads = np.array([k.read_alouds for _, k in pairs])
    assert audio.min() < 300.0 and audio.max() > 10000.0 and 180.0 <= audio.min() and audio.max() <= 14400.0
    assert rate.min() < 0.4 and rate.max() > 20.0
    assert reaction.min() < 2.0 and reaction.max() > 11.0
    assert {p.reaction_shape for p, _ in pairs} == set(REACTION_SHAPES)
    assert {k.export_format for _, k in pairs} == set(EXPORT_FORMATS)
    assert (reads == 0).mean() > 0.3 and reads.max() >= 20
    assert 0.2 < np.mean([k.countdown for _, k in pairs]) < 0.6
    params, knobs = draw_alignment_params(3, reaction_median_s=8.0, read_alouds=12, n_cuts=2, audio_duration_s=900.0)
    pinned = (params.reaction_median_s, knobs.read_alouds, len(params.cuts), knobs.audio_duration_s)
    assert pinned == (8.0, 12, 2, 900.0)
    with pytest.raises(TypeError, match="unknown VOD knob"):
        draw_alignment_params(3, reaction_median=8.0)


def test_the_simulator_never_uses_the_estimators_lag_model():
    for path in SIM_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Name | ast.Attribute):
                names = [getattr(node, "id", None) or getattr(node, "attr", "")]
            else:
                continue
            assert not any(n.endswith("align.lag") or n in ("lag", "LagPrior") for n in names), (path.name, names)


def test_read_alouds_appear_in_the_transcript_after_their_message():
    v = simulate_alignment_vod(
        5, audio_duration_s=900.0, read_alouds=12, read_delay_s=4.0, read_delay_jitter_s=0.0, read_prefix_prob=0.5,
        asr_drop_rate=0.0, asr_misspell_rate=0.0, digit_share=0.0, asr_jitter_s=0.0, n_cuts=1,
    )
    reads = v.truth.read_alouds
    assert len(reads) == 12
    w = v.inputs.words
    said = [_plain(x) for x in w.word]
    sent = map_chat_to_audio(v.true_knots, v.chat_utc_ms)
    bodies = v.chat_table.column("body").to_pylist()
    for r in reads:
        body_words = [_plain(x) for x in bodies[r.msg_index].split()]
        spoken = [_plain(x) for x in r.words]
        assert set(spoken[-3:]) <= set(body_words)  # the message's own words
        # found in the transcript, in order, starting read_delay after it was sent
        first = int(np.searchsorted(w.start_s, r.audio_start_s - 1e-6))
        assert said[first : first + len(spoken)] == spoken
        lead = w.start_s[first] - sent[r.msg_index]
        assert 4.0 - 0.01 < lead < 4.0 * v.drift_factor + 0.01
        assert r.message_start_s >= r.audio_start_s


def test_same_seed_same_vod_and_another_seed_differs():
    pins = {"audio_duration_s": 400.0, "read_alouds": 3, "countdown": True}
    a, b = simulate_alignment_vod(5, **pins), simulate_alignment_vod(5, **pins)
    assert a.true_knots == b.true_knots and a.chat_table.equals(b.chat_table)
    assert a.inputs.words.word == b.inputs.words.word and np.array_equal(a.inputs.words.end_s, b.inputs.words.end_s)
    assert np.array_equal(a.inputs.energy.rms_db, b.inputs.energy.rms_db)
    assert a.truth.read_alouds == b.truth.read_alouds
    c = simulate_alignment_vod(6, **pins)
    assert not c.chat_table.equals(a.chat_table)


@pytest.mark.parametrize("rate", [0.3, 12.0])
def test_chat_rate_pin_is_honoured(rate: float):
    v = simulate_alignment_vod(8, audio_duration_s=600.0, chat_rate_msgs_per_s=rate, chat_start_s=0.0)
    assert v.chat_table.num_rows / v.truth.params.duration_s == pytest.approx(rate, rel=0.1)


def test_export_formats_shape_the_chat_times():
    whole = simulate_alignment_vod(4, audio_duration_s=300.0, export_format="chatterino")
    assert (whole.chat_table.column("sent_at_utc_ms").to_numpy() % 1000 == 0).all()
    assert whole.inputs.chat.whole_seconds.all()
    td = simulate_alignment_vod(4, audio_duration_s=300.0, export_format="twitchdownloader")
    offsets = td.chat_table.column("vod_offset_s").to_numpy()
    since_start = (td.chat_utc_ms - td.inputs.meta.started_at_utc_ms) / 1000.0
    assert np.array_equal(offsets, np.floor(since_start))


def test_countdown_and_energy_follow_the_speech():
    v = simulate_alignment_vod(12, audio_duration_s=600.0, countdown=True, countdown_at_s=40.0, digit_share=0.0,
                               asr_drop_rate=0.0)
    w, e = v.inputs.words, v.inputs.energy
    said = [_plain(x) for x in w.word]
    i = said.index("ten")
    assert said[i : i + 10] == ["ten", "nine", "eight", "seven", "six", "five", "four", "three", "two", "one"]
    assert w.start_s[i] == pytest.approx(40.0, abs=0.5)
    hype = v.truth.text_kind == "countdown_hype"
    assert hype.sum() >= 3
    assert (map_chat_to_audio(v.true_knots, v.chat_utc_ms[hype]) > v.truth.countdown_end_s).all()
    assert e.frame_s == pytest.approx(0.1)
    centre = e.frame_start_s + 0.05
    idx = np.clip(np.searchsorted(w.start_s, centre) - 1, 0, None)
    in_word = (centre >= w.start_s[idx]) & (centre < w.end_s[idx] - 0.1)
    silent = np.ones(centre.size, bool)
    for s, t in zip(w.start_s, w.end_s, strict=True):
        silent[int(max(0.0, s - 1.0) * 10) : int((t + 1.0) * 10)] = False
    knobs = v.truth.knobs
    assert np.median(e.rms_db[in_word]) > np.median(e.rms_db[silent]) + 10.0
    loud = (centre > w.start_s[i]) & (centre < w.end_s[i + 9]) & in_word
    assert np.median(e.rms_db[loud]) == pytest.approx(knobs.loud_db, abs=2.0)


def test_mismatched_pair_has_one_vods_chat_and_the_others_audio():
    a = simulate_alignment_vod(31, audio_duration_s=300.0)
    b = simulate_alignment_vod(32, audio_duration_s=400.0)
    pair = mismatched_inputs(a, b)
    assert pair.words is b.inputs.words and pair.energy is b.inputs.energy and pair.meta is b.inputs.meta
    assert pair.chat.n == a.inputs.chat.n
    shift = b.inputs.meta.started_at_utc_ms - a.inputs.meta.started_at_utc_ms
    assert np.array_equal(pair.chat.sent_at_utc_ms, a.chat_utc_ms + shift)
