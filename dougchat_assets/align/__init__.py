"""Chat <-> audio alignment: map chat UTC time to seconds of the downloaded audio.

Pure logic (numpy/pyarrow only, no Dagster).  The estimator runs in stages, one direction
(:mod:`.estimate` is the driver; change the algorithm in the stage's module):

1. evidence — :mod:`.metadata` (search range), :mod:`.echo` + :mod:`.calls` (lexical echo),
   :mod:`.xcorr` (chat density vs speech), :mod:`.anchors` (countdown, calls),
   :mod:`.readaloud` (messages read aloud: they measure the lag split);
2. curve fit — :mod:`.curvefit` (offset, cuts via :mod:`.cuts`, drift via :mod:`.drift`, all
   on :mod:`.score`'s echo score with :mod:`.lag`'s prior);
3. confidence and checks — :mod:`.confidence` (+ :mod:`.significance`), :mod:`.checks`.

Beside them: :mod:`.pipeline` (estimate + override + checks: what ``offset_curve`` runs),
:mod:`.override` (the one override file module), :mod:`.warehouse` (DuckDB reads/writes
only), :mod:`.plot`; the data types in :mod:`.inputs`, :mod:`.result`, :mod:`.params`,
:mod:`.curve` (the knot contract); :mod:`.evaluate` and :mod:`.baseline` for benchmarks.
Synthetic VODs for tests and ``bench/alignment.py`` come from ``dougchat_sim.alignment``.
"""

from __future__ import annotations

from typing import Any

from dougchat_assets.align.baseline import baseline_global_xcorr
from dougchat_assets.align.checks import (
    AlignmentThresholds,
    CheckOutcome,
    all_passed,
    check_anchor_residual,
    check_confidence,
    check_cut_ambiguity,
    check_drift,
    check_offset_range,
    evaluate_checks,
)
from dougchat_assets.align.curve import flat_spans, in_flat_span, map_chat_to_audio
from dougchat_assets.align.estimate import estimate_alignment
from dougchat_assets.align.evaluate import ErrorStats, alignment_errors
from dougchat_assets.align.inputs import AlignmentInputs, ChatMessages, EnergyFrames, VodMeta, WordTimings
from dougchat_assets.align.lag import LagPrior
from dougchat_assets.align.override import Flag, Override, load_override, override_path, write_override
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.pipeline import AlignmentOutcome, align_vod, with_override, with_read_delay
from dougchat_assets.align.result import AlignmentResult, Anchor, Knot, SegmentInfo, UncertainSpan, WindowEstimate

__all__ = [
    "AlignmentInputs",
    "AlignmentOutcome",
    "AlignmentParams",
    "AlignmentResult",
    "AlignmentThresholds",
    "Anchor",
    "ChatMessages",
    "CheckOutcome",
    "EnergyFrames",
    "ErrorStats",
    "Flag",
    "Knot",
    "LagPrior",
    "Override",
    "SegmentInfo",
    "UncertainSpan",
    "VodMeta",
    "WindowEstimate",
    "WordTimings",
    "align_vod",
    "alignment_errors",
    "all_passed",
    "baseline_global_xcorr",
    "check_anchor_residual",
    "check_confidence",
    "check_cut_ambiguity",
    "check_drift",
    "check_offset_range",
    "estimate_alignment",
    "evaluate_checks",
    "flat_spans",
    "in_flat_span",
    "load_override",
    "map_chat_to_audio",
    "override_path",
    "plot_alignment",
    "with_override",
    "with_read_delay",
    "write_override",
]


def __getattr__(name: str) -> Any:
    if name == "plot_alignment":  # matplotlib costs ~0.5 s to import: only when plotting
        from dougchat_assets.align.plot import plot_alignment

        return plot_alignment
    raise AttributeError(name)
