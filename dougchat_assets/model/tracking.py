"""MLflow for every training run: a sqlite store and artifact folder under the warehouse.

Offline: the store is a local file.  The experiment is created with an explicit
``artifact_location`` (MLflow's default writes ``./mlruns`` wherever the process runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def default_tracking_uri(mlflow_dir: Path) -> str:
    return f"sqlite:///{(mlflow_dir / 'mlflow.db').resolve()}"


@contextmanager
def mlflow_run(tracking_uri: str, experiment: str, artifact_dir: Path, run_name: str, tags: dict[str, str]) -> Iterator[Any]:
    """An active MLflow run (ended FAILED if the block raises, FINISHED otherwise)."""
    import mlflow

    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        experiment_id = mlflow.create_experiment(experiment, artifact_location=artifact_dir.resolve().as_uri())
    else:
        experiment_id = found.experiment_id
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
        yield run


def flat_params(prefix: str, values: dict[str, Any]) -> dict[str, str]:
    """Nested dict -> MLflow params ("train.lora_r": "8"); values cut to MLflow's 6000 chars."""
    out: dict[str, str] = {}
    for key, value in values.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(flat_params(name, value))
        else:
            out[name] = str(value)[:6000]
    return out


def run_url(tracking_uri: str, experiment_id: str, run_id: str, ui: str = "http://127.0.0.1:5000") -> str:
    """Where `mlflow ui --backend-store-uri <tracking_uri>` shows the run."""
    return f"{ui}/#/experiments/{experiment_id}/runs/{run_id}"
