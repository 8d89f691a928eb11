"""lora_adapter and eval_report: the fine-tuned chat model and its evaluation on held-out VODs."""

from pathlib import Path

import dagster as dg

from dougchat_assets.defs.executor import GPU_QUEUE_TAG
from dougchat_assets.defs.runs import record_run_process
from dougchat_assets.defs.checks import check_results
from dougchat_assets.defs.plots import inline_png
from dougchat_assets.defs.dataset import train_split
from dougchat_assets.defs.resources import DatasetResource, MlflowResource, ModelResource, WarehouseDuckDB, WarehouseResource

EVAL_CHECKS = {
    "adapter_beats_base": "The adapter ranks the gold reply higher (MRR) than the base model does.",
    "adapter_uses_context": "The adapter's MRR drops when the transcript window is moved 60 s away.",
    "memorisation_rate": "Few generations repeat training replies.",
    "emote_only_rate": "Few generations are only emotes.",
}


def _latest_metadata(instance: dg.DagsterInstance, asset: str, key: str, hint: str) -> str:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    entry = event.asset_materialization.metadata.get(key) if event and event.asset_materialization else None
    if entry is None:
        raise dg.Failure(f"{asset} has not been materialized yet: {hint}")
    return str(entry.value)


@dg.asset(
    deps=[train_split],
    group_name="model",
    kinds={"pytorch", "mlflow"},
    op_tags=GPU_QUEUE_TAG,  # cluster profile: a GPU worker runs it (defs/executor.py)
    check_specs=[
        dg.AssetCheckSpec(
            "prompt_parity", asset="lora_adapter", blocking=True,
            description="Validation pairs rebuilt through the generation path give byte- and token-identical prompts.",
        )
    ],
)
def lora_adapter(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    warehouse_db: WarehouseDuckDB,
    dataset: DatasetResource,
    model: ModelResource,
    mlflow: MlflowResource,
) -> dg.MaterializeResult:
    """LoRA adapter on the base LLM, trained on the latest split's train VODs, early-stopped on its validation VODs."""
    record_run_process(context)
    from dougchat_assets.dataset.export import MANIFEST
    from dougchat_assets.dataset.warehouse import read_context_source
    from dougchat_assets.fileio import sha256_file
    from dougchat_assets.model.adapter import load_adapter
    from dougchat_assets.model.data import sample_pairs
    from dougchat_assets.model.loss_plot import plot_losses
    from dougchat_assets.model.parity import prompt_parity
    from dougchat_assets.model.training import train_adapter

    layout = warehouse.layout
    version = _latest_metadata(context.instance, "train_split", "split_version", "materialize train_split first")
    folder = layout.datasets_dir / version
    manifest_sha = sha256_file(folder / MANIFEST)
    config = model.model_settings(layout)
    training = train_adapter(folder, version, manifest_sha, layout.models_dir, config, mlflow.target(layout),
                             log=context.log.info)
    window = dataset.config(layout).window
    pairs = sample_pairs(folder, "validation", 16, seed=1)
    with warehouse_db.get_connection() as con:
        sources = {vod: read_context_source(con, vod, window) for vod in sorted({p["vod_id"] for p in pairs})}
    peft_model = load_adapter(training.model, training.outcome.adapter_dir)
    parity = prompt_parity(pairs, sources, training.tokenizer, peft_model)
    outcome = training.outcome
    history = [e for e in outcome.history if e.val_loss is not None]
    loss_png = plot_losses(outcome.history, training.run_dir / "losses.png", outcome.best_step)
    return dg.MaterializeResult(
        metadata={
            "run_dir": dg.MetadataValue.path(str(training.run_dir)),
            "adapter_dir": dg.MetadataValue.path(str(outcome.adapter_dir)),
            "split_version": version,
            "manifest_sha256": manifest_sha,
            "base_model": training.info["base_model"]["model_id"],
            "base_sha256": training.info["base_model"]["sha256"],
            "precision": dg.MetadataValue.json(training.precision.as_dict()),
            "steps": outcome.steps,
            "best_step": outcome.best_step,
            "best_val_loss": outcome.best_val_loss if outcome.best_val_loss is not None else "no validation",
            "stopped_early": outcome.stopped_early,
            "train_tokens": outcome.train_tokens,
            "skipped_too_long": outcome.skipped_too_long,
            "resumed_from_step": outcome.resumed_from if outcome.resumed_from is not None else "none",
            "val_loss_curve": dg.MetadataValue.json([[e.step, round(e.val_loss, 4)] for e in history]),
            "loss_plot": inline_png(loss_png, "train and validation loss"),
            "mlflow_run_id": training.mlflow_run_id,
            "mlflow_run": dg.MetadataValue.url(training.mlflow_url),
            "mlflow_ui": dg.MetadataValue.text(f"mlflow ui --backend-store-uri {training.info['mlflow_tracking_uri']}"),
            "wall_s": round(training.wall_s, 1),
        },
        check_results=check_results([parity]),
    )


