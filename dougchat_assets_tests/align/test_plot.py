"""The alignment plot is written as a PNG (how fast: bench/plot.py, against a bare figure)."""

from __future__ import annotations

from pathlib import Path

from dougchat_assets.align import estimate_alignment, plot_alignment
from dougchat_assets_tests.sim.vods import PRIOR_MATCHED
from dougchat_sim.alignment import simulate_alignment_vod


def test_plot_writes_a_png(tmp_path: Path):
    v = simulate_alignment_vod(7, **PRIOR_MATCHED, audio_duration_s=900, cut_lengths_s=(40.0,))
    r = estimate_alignment(v.inputs)
    out = plot_alignment(r, v.inputs, tmp_path / "align.png", true_knots=v.true_knots)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["align.png"]
