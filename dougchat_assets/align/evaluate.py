"""Benchmarks and tests: score an estimated curve against true knots, over the messages that matter.

Messages sent during a true cut have no audio at all (the map is flat there by contract),
so they are reported separately and, by default, left out of the headline numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dougchat_assets.align.curve import in_flat_span, map_chat_to_audio


@dataclass(frozen=True)
class ErrorStats:
    """Absolute audio-time errors (seconds) of an estimated curve over chat messages."""

    n: int
    median_s: float
    p95_s: float
    max_s: float
    mean_s: float
    n_in_cut: int  # messages sent inside a true cut
    in_cut_median_s: float  # their errors against the flat true map (nan when none)
    in_cut_max_s: float


def _stats(err: np.ndarray) -> tuple[float, float, float, float]:
    if err.size == 0:
        return (float("nan"),) * 4
    return float(np.median(err)), float(np.quantile(err, 0.95)), float(err.max()), float(err.mean())


def alignment_errors(
    est_knots: Sequence[Any],
    true_knots: Sequence[Any],
    chat_utc_ms: np.ndarray | Sequence[int],
    exclude_in_cut: bool = True,
) -> ErrorStats:
    """|est(t) - true(t)| over the given message times (both curves by the knot contract)."""
    t = np.asarray(chat_utc_ms, dtype=np.int64)
    err = np.abs(map_chat_to_audio(est_knots, t) - map_chat_to_audio(true_knots, t))
    in_cut = in_flat_span(true_knots, t)
    main = err[~in_cut] if exclude_in_cut else err
    med, p95, mx, mean = _stats(main)
    cut_err = err[in_cut]
    return ErrorStats(
        n=int(main.size),
        median_s=med,
        p95_s=p95,
        max_s=mx,
        mean_s=mean,
        n_in_cut=int(in_cut.sum()),
        in_cut_median_s=float(np.median(cut_err)) if cut_err.size else float("nan"),
        in_cut_max_s=float(cut_err.max()) if cut_err.size else float("nan"),
    )
