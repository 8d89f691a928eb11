"""vod_audio: decode a VOD's audio/video to 16 kHz mono FLAC and record it with its envelope.

The media check of ``dougchat add`` runs here too (a folder may be dropped into incoming/
by hand): on the headers before the decode, and on the exact decoded length before the
FLAC replaces the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass

from collections.abc import Callable
from contextlib import AbstractContextManager

import duckdb
import numpy as np
import pyarrow as pa

from dougchat_assets.audio import decode_to_flac
from dougchat_assets.chat import read_export_metadata
from dougchat_assets.errors import InputError
from dougchat_assets.fileio import sha256_file
from dougchat_assets.ingest.manifest import file_entry, manifest_table
from dougchat_assets.ingest.media_check import (
    AudioLengthTolerance,
    check_audio_length,
    check_vod_media,
    load_tolerance,
    vod_duration,
)
from dougchat_assets.ingest.vod_folder import inspect_vod_folder
from dougchat_assets.settings import AudioSettings, WarehouseLayout
from dougchat_assets.store import TableWrite, replace_rows

ASSET = "vod_audio"


@dataclass(frozen=True)
class AudioIngestSummary:
    vod_id: str
    path: str
    duration_s: float
    sha256: str
    size_bytes: int
    source_file: str
    source_sha256: str
    source_codec: str
    peak_dbfs: float
    energy_frames: int


def ingest_audio(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    layout: WarehouseLayout,
    vod_id: str,
    settings: AudioSettings | None = None,
    tolerance: AudioLengthTolerance | None = None,
) -> AudioIngestSummary:
    """Decode (streaming) and replace ``vod_id``'s rows in ``vod_audio``, ``audio_energy`` and the manifest.

    The decode of a long VOD takes minutes, so the DuckDB connection is opened (``connect``)
    only for the final write, not held while decoding.  ``tolerance`` defaults to
    ``[ingest]`` of the warehouse's ``dougchat.toml``.
    """
    settings = settings or AudioSettings()
    tolerance = tolerance or load_tolerance(layout)
    vod = inspect_vod_folder(layout.incoming(vod_id))
    try:
        export = read_export_metadata(vod.chat_path)
    except InputError:
        export = None  # a broken chat export is raw_chat's failure to report; the audio stands alone
    check_vod_media(vod, export, tolerance)
    vod_s, vod_source = vod_duration(vod, export)
    decoded = decode_to_flac(
        vod.audio_path,
        layout.audio_path(vod_id),
        sample_rate=settings.sample_rate,
        frame_s=settings.energy_frame_s,
        silent_below_dbfs=settings.silent_below_dbfs,
        check_duration=lambda audio_s: check_audio_length(
            vod.audio_path, audio_s, vod_s, vod_source, tolerance, measured="decoded"
        ),
    )
    source_sha = sha256_file(vod.audio_path)
    output_entry = file_entry(vod_id, ASSET, "audio_output", decoded.path, layout.root, sha256=decoded.sha256,
                              details={"sample_rate": decoded.sample_rate, "channels": 1, "codec": "flac"})
    source_entry = file_entry(vod_id, ASSET, "audio_source", vod.audio_path, layout.root, sha256=source_sha,
                              details={"container": decoded.source_container, "codec": decoded.source_codec})
    audio_row = pa.Table.from_pylist(
        [
            {
                "vod_id": vod_id,
                "path": output_entry["path"],
                "duration_s": decoded.duration_s,
                "sample_rate": decoded.sample_rate,
                "n_samples": decoded.n_samples,
                "sha256": decoded.sha256,
                "size_bytes": decoded.size_bytes,
                "peak_dbfs": decoded.peak_dbfs,
                "source_file": vod.audio_path.name,
                "source_sha256": source_sha,
                "source_size_bytes": source_entry["size_bytes"],
                "source_container": decoded.source_container,
                "source_codec": decoded.source_codec,
                "source_duration_s": decoded.source_duration_s,
            }
        ]
    )
    frames = np.arange(decoded.energy_db.size, dtype=np.int32)
    energy = pa.table(
        {
            "vod_id": pa.array([vod_id] * frames.size, pa.string()),
            "frame_index": frames,
            "start_s": frames.astype(np.float64) * decoded.frame_s,
            "rms_db": decoded.energy_db,
        }
    )
    with connect() as con:
        replace_rows(
            con,
            [
                TableWrite("vod_audio", audio_row, {"vod_id": vod_id}),
                TableWrite("audio_energy", energy, {"vod_id": vod_id}),
                TableWrite("vod_manifest", manifest_table([source_entry, output_entry]), {"vod_id": vod_id, "asset": ASSET}),
            ],
        )
    return AudioIngestSummary(
        vod_id=vod_id,
        path=output_entry["path"],
        duration_s=decoded.duration_s,
        sha256=decoded.sha256,
        size_bytes=decoded.size_bytes,
        source_file=vod.audio_path.name,
        source_sha256=source_sha,
        source_codec=decoded.source_codec,
        peak_dbfs=decoded.peak_dbfs,
        energy_frames=int(frames.size),
    )
