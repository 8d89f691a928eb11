"""Stream-level splits: whole VODs go to train, validation or test (pure logic).

Pairs of one stream are not independent (the same jokes, the same chatters, the same
minutes of speech); a model evaluated on other minutes of a stream it trained on looks far
better than it is.  So a VOD is never split: it lands wholly in one split, chosen from a
configured list or by a salted hash of its id (stable when VODs are added: a VOD's split
depends on its own id, not on how many others there are, once there are enough).

A split version is a hash of everything that made it (each VOD's pair ids and contents,
the assignment, the parameters).  The same inputs give the same version; anything else
gives a new one, written beside the old, never over it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dougchat_assets.dataset.config import BalanceParams, SplitParams
from dougchat_assets.dataset.params import stable_hash
from dougchat_assets.errors import InputError

TRAIN, VALIDATION, TEST, EXCLUDED = "train", "validation", "test", "excluded"
SPLITS = (TRAIN, VALIDATION, TEST)


@dataclass(frozen=True)
class VodPairs:
    """What train_split knows of one VOD's clean_pairs partition."""

    vod_id: str
    pairs: int  # original pairs (jitter copies not counted)
    weight_sum: float  # of the original pairs
    content_digest: str  # digest of its pair ids and contents
    excluded_reason: str | None = None  # set when the VOD gave no pairs (failed upstream checks...)


def _hash_unit(salt: str, vod_id: str) -> float:
    digest = hashlib.sha256(f"{salt}\0{vod_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign_splits(vods: Sequence[VodPairs], params: SplitParams) -> dict[str, str]:
    """vod_id -> split.  Configured VODs first; the rest by hash, with at least one VOD each in
    validation and test as soon as there are three usable VODs (else everything trains)."""
    usable = [v.vod_id for v in vods if v.excluded_reason is None and v.pairs > 0]
    out = {v.vod_id: EXCLUDED for v in vods if v.vod_id not in usable}
    for name, wanted in (("validation_vods", params.validation_vods), ("test_vods", params.test_vods)):
        missing = [vod for vod in wanted if vod not in usable]
        if missing:
            raise InputError("dataset.split", f"configured VOD(s) {', '.join(missing)} have no usable pairs", field=name)
    both = set(params.validation_vods) & set(params.test_vods)
    if both:
        raise InputError("dataset.split", f"VOD(s) {', '.join(sorted(both))} are listed for validation and test", field="test_vods")
    for vod in params.validation_vods:
        out[vod] = VALIDATION
    for vod in params.test_vods:
        out[vod] = TEST
    rest = sorted((v for v in usable if v not in out), key=lambda v: (_hash_unit(params.salt, v), v))
    configured = bool(params.validation_vods or params.test_vods)
    n = len(usable)
    n_test = 0 if params.test_vods else int(round(params.test_share * n))
    n_val = 0 if params.validation_vods else int(round(params.validation_share * n))
    if not configured and n >= 3:
        n_test, n_val = max(n_test, 1), max(n_val, 1)
    n_test = min(n_test, max(len(rest) - 1, 0))
    n_val = min(n_val, max(len(rest) - n_test - 1, 0))
    for i, vod in enumerate(rest):
        out[vod] = TEST if i < n_test else VALIDATION if i < n_test + n_val else TRAIN
    return out


def balance_factors(vods: Sequence[VodPairs], assignment: Mapping[str, str], params: BalanceParams) -> dict[str, float]:
    """Per train VOD, the factor its pair weights are scaled by so none exceeds
    ``max_vod_weight_ratio`` times the median train VOD's total weight (others: 1)."""
    train = {v.vod_id: v.weight_sum for v in vods if assignment.get(v.vod_id) == TRAIN and v.weight_sum > 0}
    factors = {v.vod_id: 1.0 for v in vods}
    if not train:
        return factors
    limit = params.max_vod_weight_ratio * float(np.median(list(train.values())))
    for vod_id, total in train.items():
        factors[vod_id] = min(1.0, limit / total)
    return factors


def split_version(vods: Sequence[VodPairs], assignment: Mapping[str, str], params_hash: str) -> str:
    """The version id: a hash of every VOD's pair digest, its split and the parameters."""
    return "v" + stable_hash(
        {"vods": sorted((v.vod_id, assignment[v.vod_id], v.content_digest) for v in vods), "params": params_hash},
        length=12,
    )
