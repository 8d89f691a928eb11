"""A picture of one VOD's transcript quality: where it is confident, where it is flagged, and the audited WER.

Shown inline on the ``transcripts`` asset, so whoever opens a VOD sees at once whether a bad
WER is spread over the stream or sits in one stretch (music, a guest, a loud moment), before
reading numbers.  Top: each segment as a bar over its audio time at its mean word log
probability, coloured by its quality flag.  Bottom: the WER of each audited line at its time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dougchat_assets.asr.transcribe import TranscriptSegment
from dougchat_assets.fileio import save_png

FLAG_COLOURS = {"ok": "tab:green"}
OTHER_FLAG_COLOUR = "tab:red"


def plot_transcript_quality(segments: Sequence[TranscriptSegment], audited: Sequence[dict], max_wer: float,
                            duration_s: float, path: str | Path) -> Path:
    """Write the PNG (atomically) and return its path; ``audited`` items carry ``start_s`` and ``wer``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 3.8), dpi=90, sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    flags = sorted({s.quality_flag for s in segments})
    for flag in flags:
        chosen = [s for s in segments if s.quality_flag == flag]
        top.bar([s.start_s for s in chosen], [s.word_logprob if s.word_logprob is not None else s.avg_logprob for s in chosen],
                width=[max(s.end_s - s.start_s, 0.1) for s in chosen], align="edge",
                color=FLAG_COLOURS.get(flag, OTHER_FLAG_COLOUR), alpha=0.8 if flag == "ok" else 0.6,
                label=f"{flag} ({len(chosen)})")
    top.set_ylabel("mean word\nlog prob")
    top.grid(alpha=0.3)
    if flags:
        top.legend(fontsize=7, loc="lower right", ncol=min(len(flags), 4))
    if audited:
        bottom.plot([a["start_s"] for a in audited], [a["wer"] for a in audited], "o", ms=4, label="audited line WER")
        bottom.axhline(max_wer, color="grey", ls="--", lw=1, label=f"threshold {max_wer:g} (on all lines)")
        bottom.legend(fontsize=7, loc="upper right")
    else:
        bottom.text(0.5, 0.5, "no audited lines yet (dougchat audit)", ha="center", va="center",
                    transform=bottom.transAxes, fontsize=8, color="grey")
    bottom.set_ylabel("WER")
    bottom.set_xlabel("audio time (s)")
    bottom.set_xlim(0, max(duration_s, 1.0))
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    return save_png(fig, path)
