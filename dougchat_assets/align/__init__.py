"""Chat <-> audio alignment: map chat UTC time to seconds of the downloaded audio.

Pure logic (numpy/pyarrow only, no DuckDB, no Dagster).  Entry points:

* :func:`estimate_alignment` — inputs -> :class:`AlignmentResult` (knots + evidence);
* :func:`map_chat_to_audio` — the knot contract every later stage uses;
* :func:`evaluate_checks` / :class:`AlignmentThresholds` — asset-check evaluators;
* :func:`load_override` / :func:`write_override` — reviewer overrides (TOML);
* :func:`alignment_errors` — score against true knots;
* :func:`plot_alignment` — PNG for metadata and review (imports matplotlib lazily);
* :mod:`.simulate` — data-level VOD simulator for tests and ``bench/alignment.py``.
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
from dougchat_assets.align.estimate import estimate_alignment, with_override
from dougchat_assets.align.evaluate import ErrorStats, alignment_errors
from dougchat_assets.align.inputs import AlignmentInputs, ChatMessages, EnergyFrames, VodMeta, WordTimings
from dougchat_assets.align.lag import LagPrior
from dougchat_assets.align.override import Flag, Override, load_override, override_path, write_override
from dougchat_assets.align.params import AlignmentParams
from dougchat_assets.align.result import AlignmentResult, Anchor, Knot, SegmentInfo, UncertainSpan, WindowEstimate

__all__ = [
    "AlignmentInputs",
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
    "write_override",
]


def __getattr__(name: str) -> Any:
    if name == "plot_alignment":  # matplotlib costs ~0.5 s to import: only when plotting
        from dougchat_assets.align.plot import plot_alignment

        return plot_alignment
    raise AttributeError(name)
