"""Alignment plot speed: ``plot_alignment`` against a bare figure of the same size, same run.

Run:  nice -n 10 .venv/bin/python bench/plot.py [--seeds 101 102 103] [--durations 900 14400] [--repeats 3]

The offset_curve asset draws one PNG per VOD (inline in the Dagster UI and in the reviewer),
so its cost must stay small and must not grow with the amount of chat.  For randomised
simulated VODs (``dougchat_sim``, every knob drawn, only the length pinned) of each length,
the real ``plot_alignment`` (curve, echo matches, window estimates, anchors, cuts, the true
curve) is timed against a baseline: a figure of the same size and DPI with just the curve
as one line, saved as PNG the same way -- the unavoidable cost of rendering with matplotlib.
Printed per VOD: chat messages, echo matches, both times (best of ``--repeats``) and the
ratio; the ratio is what to compare between machines (wall-clock timing does not belong in
the tests: a loaded CI machine would fail them for nothing).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dougchat_assets.align import estimate_alignment, plot_alignment  # noqa: E402
from dougchat_assets.align.curve import map_chat_to_audio  # noqa: E402
from dougchat_sim.alignment import simulate_alignment_vod  # noqa: E402


def bare_figure(result, inputs, path: Path) -> Path:
    """The baseline: the curve alone, same figure size and DPI as ``plot_alignment``."""
    chat_ms = inputs.chat.sent_at_utc_ms
    grid = np.linspace(int(chat_ms.min()), int(chat_ms.max()), 2000).astype(np.int64)
    ref = result.reference_utc_ms
    offset = map_chat_to_audio(result.knots, grid) - (grid - ref) / 1000.0
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=100)
    ax.plot((grid - ref) / 60000.0, offset, lw=1.5)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def best_of(repeats: int, fn) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103])
    parser.add_argument("--durations", type=float, nargs="+", default=[900.0, 14_400.0], help="audio seconds")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ratios = []
    print(f"{'VOD':>16} {'messages':>9} {'echoes':>7} {'plot s':>8} {'bare s':>8} {'ratio':>6}")
    with tempfile.TemporaryDirectory(prefix="dougchat-bench-plot-") as tmp:
        work = Path(tmp)
        for duration in args.durations:
            for seed in args.seeds:
                vod = simulate_alignment_vod(seed, audio_duration_s=duration)
                result = estimate_alignment(vod.inputs)
                bare_figure(result, vod.inputs, work / "warm.png")  # first-use costs (fonts, caches) out of both
                ours = best_of(args.repeats, lambda: plot_alignment(result, vod.inputs, work / "ours.png",
                                                                     true_knots=vod.true_knots))
                bare = best_of(args.repeats, lambda: bare_figure(result, vod.inputs, work / "bare.png"))
                ratios.append(ours / bare)
                print(f"{f'seed {seed}, {duration / 3600:.2f} h':>16} {vod.inputs.chat.sent_at_utc_ms.size:>9,} "
                      f"{result.echo_chat_utc_ms.size:>7,} {ours:>8.2f} {bare:>8.2f} {ours / bare:>6.1f}")
    print(f"plot_alignment / bare figure: median {np.median(ratios):.1f}x, max {max(ratios):.1f}x "
          f"over {len(ratios)} VODs (best of {args.repeats} each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