@dg.asset(
    deps=["lora_adapter"],
    group_name="model",
    kinds={"duckdb", "html"},
    op_tags=GPU_QUEUE_TAG,  # it runs the model (perplexity, ranking, generation): a GPU worker too
    check_specs=[dg.AssetCheckSpec(name, asset="eval_report", description=text) for name, text in EVAL_CHECKS.items()],
)
def eval_report(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    warehouse_db: WarehouseDuckDB,
    dataset: DatasetResource,
    model: ModelResource,
) -> dg.MaterializeResult:
    """Base vs adapter on the test VODs (never trained on): metrics in DuckDB eval_metrics and an HTML report."""
    record_run_process(context)
    from dougchat_assets.dataset.export import load_manifest
    from dougchat_assets.dataset.toxicity import ToxicityScorer
    from dougchat_assets.dataset.warehouse import read_context_source
    from dougchat_assets.model.data import iter_pairs, shard_paths
    from dougchat_assets.model.eval_report import build_report
    from dougchat_assets.model.evaluate import eval_checks, evaluate
    from dougchat_assets.model.generate import load_for_inference
    from dougchat_assets.model.warehouse import transcript_segments, vod_title_and_audio, write_eval_metrics

    layout = warehouse.layout
    run_dir = Path(_latest_metadata(context.instance, "lora_adapter", "run_dir", "materialize lora_adapter first"))
    loaded = load_for_inference(run_dir, model.model_settings(layout).base_model_path)
    version = loaded.info["split_version"]
    folder = layout.datasets_dir / version
    manifest = load_manifest(folder)
    test_vods = sorted(v for v, info in manifest["vods"].items() if info["split"] == "test")
    if not test_vods:
        raise dg.Failure(f"split {version} has no test VOD: add VODs or list test_vods in [dataset.split]")
    eval_config = model.eval_settings(layout)
    window = dataset.config(layout).window
    test_pairs = {vod: list(iter_pairs([folder / "shards" / "test" / f"{vod}.parquet"], originals_only=True)) for vod in test_vods}
    train_replies = [p["reply"] for p in iter_pairs(shard_paths(folder, "train"), originals_only=True)]
    with warehouse_db.get_connection() as con:
        sources = {vod: read_context_source(con, vod, window) for vod in test_vods}
        report_vods = {}
        for vod in test_vods:
            title, audio = vod_title_and_audio(con, vod)
            report_vods[vod] = {
                "title": title, "audio": str(layout.root / audio) if audio else None,
                "duration_s": sources[vod].vod.audio_duration_s, "segments": transcript_segments(con, vod),
                "gold": [(p["viewer_audio_s"], p["reply"], p["pair_id"]) for p in test_pairs[vod]],
            }
    scorer = ToxicityScorer()
    result = evaluate(loaded.model, loaded.tokenizer, sources, test_pairs, train_replies, eval_config,
                      scorer.score, log=context.log.info)
    records = eval_checks(result.metrics, eval_config)
    run_id = loaded.info["mlflow_run_id"]
    with warehouse_db.get_connection() as con:
        rows = write_eval_metrics(con, version, run_id, result.metrics)
    out_dir = layout.reports_dir / "eval" / loaded.info["run_key"]
    provenance = {
        "split version": version,
        "manifest sha256": loaded.info["manifest_sha256"],
        "base model": f"{loaded.base.model_id} (sha256 {loaded.base.sha256[:16]}..)",
        "precision": f"{loaded.precision.device} / {loaded.precision.quantization} / {loaded.precision.compute_dtype}",
        "adapter": str(run_dir / "adapter"),
        "MLflow run": run_id,
        "test VODs": ", ".join(test_vods),
    }
    page = build_report(out_dir, result, [
        {"name": r.name, "passed": r.passed, "value": r.value, "threshold": r.threshold, "description": r.description}
        for r in records
    ], provenance, version, report_vods, eval_config.report_clips_per_vod, eval_config.report_clip_s)
    overall = {f"{r['model']}.{r['metric']}": round(r["value"], 4) for r in result.metrics if r["vod_id"] == "all"}
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "report": dg.MetadataValue.url(page.resolve().as_uri()),
            "report_path": dg.MetadataValue.path(str(page)),
            "split_version": version,
            "test_vods": dg.MetadataValue.json(test_vods),
            "mlflow_run_id": run_id,
            "overall": dg.MetadataValue.json(overall),
        },
        check_results=check_results(records),
    )
