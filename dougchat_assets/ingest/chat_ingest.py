"""raw_chat: parse a VOD's chat export outside the warehouse lock, then write it in one transaction."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dougchat_assets.audio.tempfiles import owner_suffix, remove_stale_temp_files
from dougchat_assets.chat import RAW_CHAT_SCHEMA, ChatContext, ReadReport, iter_chat_batches, read_export_metadata
from dougchat_assets.ingest.manifest import file_entry, manifest_table, record_entry
from dougchat_assets.ingest.vod_folder import VodMetadata, inspect_vod_folder, resolve_metadata
from dougchat_assets.settings import WarehouseLayout, validate_vod_id
from dougchat_assets.store import TableWrite, replace_rows
from dougchat_assets.store.checks import CheckRecord, check_table

ASSET = "raw_chat"
# Share of messages that must fall inside the VOD's own time span (with an hour of slack);
# a log read in the wrong time zone lands hours away and fails this.
MIN_SHARE_IN_SPAN = 0.95
SPAN_SLACK_MS = 3_600_000


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
    in_span: int = 0
    checks: list[CheckRecord] = field(default_factory=list)
    read_report: ReadReport = field(default_factory=ReadReport)  # messages truncated at the body cap


class _BatchStats:
    """Counts rows, types, the time span and messages inside the VOD's span while batches stream."""

    def __init__(self, summary: ChatIngestSummary, span_ms: tuple[int, int] | None) -> None:
        self.summary = summary
        self.types: Counter[str] = Counter()
        self.span_ms = span_ms

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
                if self.span_ms is not None:
                    sent = batch.column("sent_at_utc_ms")
                    inside = pc.and_(pc.greater_equal(sent, self.span_ms[0]), pc.less_equal(sent, self.span_ms[1]))
                    s.in_span += int(pc.sum(inside).as_py() or 0)
            yield batch
        self.summary.msg_types = dict(sorted(self.types.items()))


def _utc(ms: int | None) -> str:
    from datetime import datetime, timezone

    return "?" if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def span_check(summary: ChatIngestSummary, meta: VodMetadata) -> CheckRecord:
    """chat_within_vod_span: say what was measured and where (file, share, span, first/last message)."""
    if meta.started_at_utc_ms is None or summary.rows == 0:
        return CheckRecord("chat_within_vod_span", True, None, MIN_SHARE_IN_SPAN,
                           f"{summary.chat_file}: nothing to check (no VOD start time or no messages)")
    share = summary.in_span / summary.rows
    passed = share >= MIN_SHARE_IN_SPAN
    text = (
        f"{summary.in_span:,} of {summary.rows:,} messages ({share:.1%}) in {summary.chat_file} fall inside the VOD's "
        f"span {_utc(meta.started_at_utc_ms)} + {meta.duration_s or 0:.0f} s (1 h slack each side); messages run "
        f"{_utc(summary.first_sent_at_utc_ms)} .. {_utc(summary.last_sent_at_utc_ms)}"
    )
    if not passed:
        text += ": a wrong chat_timezone or started_at in vod.json? Downstream assets refuse this VOD until it passes"
    return CheckRecord("chat_within_vod_span", passed, round(share, 4), MIN_SHARE_IN_SPAN, text)


def vod_row(meta: VodMetadata, incoming_dir: str) -> pa.Table:
    row = asdict(meta)
    row["metadata_sources"] = json.dumps(row.pop("sources"), sort_keys=True)
    row["incoming_dir"] = incoming_dir
    return pa.Table.from_pylist([row])


@dataclass
class PreparedChat:
    """One VOD's chat, parsed and spooled to a Parquet file, ready for a short write.

    Parsing a long export (hundreds of thousands of messages, seconds to minutes) happens
    here, with no DuckDB connection open, so the warehouse lock is held only for the insert.
    The rows go through a Parquet spool under ``work/`` rather than memory so a 4-hour chat
    still streams in bounded memory.
    """

    summary: ChatIngestSummary
    spool: Path | None  # None when the export has no message rows
    vod: pa.Table
    manifest: pa.Table
    checks: pa.Table
    batch_size: int

    def raw_chat_batches(self) -> Iterator[pa.RecordBatch]:
        if self.spool is None:
            return
        with pq.ParquetFile(self.spool) as spooled:
            yield from spooled.iter_batches(batch_size=self.batch_size)


@contextmanager
def chat_spool(layout: WarehouseLayout, vod_id: str) -> Iterator[Path]:
    """A temp Parquet path under ``work/raw_chat/`` named after its process, removed afterwards.

    A run killed mid-ingest leaves its spool behind; the next ingest of the VOD removes it
    (the same owner-tagged naming and liveness rule as the audio decoder's temp files).
    """
    destination = layout.work_dir / ASSET / f"{validate_vod_id(vod_id)}.parquet"
    destination.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(destination)
    fd, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=owner_suffix(destination), dir=destination.parent)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def prepare_chat(layout: WarehouseLayout, vod_id: str, spool: Path, *, batch_size: int = 50_000) -> PreparedChat:
    """Parse ``vod_id``'s export into ``spool`` and compute what the write needs: no database."""
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
    span = None
    if meta.started_at_utc_ms is not None:
        span = (meta.started_at_utc_ms - SPAN_SLACK_MS,
                meta.started_at_utc_ms + int((meta.duration_s or 0) * 1000) + SPAN_SLACK_MS)
    stats = _BatchStats(summary, span)
    batches = stats.watch(iter_chat_batches(vod.chat_path, context, batch_size, report=summary.read_report))
    with pq.ParquetWriter(spool, RAW_CHAT_SCHEMA, compression="lz4") as writer:
        for batch in batches:
            if batch.num_rows:
                writer.write_batch(batch)
    summary.checks = [span_check(summary, meta)]
    return PreparedChat(
        summary=summary,
        spool=spool if summary.rows else None,
        vod=vod_row(meta, str(vod.folder)),
        manifest=manifest_table(entries),
        checks=check_table(vod_id, ASSET, summary.checks),
        batch_size=batch_size,
    )


def write_chat(con: duckdb.DuckDBPyConnection, prepared: PreparedChat) -> None:
    """Replace the VOD's rows in ``raw_chat``, ``vods``, its manifest entries and checks, in one transaction."""
    vod_id = prepared.summary.vod_id
    replace_rows(
        con,
        [
            TableWrite("raw_chat", prepared.raw_chat_batches(), {"vod_id": vod_id}),
            TableWrite("vods", prepared.vod, {"vod_id": vod_id}),
            TableWrite("vod_manifest", prepared.manifest, {"vod_id": vod_id, "asset": ASSET}),
            TableWrite("quality_checks", prepared.checks, {"vod_id": vod_id, "asset": ASSET}),
        ],
    )


def ingest_chat(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    layout: WarehouseLayout,
    vod_id: str,
    *,
    batch_size: int = 50_000,
) -> ChatIngestSummary:
    """Parse ``vod_id``'s chat export, then replace its rows atomically.

    The connection (``connect``, which takes the warehouse lock) is opened only for the
    write, after the whole export has been parsed and checked: a parse error leaves the
    warehouse untouched, and other VODs' stages are not held up by this one's parsing.
    """
    with chat_spool(layout, vod_id) as spool:
        prepared = prepare_chat(layout, vod_id, spool, batch_size=batch_size)
        with connect() as con:
            write_chat(con, prepared)
    return prepared.summary
