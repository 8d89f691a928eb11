"""The alignment benchmark's diagnosis of why a VOD fails says what happened in it.

``bench/alignment.py`` explains the blocked share by the evidence each VOD holds (messages
echoing the streamer, from the simulator's truth) and by the estimator's failures that locked
onto the streamer reading chat.  Those lines argue where the 2 % target is out of reach, so
the classification is checked on simulated VODs whose story is known: calibration seed 5 is
a sparse chat whose only timing evidence is the streamer's reads (the curve lands lag + read
delay off), seed 134 a busier chat with reads whose curve is right.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def _bench_module():
    spec = importlib.util.spec_from_file_location("dougchat_bench_alignment", REPO / "bench" / "alignment.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_read_locked_failure_and_echo_count_are_recognised():
    bench = _bench_module()
    locked = bench.good_vod((5, 600.0, 0, False))
    right = bench.good_vod((134, 600.0, 0, False))

    assert bench._gross(locked) and bench._read_locked(locked)
    assert locked["failed"], "a read-locked curve must be blocked by its own checks"
    assert not bench._gross(right) and not bench._read_locked(right)
    assert right["n_reads_true"] > 0  # reads alone do not make a VOD read-locked

    # the echo count is the truth's echoes inside the audio, outside cuts
    v = bench._simulate(134, 600.0, 0)
    echoes = np.asarray(v.truth.text_kind, dtype=object) == "reaction_echo"
    assert 0 < right["echo_messages"] <= int(echoes.sum())
    assert right["echo_messages"] > 10 * max(locked["echo_messages"], 1)


def test_bins_count_blocked_and_failures_per_bin():
    bench = _bench_module()
    goods = [
        {"messages": 10, "failed": ["alignment_confidence"]},
        {"messages": 15, "failed": []},
        {"messages": 500, "failed": ["alignment_confidence"]},
    ]
    line = bench._by_bins(goods, [True, False, False], "messages", ((0, 20), (20, None)))
    assert line == "[0-20: 1/2 blocked, 1 estimator failures]  [20-: 1/1 blocked, 0 estimator failures]"
