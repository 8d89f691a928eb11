"""raw_chat: parse a VOD's chat export into the warehouse, streaming, in one transaction."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from dougchat_assets.chat import ChatContext, iter_chat_batches, read_export_metadata
from dougchat_assets.ingest.manifest import file_entry, manifest_table, record_entry
from dougchat_assets.ingest.vod_folder import VodMetadata, inspect_vod_folder, resolve_metadata
from dougchat_assets.settings import WarehouseLayout
from dougchat_assets.store import TableWrite, replace_rows

ASSET = "raw_chat"


@dataclass
class ChatIngestSummary:
    """What one ingest wrote; becomes the asset's metadata."""

    vod_id: str
    chat_file: str
    chat_format: str
    parser: str
    rows: int = 0
    first_sent_at_utc_ms: int | None = None
    last_sent_at_utc_ms: int | None = None
    msg_types: dict[str, int] = field(default_factory=dict)
    chat_sha256: str = ""
    metadata: dict = field(default_factory=dict)


class _BatchStats:
    """Counts rows, types and the time span while batches stream into DuckDB."""

    def __init__(self, summary: ChatIngestSummary) -> None:
        self.summary = summary
        self.types: Counter[str] = Counter()

    def watch(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows:
                self.summary.rows += batch.num_rows
                times = pc.min_max(batch.column("sent_at_utc_ms"))
                low, high = times["min"].as_py(), times["max"].as_py()
                s = self.summary
                s.first_sent_at_utc_ms = low if s.first_sent_at_utc_ms is None else min(s.first_sent_at_utc_ms, low)
                s.last_sent_at_utc_ms = high if s.last_sent_at_utc_ms is None else max(s.last_sent_at_utc_ms, high)
                for item in pc.value_counts(batch.column("msg_type")).to_pylist():
                    self.types[item["values"]] += item["counts"]
            yield batch
        self.summary.msg_types = dict(sorted(self.types.items()))


def vod_row(meta: VodMetadata, incoming_dir: str) -> pa.Table:
    row = asdict(meta)
    row["metadata_sources"] = json.dumps(row.pop("sources"), sort_keys=True)
    row["incoming_dir"] = incoming_dir
    return pa.Table.from_pylist([row])


def ingest_chat(
    con: duckdb.DuckDBPyConnection, layout: WarehouseLayout, vod_id: str, *, batch_size: int = 50_000
) -> ChatIngestSummary:
    """Replace ``vod_id``'s rows in ``raw_chat``, ``vods`` and its manifest entries, atomically."""
    vod = inspect_vod_folder(layout.incoming(vod_id))
    export = read_export_metadata(vod.chat_path)
    meta = resolve_metadata(vod_id, vod, export)
    context = ChatContext(vod_id=vod_id, started_at_utc_ms=meta.started_at_utc_ms, timezone=meta.chat_timezone)
    parser = {"name": export.parser_name, "version": export.parser_version, "format": str(export.format)}
    entries = [file_entry(vod_id, ASSET, "chat_export", vod.chat_path, layout.root, {"parser": parser})]
    if vod.vod_json_path is not None:
        entries.append(file_entry(vod_id, ASSET, "vod_json", vod.vod_json_path, layout.root))
    resolved = asdict(meta)
    entries.append(record_entry(vod_id, ASSET, "vod_metadata", resolved))
    summary = ChatIngestSummary(
        vod_id=vod_id,
        chat_file=vod.chat_path.name,
        chat_format=str(export.format),
        parser=f"{export.parser_name} {export.parser_version}",
        chat_sha256=entries[0]["sha256"],
        metadata=resolved,
    )
    stats = _BatchStats(summary)
    replace_rows(
        con,
        [
            TableWrite("raw_chat", stats.watch(iter_chat_batches(vod.chat_path, context, batch_size)), {"vod_id": vod_id}),
            TableWrite("vods", vod_row(meta, str(vod.folder)), {"vod_id": vod_id}),
            TableWrite("vod_manifest", manifest_table(entries), {"vod_id": vod_id, "asset": ASSET}),
        ],
    )
    return summary
