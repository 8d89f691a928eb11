"""The lag split from read-alouds, on hand-made reads (pure logic, no simulator)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dougchat_assets.align.readaloud import ReadAlouds, measure_latency, read_cluster

PRIOR_LAG = 4.0
READ_DELAY = 3.0


def _reads(d: list[float]) -> tuple[ReadAlouds, np.ndarray]:
    """Reads whose ``d = theta_hat - y_read`` are ``d`` (theta_hat 0 everywhere)."""
    n = len(d)
    audio = np.arange(n, dtype=np.float64) * 30.0
    chat = audio - np.asarray(d, dtype=np.float64)  # y_read = chat - audio = -d
    return ReadAlouds(chat, audio, np.full(n, 3), np.arange(n)), np.zeros(n)


def _measure(d: list[float], **kw) -> object:
    reads, theta = _reads(d)
    echo = np.random.default_rng(0).uniform(2.0, 9.0, 200)
    return measure_latency(
        reads, theta, echo, PRIOR_LAG, read_delay_s=READ_DELAY, min_reads=kw.get("min_reads", 5), cluster_s=2.5
    )


def test_quoted_sentences_outside_the_cluster_do_not_pin_the_split_to_the_prior():
    """Viewers quoting a short line land near d = -1 s; they used to cap the lag at the prior."""
    d = [-1.4, -1.0, -0.7, 16.4, 17.1, 17.6, 17.8, 18.0, 18.3]
    est = _measure(d)
    assert est.source == "measured" and est.n_reads == 6
    assert est.lag_s == pytest.approx(PRIOR_LAG + np.median(d[3:]) - READ_DELAY, abs=1e-9)
    assert est.lo_s <= est.lag_s <= est.hi_s


def test_too_few_agreeing_reads_keep_the_prior():
    est = _measure([-1.0, -0.5, 6.0, 17.0, 17.5, 18.0])  # three agree, five needed
    assert est.source == "prior" and est.lag_s == PRIOR_LAG and est.shift_s == 0.0


def test_the_cluster_is_the_densest_group():
    assert read_cluster(np.array([5.0, 20.0, 20.5, 21.0, 21.4, 40.0]), 2.5).tolist() == [20.0, 20.5, 21.0, 21.4]
    assert read_cluster(np.array([3.0]), 2.5).size == 1


def test_a_reviewers_curve_measures_the_streamers_read_delay(tmp_path):
    """Under the true curve the reads follow their messages by the read delay itself: the
    override path records it, the number ``[alignment] read_delay_s`` is set from."""
    from dougchat_assets.align import Override, align_vod, override_path, write_override
    from dougchat_sim.alignment import simulate_alignment_vod

    v = simulate_alignment_vod(
        61, audio_duration_s=600.0, n_cuts=0, chat_rate_msgs_per_s=3.0, read_alouds=25, read_delay_s=5.5,
        read_delay_jitter_s=0.5,
    )
    knots = tuple(v.true_knots)
    write_override(override_path(tmp_path, "v61"), Override(knots=knots, reviewer="test"))
    outcome = align_vod(v.inputs, tmp_path, "v61")
    info = outcome.result.params["override"]
    assert outcome.source == "override" and info["read_alouds"] >= 10
    # reads are timed by their first spoken *content* word, which follows the message's first
    # word (after any "<name> says") by up to a word or two; the estimator uses the same timing
    to_message = np.median([r.message_start_s - r.sent_audio_s for r in v.truth.read_alouds])
    assert to_message == pytest.approx(5.5, abs=1.0)
    assert to_message - 0.1 <= info["read_delay_s"] <= to_message + 0.6
    # a curve 8 s off (the estimate before review, say) implies another delay: the number is the curve's
    shifted = tuple(replace(k, audio_s=k.audio_s + 8.0) for k in knots)
    write_override(override_path(tmp_path, "v61"), Override(knots=shifted, reviewer="test"))
    off = align_vod(v.inputs, tmp_path, "v61").result.params["override"]["read_delay_s"]
    assert off is None or abs(off - 5.5) > 3.0


def test_alignment_settings_come_from_the_settings_file(tmp_path):
    from dougchat_assets.align.params import alignment_settings
    from dougchat_assets.errors import InputError
    from dougchat_assets.settings import WarehouseLayout

    layout = WarehouseLayout(root=tmp_path)
    assert alignment_settings(layout).params().read_delay_s == 3.0
    layout.settings_path.write_text("[alignment]\nread_delay_s = 4.5\n")
    assert alignment_settings(layout).params().read_delay_s == 4.5
    layout.settings_path.write_text("[alignment]\nread_delay = 4.5\n")
    with pytest.raises(InputError, match="alignment.read_delay"):
        alignment_settings(layout)
