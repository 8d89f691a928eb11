"""Beside the stages, plotting: one picture of an alignment, for the asset's metadata and the reviewer.

The y axis is the offset ``audio_s - chat_s`` (chat seconds since the reference), so a
perfect clock with no cuts is a flat line, drift is a gentle slope, and a cut is a drop by
its length.  Echo matches, window estimates and anchors are drawn with the curve, so a
wrong curve is visible at a glance (its evidence sits elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dougchat_assets.align.curve import map_chat_to_audio  # noqa: E402
from dougchat_assets.align.inputs import AlignmentInputs  # noqa: E402
from dougchat_assets.align.result import AlignmentResult  # noqa: E402
from dougchat_assets.fileio import save_png  # noqa: E402


def plot_alignment(
    result: AlignmentResult, inputs: AlignmentInputs, path: str | Path, true_knots: list | None = None
) -> Path:
    """Write a PNG of the offset curve and its evidence; returns the path."""
    ref = result.reference_utc_ms
    chat_ms = inputs.chat.sent_at_utc_ms
    lo_ms = int(min(chat_ms.min(), result.knots[0].chat_utc_ms)) if chat_ms.size else result.knots[0].chat_utc_ms
    hi_ms = int(max(chat_ms.max(), result.knots[-1].chat_utc_ms)) if chat_ms.size else result.knots[-1].chat_utc_ms
    grid = np.unique(
        np.concatenate([np.linspace(lo_ms, hi_ms, 2000).astype(np.int64), [k.chat_utc_ms for k in result.knots]])
    )
    grid = grid[(grid >= lo_ms) & (grid <= hi_ms)]

    def minutes(ms: np.ndarray) -> np.ndarray:
        return (np.asarray(ms, dtype=np.int64) - ref) / 60000.0

    def offset(ms: np.ndarray, audio: np.ndarray) -> np.ndarray:
        return np.asarray(audio, dtype=np.float64) - (np.asarray(ms, dtype=np.int64) - ref) / 1000.0

    curve = offset(grid, map_chat_to_audio(result.knots, grid))
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=100)
    labelled: set[str] = set()
    for span in result.uncertain_spans:
        colour = "0.85" if span.kind == "cut" else "tab:orange"
        label = {"cut": "ad cut (no audio)", "cut_position": "cut position uncertain",
                 "unsupported": "no echo evidence (left out)"}.get(span.kind, span.kind)
        ax.axvspan(
            float(minutes(np.array([span.start_utc_ms]))[0]),
            float(minutes(np.array([span.end_utc_ms]))[0]),
            color=colour,
            alpha=0.35 if span.kind == "cut" else 0.15,
            lw=0,
            label=None if label in labelled else label,
        )
        labelled.add(label)
    if result.echo_chat_utc_ms.size:
        em = result.echo_chat_utc_ms
        ax.scatter(
            minutes(em),
            offset(em, result.echo_audio_s + result.reaction_lag_s),
            s=3,
            c="0.6",
            alpha=0.35,
            lw=0,
            label="echo matches (+ lag prior)",
        )
    for method, marker, colour in (("echo", "o", "tab:blue"), ("xcorr", "^", "tab:orange")):
        ws = [w for w in result.window_estimates if w.method == method]
        if ws:
            ok = np.array([w.agrees for w in ws])
            xs = minutes(np.array([w.chat_center_utc_ms for w in ws]))
            ys = np.array([w.offset_s for w in ws])
            ax.scatter(xs[ok], ys[ok], marker=marker, s=18, c=colour, alpha=0.8, label=f"{method} windows (agree)")
            if (~ok).any():
                ax.scatter(
                    xs[~ok],
                    ys[~ok],
                    marker=marker,
                    s=18,
                    facecolors="none",
                    edgecolors=colour,
                    alpha=0.6,
                    label=f"{method} windows (disagree)",
                )
    if true_knots:
        tg = grid
        ax.plot(minutes(tg), offset(tg, map_chat_to_audio(true_knots, tg)), c="tab:green", lw=1, ls="--", label="truth")
    ax.plot(minutes(grid), curve, c="k", lw=1.4, label="offset curve")
    kx = np.array([k.chat_utc_ms for k in result.knots])
    ax.scatter(minutes(kx), offset(kx, [k.audio_s for k in result.knots]), c="k", s=22, zorder=5, label="knots")
    if result.anchors:
        ax_ms = np.array([a.chat_utc_ms for a in result.anchors])
        ax.scatter(
            minutes(ax_ms),
            offset(ax_ms, [a.audio_s for a in result.anchors]),
            marker="*",
            s=70,
            c="tab:red",
            zorder=6,
            label="anchors",
        )
    span = float(np.ptp(curve)) if curve.size else 0.0
    mid = float(np.median(curve)) if curve.size else 0.0
    pad = max(20.0, 0.3 * span)
    ax.set_ylim(
        float(curve.min()) - pad if curve.size else mid - pad, float(curve.max()) + pad if curve.size else mid + pad
    )
    ax.set_xlabel("chat time (minutes since reference)")
    ax.set_ylabel("audio_s - chat_s (s)")
    method = result.method.split(":")[0]
    ax.set_title(
        f"{method}: confidence {result.confidence:.2f}, drift {result.drift_s_per_h:+.2f} s/h, "
        f"{len(result.segments) - 1} cut(s), lag {result.reaction_lag_s:.1f} s ({result.latency_source})",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best", ncol=2)
    fig.tight_layout()
    return save_png(fig, path)
