"""The alignment plot is written as a PNG, quickly."""

from __future__ import annotations

import time
from pathlib import Path

from dougchat_assets.align import estimate_alignment, plot_alignment
from dougchat_assets.align.simulate import SimConfig, simulate_vod


def test_plot_writes_a_png(tmp_path: Path):
    v = simulate_vod(7, SimConfig(audio_duration_s=900, cut_lengths_s=(40.0,)))
    r = estimate_alignment(v.inputs)
    start = time.perf_counter()
    out = plot_alignment(r, v.inputs, tmp_path / "align.png", true_knots=v.true_knots)
    assert time.perf_counter() - start < 5.0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["align.png"]
