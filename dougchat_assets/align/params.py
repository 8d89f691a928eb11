"""Tunables of the alignment estimator, in one frozen dataclass recorded with every result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dougchat_assets.align.lag import LagPrior
from dougchat_assets.settings import WarehouseLayout, load_settings_section


@dataclass(frozen=True)
class AlignmentParams:
    """Every knob of :func:`~dougchat_assets.align.estimate.estimate_alignment`.

    Offsets below are ``theta`` = chat seconds (since the reference) minus audio seconds.
    """

    lag: LagPrior = field(default_factory=LagPrior)
    # search range for theta when the metadata start is known (late start 0-10 min, metadata
    # minutes off, cuts): theta in [-search_before_s, first_guess + search_after_s]
    search_before_s: float = 900.0
    search_after_s: float = 1500.0
    offset_bin_s: float = 0.5  # resolution of the offset grid of the coarse search
    block_s: float = 10.0  # audio block of the cut search
    split_best_tolerance: float = 0.5  # cut positions scoring within this of the best are equally good...
    split_tie_tolerance: float = 1.5  # ...and within this, still possible (reported as the cut's uncertainty)
    max_cuts: int = 3  # model selection considers 0..max_cuts cuts
    min_cut_s: float = 8.0  # smaller offset jumps are not cuts
    max_total_cut_s: float = 300.0  # cuts move theta at most this far from the main peak
    # chat mapped farther than this before the first or after the last echo is unverified: a cut
    # there leaves no trace in the echoes (e.g. music after an ad break), so it is left out
    echo_reach_s: float = 30.0
    cut_penalty: float = 4.0  # per cut, times the spread of a block's scores times sqrt(blocks)
    penalty_blocks: int = 30  # ... with blocks capped at this many
    max_drift_s_per_h: float = 20.0  # slope search range
    drift_prior_sd_s_per_h: float = 5.0  # Gaussian prior on drift: short VODs cannot measure it
    prune_min_matches: float = 4.0  # a segment with fewer echo matches is merged away
    ratio_exclusion_s: float = 10.0  # "elsewhere" for the peak ratio: this far beyond the peak's extent
    peak_floor: float = 0.3  # the peak's extent: contiguous offsets above this share of its height
    echo_contrast: float = 30.0  # signal/background density ratio at the lag mode (score kernel)
    token_window_s: float = 5.0  # rarity: a token seen more than once per this many seconds is common
    min_token_weight: float = 0.15  # rarer-than-this tokens only
    max_pairs_per_token: int = 400_000  # tokens that would pair more than this are too common to help
    pair_budget: int = 4_000_000  # echo pairs kept in total (rarest tokens first)
    burst_gap_s: float = 20.0  # same-token messages closer than this form one burst
    null_samples: int = 8  # reversed-transcript samples per segment for its z
    window_s: float = 240.0  # window estimates (plot, agreement)
    window_step_s: float = 60.0
    window_min_z: float = 5.0  # a window estimate counts when its z reaches this
    agree_tol_s: float = 2.5  # a window/anchor agrees with the curve within this
    # segment confidence ramps: set by ``bench/alignment.py --calibrate`` on seeds 0-199 (fewest
    # good VODs blocked, a grossly wrong curve passing costing three; no mismatched pair may
    # pass); reported on seeds 10000-10199.  The peak ratio guards structured coincidences
    # (demo VODs of one routine paired with each other's chat reach ~1.2); the z does the rest
    # (mismatched pairs of the bench stay below ~9 in their best segment)
    z_conf_lo: float = 2.0  # segment pair-score z (vs the null) below this -> confidence 0
    z_conf_hi: float = 12.0  # ... above this -> 1
    ratio_conf_lo: float = 1.0  # segment peak ratio at or below this -> confidence 0
    ratio_conf_hi: float = 1.5  # ... above this -> 1 (with z >= 7 and enough matches: confidence >= 0.5)
    min_segment_matches: float = 8.0  # full confidence needs this many echo matches beyond chance
    # the share of sliding windows in a segment that agree with its line enters as its square root:
    # 240 s windows of sparse chat often miss the peak, and one stray window of two halved a right
    # curve's confidence (seeds 0-199: good VODs blocked 102 -> 97, seeds 10000-10199: 91 -> 86,
    # grossly wrong curves passing and mismatched pairs passing unchanged)
    window_agreement_power: float = 0.5
    # read-alouds (see readaloud.py): a message's tokens spoken soon after it was sent
    read_min_tokens: int = 2  # distinct content tokens a read must match
    read_min_share: float = 0.6  # ... and this share of the message's tokens
    read_window_s: tuple[float, float] = (-2.0, 30.0)  # audio seconds around the prior-split send time
    read_span_per_token_s: float = 0.8  # matched words lie within this per token (+2 s)
    # when more of the peak's evidence than that comes from sentence copies, the peak may be
    # the streamer reading chat: the viewers' own echoes are then looked for this much later
    # (lag + read delay; theta seconds after the copies' peak) and win if surer
    copy_lead_s: tuple[float, float] = (2.5, 40.0)
    max_copy_share: float = 0.3  # more of the echo evidence from sentence copies lowers confidence (set on seeds 0-199)
    read_delay_s: float = 3.0  # prior median of the streamer's delay from a message to reading it
    min_read_alouds: int = 5  # fewer reads in the cluster: the lag split stays the prior's
    read_cluster_s: float = 2.5  # reads whose implied bias is this close to the cluster's median agree
    # anchors: systematic spread of each kind's reaction timing against the echoes' (s)
    anchor_kind_sd_s: tuple[tuple[str, float], ...] = (("countdown", 1.5), ("call", 1.0))
    anchor_lag_sd_s: float = 3.0  # how far quick answers may lead the echoes, stream to stream (s)
    xcorr_max_confidence: float = 0.3  # fallback without lexical echo never passes on its own
    xcorr_bin_s: float = 1.0
    xcorr_smooth_s: float = 5.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AlignmentSettings(BaseModel):
    """``[alignment]`` of ``<warehouse>/dougchat.toml``: what a team knows about its streamer.

    ``read_delay_s`` is how long the streamer takes from a chat message appearing to reading
    it aloud.  The reads measure lag + read delay together (see :mod:`.readaloud`), so this
    number decides the split on every VOD whose reads measure it.  Measure it instead of
    guessing: save a reviewer's override on a VOD where the streamer reads chat, and
    ``offset_curve`` records ``read_delay_under_override_s`` for it; put the median of a few
    such VODs here.
    """

    model_config = ConfigDict(extra="forbid")

    read_delay_s: float = Field(AlignmentParams.read_delay_s, ge=0.0, le=30.0)

    def params(self) -> AlignmentParams:
        return replace(AlignmentParams(), read_delay_s=self.read_delay_s)


def alignment_settings(layout: WarehouseLayout) -> AlignmentSettings:
    """``[alignment]`` of the settings file: what ``offset_curve`` runs with and is versioned by."""
    return load_settings_section(layout, "alignment", AlignmentSettings)  # type: ignore[return-value]
