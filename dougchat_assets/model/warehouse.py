"""lora_adapter / eval_report <-> warehouse: the model stage's SQL in one place."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from dougchat_assets.store import TableWrite, replace_rows

METRIC_SCHEMA = pa.schema(
    [("split_version", pa.string()), ("run_id", pa.string()), ("vod_id", pa.string()), ("model", pa.string()),
     ("metric", pa.string()), ("value", pa.float64())]
)


def write_eval_metrics(con: duckdb.DuckDBPyConnection, split_version: str, run_id: str, rows: list[dict]) -> int:
    """Replace the metrics of one (split version, adapter run) in one transaction."""
    table = pa.Table.from_pylist(
        [{"split_version": split_version, "run_id": run_id, **row} for row in rows], schema=METRIC_SCHEMA
    )
    return replace_rows(con, [TableWrite("eval_metrics", table, {"split_version": split_version, "run_id": run_id})])[
        "eval_metrics"
    ]


def transcript_segments(con: duckdb.DuckDBPyConnection, vod_id: str) -> list[tuple[float, float, str, str | None]]:
    """(start_s, end_s, text, speaker) of the VOD's gated segments, for the report's timeline."""
    return con.execute(
        "SELECT start_s, end_s, text, speaker FROM transcript_segments WHERE vod_id = ? AND quality = 'ok' ORDER BY start_s",
        [vod_id],
    ).fetchall()


def vod_title_and_audio(con: duckdb.DuckDBPyConnection, vod_id: str) -> tuple[str, str | None]:
    row = con.execute(
        "SELECT v.title, a.path FROM vods v LEFT JOIN vod_audio a USING (vod_id) WHERE vod_id = ?", [vod_id]
    ).fetchone()
    return (row[0] or vod_id, row[1]) if row else (vod_id, None)
