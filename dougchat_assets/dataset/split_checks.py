"""Checks on a written split version, computed from its files (what training will really read).

Reading the Parquet shards, not the in-memory assignment, is the point: a check that
re-reads the dict it was built from cannot fail.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dougchat_assets.dataset.config import BalanceParams, DatasetChecks
from dougchat_assets.dataset.export import load_manifest, manifest_problems
from dougchat_assets.dataset.split import SPLITS, TRAIN
from dougchat_assets.store.checks import WARN, CheckRecord


def _shards(folder: Path, split: str) -> str:
    return str(folder / "shards" / split / "*.parquet")


def split_checks(folder: Path, checks: DatasetChecks, balance: BalanceParams) -> list[CheckRecord]:
    manifest = load_manifest(folder)
    present = {s: sorted(v for v, info in manifest["vods"].items() if info["split"] == s) for s in SPLITS}
    con = duckdb.connect()
    seen: dict[str, set[str]] = {}
    for split in SPLITS:
        if present[split]:
            rows = con.execute(f"SELECT DISTINCT vod_id FROM read_parquet('{_shards(folder, split)}')").fetchall()
            seen[split] = {r[0] for r in rows}
        else:
            seen[split] = set()
    overlap = sorted((seen[TRAIN] & (seen["validation"] | seen["test"])) | (seen["validation"] & seen["test"]))
    records = [
        CheckRecord(
            "vods_in_one_split", not overlap, overlap, [],
            "every VOD's pairs sit in exactly one split's shards (held-out VODs never reach training)"
            if not overlap else f"VODs found in more than one split: {', '.join(overlap)}",
        ),
        CheckRecord(
            "held_out_present", bool(present["validation"]) and bool(present["test"]),
            {s: len(present[s]) for s in SPLITS}, ">= 1 validation and 1 test VOD",
            "early stopping needs validation VODs and the evaluation needs test VODs", severity=WARN,
        ),
    ]
    problems = manifest_problems(folder)
    records.append(CheckRecord("manifest_complete", not problems, problems[:10], [],
                               "checksums, offsets, ASR model and filter parameters recorded for every VOD"))
    if present[TRAIN]:
        emote, top_token, top_share, ratio = con.execute(
            f"""
            WITH p AS (SELECT * FROM read_parquet('{_shards(folder, TRAIN)}')),
                 tok AS (SELECT unnest(string_split(lower(reply), ' ')) AS t FROM p),
                 counts AS (SELECT t, count(*) AS n FROM tok WHERE t <> '' GROUP BY t),
                 per_vod AS (SELECT vod_id, sum(weight) AS w FROM p WHERE variant = 'orig' GROUP BY vod_id)
            SELECT (SELECT sum(weight) FILTER (WHERE is_emote_only) / sum(weight) FROM p),
                   (SELECT arg_max(t, n) FROM counts),
                   (SELECT max(n) / sum(n) FROM counts),
                   (SELECT max(w) / median(w) FROM per_vod)
            """
        ).fetchone()
        records += [
            CheckRecord("emote_only_share", (emote or 0.0) <= checks.max_emote_only_share, round(emote or 0.0, 4),
                        checks.max_emote_only_share, "weighted share of emote-only replies in train"),
            CheckRecord("top_token_share", (top_share or 0.0) <= checks.max_top_token_share, round(top_share or 0.0, 4),
                        checks.max_top_token_share, f"most frequent reply token {top_token!r}: its share of all reply tokens"),
            CheckRecord("vod_balance", (ratio or 1.0) <= balance.max_vod_weight_ratio + 1e-6, round(ratio or 1.0, 4),
                        balance.max_vod_weight_ratio, "largest train VOD's total weight over the median train VOD's"),
        ]
    con.close()
    return records
