"""Pins that give the estimator tests the kind of VOD the retired ``align/simulate.py`` drew.

Those tests check curve fitting (cuts, drift, export seconds, overrides), not robustness to
the lag prior, so they pin what the old generator fixed: a stream latency and reaction time
near the estimator's default lag model, a modest chat that reacts to a fifth of what is
said, a "starting soon" countdown and no read-alouds.  Everything else (speech, chat mix,
bots, ASR noise, export format unless pinned) is still drawn per seed.  The numbers are
written out here, not read from ``dougchat_assets.align.lag``: a prior change must not move
the data.  Robustness to a wrong prior is measured in ``bench/alignment.py`` on unpinned
draws.
"""

from __future__ import annotations

PRIOR_MATCHED: dict[str, object] = {
    "latency_median_s": 2.5,
    "latency_sigma": 0.2,
    "latency_jitter_s": 0.1,
    "reaction_shape": "lognormal",
    "reaction_median_s": 1.8,
    "reaction_spread": 0.6,
    "chat_rate_msgs_per_s": 3.0,
    "reaction_share": 0.2,
    "echo_share": 0.6,
    "countdown": True,
    "read_alouds": 0,
}
