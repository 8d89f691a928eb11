"""train_split's body: read every VOD's pairs, assign splits, version, export, record.

Between the pure pieces (``split.py``, ``export.py``) and the warehouse SQL
(``warehouse.py``); the Dagster asset only opens the connection and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from dougchat_assets.dataset.config import DatasetConfig
from dougchat_assets.dataset.export import ExportedSplit, export_split
from dougchat_assets.dataset.params import stable_hash
from dougchat_assets.dataset.split import SPLITS, VodPairs, assign_splits, balance_factors, split_version
from dougchat_assets.dataset.warehouse import read_vod_pairs, split_exists, vod_provenance, write_split
from dougchat_assets.errors import InputError
from dougchat_assets.prompt import PROMPT_VERSION, SYSTEM_PROMPT
from dougchat_assets.store import ensure_schema

USAGE = (
    "Chat messages are user content from Twitch: every user is replaced by a keyed HMAC (key held outside the "
    "dataset, DOUGCHAT_HASH_KEY) and @mentions/handles are scrubbed. Transcripts are machine transcriptions of the "
    "streamer's VODs. Use under each VOD's licence (vods.<id>.licence) and the platform's terms; do not publish the "
    "hash key; keep held-out VODs out of any training."
)


@dataclass(frozen=True)
class SplitOutcome:
    version: str
    exported: ExportedSplit
    assignment: dict[str, str]
    factors: dict[str, float]
    vods: list[VodPairs]

    def counts(self) -> dict[str, dict[str, int]]:
        return split_counts(self.vods, self.assignment)


def split_counts(vods: list[VodPairs], assignment: dict[str, str]) -> dict[str, dict[str, int]]:
    """VODs and original pairs per split (and excluded)."""
    out: dict[str, dict[str, int]] = {s: {"vods": 0, "pairs": 0} for s in (*SPLITS, "excluded")}
    for vod in vods:
        entry = out[assignment[vod.vod_id]]
        entry["vods"] += 1
        entry["pairs"] += vod.pairs
    return out


def vods_with_pairs(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT vod_id FROM vod_manifest WHERE asset = 'clean_pairs' AND role = 'dataset_params' ORDER BY 1"
        ).fetchall()
    ]


def build_train_split(con: duckdb.DuckDBPyConnection, datasets_dir: Path, config: DatasetConfig,
                      vod_ids: list[str] | None = None) -> SplitOutcome:
    ensure_schema(con)  # a fresh warehouse: "no VOD has pairs" rather than a missing-table error
    ids = vod_ids if vod_ids is not None else vods_with_pairs(con)
    if not ids:
        raise InputError("clean_pairs", "no VOD has clean_pairs yet: materialize clean_pairs for at least one VOD")
    vods = read_vod_pairs(con, ids)
    assignment = assign_splits(vods, config.split)
    factors = balance_factors(vods, assignment, config.balance)
    params = {
        "pairs": config.pair_params_hash(),
        "split": config.split.model_dump(mode="json"),
        "balance": config.balance.model_dump(mode="json"),
        "prompt_version": PROMPT_VERSION,
    }
    params_hash = stable_hash(params)
    version = split_version(vods, assignment, params_hash)
    manifest = {
        "split_version": version,
        "prompt_version": PROMPT_VERSION,
        "system_prompt": SYSTEM_PROMPT,
        "params": {
            "filters": config.filters.model_dump(mode="json"),
            "filter_params_hash": config.filters.params_hash(),
            "window": config.window.model_dump(mode="json"),
            "window_params_hash": config.window.params_hash(),
            **params,
            "params_hash": params_hash,
        },
        "vods": {
            vod.vod_id: {
                "split": assignment[vod.vod_id],
                "pairs": vod.pairs,
                "weight_sum": vod.weight_sum,
                "balance_factor": factors[vod.vod_id],
                "pairs_digest": vod.content_digest,
                "excluded_reason": vod.excluded_reason,
                **vod_provenance(con, vod.vod_id),
            }
            for vod in vods
        },
        "usage": USAGE,
    }
    manifest["counts"] = split_counts(vods, assignment)
    exported = export_split(con, datasets_dir, version, assignment, factors, manifest)
    if not split_exists(con, version):
        rows = pa.Table.from_pylist(
            [
                {"split_version": version, "vod_id": v.vod_id, "split": assignment[v.vod_id], "pairs": v.pairs,
                 "weight_sum": v.weight_sum, "balance_factor": factors[v.vod_id], "reason": v.excluded_reason}
                for v in vods
            ]
        )
        write_split(con, version, rows, {
            "split_version": version, "manifest_path": str(exported.manifest_path.relative_to(datasets_dir.parent)), "manifest_sha256": exported.manifest_sha256,
            "params_hash": params_hash, "n_vods": len(vods), "n_pairs": sum(v.pairs for v in vods),
        })
    return SplitOutcome(version, exported, assignment, factors, vods)
