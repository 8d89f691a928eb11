"""lora_adapter's body: base model + split version -> a LoRA adapter, tracked in MLflow.

The run folder ``warehouse/models/<split version>-<config hash>/`` holds the adapter,
checkpoints (so a killed run resumes) and ``training.json`` (base model id, checksum and
the config it was loaded with, precision, split version and manifest checksum, MLflow run
id).  A folder whose adapter is finished is reused, not retrained: same split and config,
same adapter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dougchat_assets.fileio import atomic_write_text
from dougchat_assets.model.base import (
    BASE_CACHE, Precision, cached_base, choose_precision, load_base_model, load_tokenizer, resolve_base_model,
)
from dougchat_assets.model.config import ModelConfig
from dougchat_assets.model.data import TrainingStream, encode, sample_pairs
from dougchat_assets.model.generate import TRAINING_INFO
from dougchat_assets.model.tracking import flat_params, mlflow_run, run_url
from dougchat_assets.model.train import TrainEvent, TrainOutcome, train_lora
from dougchat_assets.prompt import PROMPT_VERSION


@dataclass(frozen=True)
class TrackingTarget:
    uri: str
    experiment: str
    artifact_dir: Path


@dataclass
class TrainingResult:
    run_dir: Path
    outcome: TrainOutcome
    info: dict
    mlflow_run_id: str
    mlflow_url: str
    model: Any  # the base model in memory (for the parity check's generation)
    tokenizer: Any
    precision: Precision
    wall_s: float


def train_adapter(
    split_folder: Path,
    split_version: str,
    manifest_sha256: str,
    models_dir: Path,
    config: ModelConfig,
    tracking: TrackingTarget,
    log: Callable[[str], None] = print,
) -> TrainingResult:
    import torch

    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    started = time.perf_counter()
    base = resolve_base_model(config.base_model_path, config.base_model_gguf)
    loadable = cached_base(base, models_dir / BASE_CACHE)
    precision = choose_precision(config.quantization, config.device)  # type: ignore[arg-type]
    run_key = config.run_key(split_version, base.sha256)
    run_dir = models_dir / run_key
    log(f"base model {base.model_id} sha256:{base.sha256[:12]} on {precision.device} "
        f"({precision.quantization}, {precision.compute_dtype}); run folder {run_dir}")
    tokenizer = load_tokenizer(loadable)
    model = load_base_model(loadable, precision)
    stream = TrainingStream(split_folder, tokenizer, seed=config.train.seed, buffer=config.shuffle_buffer,
                            max_pairs=config.max_train_pairs)
    val = [encode(tokenizer, p) for p in sample_pairs(split_folder, "validation", config.train.max_val_examples,
                                                       config.train.seed)]
    info = {
        "run_key": run_key,
        "split_version": split_version,
        "split_folder": str(split_folder),
        "manifest_sha256": manifest_sha256,
        "prompt_version": PROMPT_VERSION,
        "base_model": {**base.as_dict(), "path_config": config.base_model_path, "gguf_file_config": config.base_model_gguf},
        "precision": precision.as_dict(),
        "config": config.model_dump(mode="json"),
        "validation_examples": len(val),
    }
    previous = _previous_info(run_dir)
    if previous and previous.get("done"):
        log(f"adapter already trained for this split and config: reusing {run_dir / 'adapter'}")
    tags = {"split_version": split_version, "base_sha256": base.sha256, "run_key": run_key,
            "dougchat.prompt_version": PROMPT_VERSION}
    with mlflow_run(tracking.uri, tracking.experiment, tracking.artifact_dir, run_key, tags) as run:
        import mlflow

        mlflow.log_params(flat_params("", {"model": config.model_dump(mode="json"), "split_version": split_version,
                                           "manifest_sha256": manifest_sha256, "base_model_id": base.model_id,
                                           "base_sha256": base.sha256, "precision": precision.as_dict()}))
        last = {"t": time.perf_counter()}

        def on_event(event: TrainEvent) -> None:
            metrics = {}
            if event.train_loss is not None:
                metrics["train_loss"] = event.train_loss
            if event.val_loss is not None:
                metrics["val_loss"] = event.val_loss
            if event.tokens_per_s is not None:
                metrics["tokens_per_s"] = event.tokens_per_s
            if event.learning_rate is not None:
                metrics["learning_rate"] = event.learning_rate
            if metrics:
                mlflow.log_metrics(metrics, step=event.step)
            now = time.perf_counter()
            if event.kind != "step" or now - last["t"] > 10 or event.step <= 1:
                last["t"] = now
                parts = [f"step {event.step}" if event.kind == "step" else f"{event.kind} at step {event.step}"]
                parts += [f"{k} {v:.4g}" for k, v in metrics.items()]
                log(", ".join(parts) + (f" ({event.message})" if event.message else ""))

        outcome = train_lora(model, pad_id=int(tokenizer.pad_token_id), train_source=stream, val_examples=val,
                             config=config.train, out_dir=run_dir, on_event=on_event)
        mlflow.log_metrics({"best_val_loss": outcome.best_val_loss or float("nan"), "steps": outcome.steps,
                            "train_tokens": outcome.train_tokens, "skipped_too_long": outcome.skipped_too_long})
        info.update(
            done=True, mlflow_run_id=run.info.run_id, mlflow_experiment_id=run.info.experiment_id,
            mlflow_tracking_uri=tracking.uri, best_step=outcome.best_step, best_val_loss=outcome.best_val_loss,
            steps=outcome.steps, stopped_early=outcome.stopped_early, train_tokens=outcome.train_tokens,
            skipped_too_long=outcome.skipped_too_long, resumed_from=outcome.resumed_from,
            trained_in_run=(previous or {}).get("trained_in_run") if previous and previous.get("done") else run.info.run_id,
        )
        atomic_write_text(run_dir / TRAINING_INFO, json.dumps(info, indent=2, sort_keys=True, default=str) + "\n")
        mlflow.log_artifacts(str(outcome.adapter_dir), artifact_path="adapter")
        mlflow.log_artifact(str(run_dir / TRAINING_INFO))
        url = run_url(tracking.uri, run.info.experiment_id, run.info.run_id)
        run_id = run.info.run_id
    return TrainingResult(run_dir, outcome, info, run_id, url, model, tokenizer, precision, time.perf_counter() - started)


def _previous_info(run_dir: Path) -> dict | None:
    path = run_dir / TRAINING_INFO
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
