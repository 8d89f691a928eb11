"""Typed configuration: where the warehouse lives and the knobs every stage reads.

All state lives under one warehouse folder (``DOUGCHAT_WAREHOUSE``, default ``./warehouse``)
so a team can back it up, move it, or point a second checkout at it.  Paths are derived
here and nowhere else, so no module invents its own layout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dougchat_assets.errors import InputError

WAREHOUSE_ENV = "DOUGCHAT_WAREHOUSE"
DEFAULT_WAREHOUSE = Path("warehouse")

# Letters, digits, "_" and "-": safe in a path, a URL and a Dagster UI backfill (a comma breaks it).
_VOD_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def validate_vod_id(vod_id: str, *, source: str | Path = "vod_id") -> str:
    """Return ``vod_id`` if it is safe to use as a folder name and partition key, else raise.

    Checked before the id ever touches a path, so ``../etc`` or ``a/b`` can never escape
    the warehouse.
    """
    if not isinstance(vod_id, str) or not _VOD_ID_RE.fullmatch(vod_id):
        raise InputError(
            source,
            f"unsafe VOD id {vod_id!r}: use 1-64 letters, digits, '_' or '-', starting with a letter or digit",
            field="vod_id",
        )
    return vod_id


class AudioSettings(BaseModel):
    """How ingested audio is normalised; changing these changes every checksum downstream."""

    model_config = ConfigDict(frozen=True)

    sample_rate: int = 16_000
    energy_frame_s: float = 0.1
    # A file whose loudest 100 ms frame stays below this is treated as silent (a broken export).
    silent_below_dbfs: float = -60.0


class WarehouseLayout(BaseModel):
    """Every path the platform writes, derived from one root."""

    model_config = ConfigDict(frozen=True)

    root: Path

    @classmethod
    def from_env(cls) -> WarehouseLayout:
        return cls(root=Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE).resolve())

    @property
    def duckdb_path(self) -> Path:
        return self.root / "dougchat.duckdb"

    @property
    def incoming_dir(self) -> Path:
        return self.root / "incoming"

    @property
    def audio_dir(self) -> Path:
        return self.root / "audio"

    @property
    def work_dir(self) -> Path:
        """Scratch space for resumable work (e.g. finished ASR chunks); safe to delete."""
        return self.root / "work"

    @property
    def audits_dir(self) -> Path:
        return self.root / "audits"

    @property
    def overrides_dir(self) -> Path:
        return self.root / "overrides"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def dagster_home(self) -> Path:
        return self.root / ".dagster"

    @property
    def datasets_dir(self) -> Path:
        """Split versions: one immutable folder each (Parquet shards, JSONL, manifest)."""
        return self.root / "datasets"

    @property
    def mlflow_dir(self) -> Path:
        return self.root / "mlflow"

    @property
    def settings_path(self) -> Path:
        """The team's configuration file (optional): presets, splits, model and eval knobs."""
        return self.root / "dougchat.toml"

    def incoming(self, vod_id: str) -> Path:
        return self.incoming_dir / validate_vod_id(vod_id)

    def audio_path(self, vod_id: str) -> Path:
        return self.audio_dir / f"{validate_vod_id(vod_id)}.flac"

    def ensure(self) -> None:
        for folder in (self.root, self.incoming_dir, self.audio_dir):
            folder.mkdir(parents=True, exist_ok=True)


def load_settings_section(layout: WarehouseLayout, section: str, model: type[BaseModel]) -> BaseModel:
    """``[section]`` of ``<warehouse>/dougchat.toml`` validated into ``model`` (defaults when absent).

    A wrong value names the file and the dotted field, e.g. ``dataset.window.transcript_s``.
    """
    import tomllib

    from pydantic import ValidationError

    path = layout.settings_path
    raw: dict = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise InputError(path, f"not valid TOML: {error}") from None
    try:
        return model.model_validate(raw.get(section, {}))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join([section, *(str(part) for part in first["loc"])])
        raise InputError(path, first["msg"], field=where) from None
