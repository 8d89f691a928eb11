"""The lag split from read-alouds, on hand-made reads (pure logic, no simulator)."""

from __future__ import annotations

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
