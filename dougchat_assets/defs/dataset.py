"""clean_pairs (per VOD) and train_split (across VODs): the training data, with its checks."""

import dagster as dg

from dougchat_assets.defs.runs import record_run_process
from dougchat_assets.defs.alignment import offset_curve
from dougchat_assets.defs.checks import check_results, vod_check
from dougchat_assets.defs.ingest import raw_chat
from dougchat_assets.defs.partitions import vods
from dougchat_assets.defs.resources import DatasetResource, WarehouseDuckDB, WarehouseResource
from dougchat_assets.defs.transcription import transcripts

CLEAN_PAIRS_CHECKS = {
    "upstream_trusted": "Transcripts and offset curve passed their blocking checks (else the VOD gives no pairs: WARN).",
    "no_usernames": "No chatter's login appears in a pair's reply or context.",
}
SPLIT_CHECKS = {
    "vods_in_one_split": "Every VOD's pairs sit in exactly one split's files; held-out VODs never reach training.",
    "held_out_present": "At least one validation and one test VOD (WARN).",
    "manifest_complete": "Checksums, offsets, ASR model and filter parameters recorded; files match their checksums.",
    "emote_only_share": "Weighted share of emote-only replies in train under the threshold.",
    "top_token_share": "The most frequent reply token's share of all reply tokens under the threshold.",
    "vod_balance": "No train VOD's total weight exceeds the bound times the median VOD's.",
}


def _funnel_markdown(funnel) -> str:
    lines = ["| step | in | dropped | down-weighted | collapsed | out |", "|---|---:|---:|---:|---:|---:|"]
    for row in funnel.to_pylist():
        lines.append(f"| {row['step']} | {row['messages_in']} | {row['dropped']} | {row['downweighted']} | "
                     f"{row['collapsed']} | {row['messages_out']} |")
    return "\n".join(lines)


@dg.asset(
    partitions_def=vods,
    deps=[raw_chat, transcripts, offset_curve],
    group_name="dataset",
    kinds={"duckdb"},
    check_specs=[
        vod_check(name, "clean_pairs", text) for name, text in CLEAN_PAIRS_CHECKS.items()
    ],
)
def clean_pairs(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB, dataset: DatasetResource
) -> dg.MaterializeResult:
    """(context -> chat reply) pairs of one VOD after the chat filters, rendered with prompt.py."""
    record_run_process(context)
    from dougchat_assets.dataset.clean import clean_vod
    from dougchat_assets.dataset.toxicity import ToxicityScorer
    from dougchat_assets.dataset.warehouse import read_clean_pairs_inputs, write_clean_pairs
    from dougchat_assets.privacy import hash_key_from_env

    vod_id = context.partition_key
    layout = warehouse.layout
    config = dataset.config(layout)
    key = hash_key_from_env()
    with warehouse_db.get_connection() as con:
        inputs = read_clean_pairs_inputs(con, vod_id)
    result = clean_vod(vod_id, inputs, config, key, ToxicityScorer())
    with warehouse_db.get_connection() as con:
        write_clean_pairs(con, vod_id, result.pairs, result.kept, result.log, result.funnel, result.details, result.checks)
    sample = result.pairs.column("pair_id").to_pylist()[:5] if result.pairs.num_rows else []
    metadata = {
        "dagster/row_count": result.pairs.num_rows,
        "pairs": result.n_pairs,
        "messages_in": inputs.chat.num_rows,
        "filter_preset": config.filters.preset,
        "filter_params_hash": config.filters.params_hash(),
        "window_params_hash": config.window.params_hash(),
        "funnel": dg.MetadataValue.md(_funnel_markdown(result.funnel)),
        "sample_pair_ids": dg.MetadataValue.json(sample),
        "trace": dg.MetadataValue.text(f"dougchat trace {sample[0]}" if sample else "no pairs"),
        "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in result.seconds.items()}),
    }
    if result.details.get("excluded"):
        metadata["excluded_because"] = result.details["reason"]
    return dg.MaterializeResult(metadata=metadata, check_results=check_results(result.checks, vod_id))


@dg.asset(
    deps=[clean_pairs],
    group_name="dataset",
    kinds={"duckdb", "parquet"},
    check_specs=[
        dg.AssetCheckSpec(name, asset="train_split", blocking=name != "held_out_present", description=text)
        for name, text in SPLIT_CHECKS.items()
    ],
)
def train_split(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, warehouse_db: WarehouseDuckDB, dataset: DatasetResource
) -> dg.MaterializeResult:
    """Whole VODs to train / validation / test; a new immutable version folder per distinct input."""
    record_run_process(context)
    from dougchat_assets.dataset.split_checks import split_checks
    from dougchat_assets.dataset.train_split import build_train_split

    layout = warehouse.layout
    config = dataset.config(layout)
    with warehouse_db.get_connection() as con:
        outcome = build_train_split(con, layout.datasets_dir, config)
    records = split_checks(outcome.exported.folder, config.checks, config.balance)
    context.log.info(f"split {outcome.version}: {outcome.counts()} ({'reused' if outcome.exported.reused else 'written'})")
    return dg.MaterializeResult(
        metadata={
            "split_version": outcome.version,
            "folder": dg.MetadataValue.path(str(outcome.exported.folder)),
            "manifest_sha256": outcome.exported.manifest_sha256,
            "reused_existing_version": outcome.exported.reused,
            "counts": dg.MetadataValue.json(outcome.counts()),
            "assignment": dg.MetadataValue.json(outcome.assignment),
            "balance_factors": dg.MetadataValue.json({k: round(v, 4) for k, v in outcome.factors.items()}),
        },
        check_results=check_results(records),
    )
