"""Table definitions of the warehouse (one DuckDB file).

Declared in one place so every stage, the CLI and the tests agree on column names and
types.  ``CREATE TABLE IF NOT EXISTS`` makes the schema idempotent: any writer may call
:func:`ensure_schema` first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

TABLES: dict[str, str] = {
    # One row per VOD: resolved metadata (vod.json wins, the chat export fills gaps).
    "vods": """
        vod_id VARCHAR PRIMARY KEY,
        title VARCHAR,
        channel VARCHAR,
        started_at_utc_ms BIGINT,
        duration_s DOUBLE,
        licence VARCHAR,
        chat_timezone VARCHAR,
        metadata_sources VARCHAR,      -- JSON: which field came from vod.json / the export
        incoming_dir VARCHAR
    """,
    "raw_chat": """
        msg_id VARCHAR NOT NULL,
        vod_id VARCHAR NOT NULL,
        sent_at_utc_ms BIGINT NOT NULL,
        vod_offset_s DOUBLE,
        native_id VARCHAR,
        user_id VARCHAR,
        user_login VARCHAR,
        user_display_name VARCHAR,
        body VARCHAR NOT NULL,
        msg_type VARCHAR NOT NULL,
        emote_spans STRUCT("start" INTEGER, "end" INTEGER, emote_id VARCHAR, name VARCHAR)[],
        is_emote_only BOOLEAN NOT NULL,
        badges VARCHAR[],
        target_user_login VARCHAR,
        target_native_id VARCHAR,
        source_format VARCHAR NOT NULL,
        source_file VARCHAR NOT NULL,
        source_line BIGINT NOT NULL
    """,
    "vod_audio": """
        vod_id VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        duration_s DOUBLE NOT NULL,
        sample_rate INTEGER NOT NULL,
        n_samples BIGINT NOT NULL,
        sha256 VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL,
        peak_dbfs DOUBLE,
        source_file VARCHAR NOT NULL,
        source_sha256 VARCHAR NOT NULL,
        source_size_bytes BIGINT NOT NULL,
        source_container VARCHAR,
        source_codec VARCHAR,
        source_duration_s DOUBLE
    """,
    # RMS level per fixed frame of the 16 kHz audio (alignment correlates chat density with it).
    "audio_energy": """
        vod_id VARCHAR NOT NULL,
        frame_index INTEGER NOT NULL,
        start_s DOUBLE NOT NULL,
        rms_db REAL NOT NULL
    """,
    # Provenance: every input and output file with size and checksum, per asset that used it.
    "vod_manifest": """
        vod_id VARCHAR NOT NULL,
        asset VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        path VARCHAR,
        size_bytes BIGINT,
        sha256 VARCHAR,
        details VARCHAR                -- JSON: parser name/version, metadata, licence, params
    """,
    "transcript_segments": """
        vod_id VARCHAR NOT NULL,
        segment_id VARCHAR NOT NULL,
        chunk_index INTEGER NOT NULL,
        start_s DOUBLE NOT NULL,       -- seconds of warehouse/audio/<vod_id>.flac
        end_s DOUBLE NOT NULL,
        text VARCHAR NOT NULL,
        avg_logprob DOUBLE,
        no_speech_prob DOUBLE,
        compression_ratio DOUBLE,
        window_compression_ratio DOUBLE,
        word_logprob DOUBLE,
        speech_fraction DOUBLE,
        quality VARCHAR NOT NULL,      -- ok | low_confidence | hallucination | non_speech
        quality_reason VARCHAR,
        speaker VARCHAR                -- S0/S1 from the two-voice hook, NULL when unsure
    """,
    "transcript_words": """
        vod_id VARCHAR NOT NULL,
        segment_id VARCHAR NOT NULL,
        word_index INTEGER NOT NULL,
        start_s DOUBLE NOT NULL,
        end_s DOUBLE NOT NULL,
        word VARCHAR NOT NULL,
        probability DOUBLE
    """,
    # Chat UTC time -> audio seconds, as knots (linear between, extrapolated beyond the ends;
    # a discontinuity is two knots 1 ms apart). source: "estimate" or "override".
    "offset_curve": """
        vod_id VARCHAR NOT NULL,
        knot_index INTEGER NOT NULL,
        chat_utc_ms BIGINT NOT NULL,
        audio_s DOUBLE NOT NULL,
        segment INTEGER NOT NULL,
        confidence DOUBLE,
        method VARCHAR NOT NULL,
        source VARCHAR NOT NULL
    """,
    "alignment_anchors": """
        vod_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        chat_utc_ms BIGINT NOT NULL,
        audio_s DOUBLE NOT NULL,
        weight DOUBLE,
        residual_s DOUBLE
    """,
    # Chat-time ranges whose audio time the curve cannot vouch for: sent during an ad cut
    # ("cut"), near a cut the echoes cannot place ("cut_position"), or flagged by a reviewer.
    "alignment_uncertain_spans": """
        vod_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        start_utc_ms BIGINT NOT NULL,
        end_utc_ms BIGINT NOT NULL,
        max_error_s DOUBLE
    """,
    # Every asset check outcome, written in the same transaction as the rows it judges, so a
    # later stage (or a person with SQL) can tell whether a partition may be trusted.
    "quality_checks": """
        vod_id VARCHAR NOT NULL,
        asset VARCHAR NOT NULL,
        check_name VARCHAR NOT NULL,
        passed BOOLEAN NOT NULL,
        severity VARCHAR NOT NULL,     -- ERROR (blocking) | WARN
        value VARCHAR,                 -- JSON
        threshold VARCHAR,             -- JSON
        description VARCHAR
    """,
    # Every chat message a filter dropped, down-weighted or rewrote, with the step and why.
    "chat_filter_log": """
        vod_id VARCHAR NOT NULL,
        msg_id VARCHAR NOT NULL,
        step VARCHAR NOT NULL,
        action VARCHAR NOT NULL,       -- drop | downweight | collapse
        reason VARCHAR NOT NULL
    """,
    # Messages in -> out per filter step and VOD (the funnel), in step order.
    "chat_filter_funnel": """
        vod_id VARCHAR NOT NULL,
        step_index INTEGER NOT NULL,
        step VARCHAR NOT NULL,
        messages_in BIGINT NOT NULL,
        dropped BIGINT NOT NULL,
        downweighted BIGINT NOT NULL,
        collapsed BIGINT NOT NULL,
        messages_out BIGINT NOT NULL
    """,
    # The chat lines that passed the filters (reply text as kept, e.g. an emote wall collapsed):
    # what a context quotes, so generation rebuilds exactly the contexts training saw.
    "kept_chat": """
        vod_id VARCHAR NOT NULL,
        position INTEGER NOT NULL,     -- order of the lines as contexts were built (ties in send time)
        msg_id VARCHAR NOT NULL,
        sent_at_utc_ms BIGINT NOT NULL,
        reply VARCHAR NOT NULL,
        weight DOUBLE NOT NULL,
        is_emote_only BOOLEAN NOT NULL
    """,
    # (context -> chat reply) training pairs with their provenance; built with prompt.py.
    "pairs": """
        pair_id VARCHAR NOT NULL,
        vod_id VARCHAR NOT NULL,
        msg_id VARCHAR NOT NULL,       -- joins raw_chat.msg_id
        variant VARCHAR NOT NULL,      -- "orig", or "jitter<k>" (training-only augmented copy)
        user_hash VARCHAR NOT NULL,    -- keyed HMAC of the user (never the name)
        sent_at_utc_ms BIGINT NOT NULL,
        viewer_audio_s DOUBLE NOT NULL,  -- where the viewer's stream was (curve(sent) - latency)
        audio_start_s DOUBLE NOT NULL, -- the transcript window the context shows
        audio_end_s DOUBLE NOT NULL,
        segment_ids VARCHAR[] NOT NULL,
        chat_context_msg_ids VARCHAR[] NOT NULL,
        context VARCHAR NOT NULL,      -- the rendered text the model sees (user turn)
        reply VARCHAR NOT NULL,
        weight DOUBLE NOT NULL,
        is_emote_only BOOLEAN NOT NULL,
        approx_tokens INTEGER NOT NULL,
        curve_version VARCHAR NOT NULL,
        curve_segment INTEGER,
        curve_confidence DOUBLE,
        filter_preset VARCHAR NOT NULL,
        filter_params_hash VARCHAR NOT NULL,
        window_params_hash VARCHAR NOT NULL,
        prompt_version VARCHAR NOT NULL
    """,
    # One row per (split version, VOD): which split the whole VOD went to.  Never overwritten.
    "splits": """
        split_version VARCHAR NOT NULL,
        vod_id VARCHAR NOT NULL,
        split VARCHAR NOT NULL,        -- train | validation | test | excluded
        pairs BIGINT NOT NULL,
        weight_sum DOUBLE NOT NULL,
        balance_factor DOUBLE NOT NULL,
        reason VARCHAR
    """,
    "split_versions": """
        split_version VARCHAR PRIMARY KEY,
        manifest_path VARCHAR NOT NULL,
        manifest_sha256 VARCHAR NOT NULL,
        params_hash VARCHAR NOT NULL,
        n_vods INTEGER NOT NULL,
        n_pairs BIGINT NOT NULL
    """,
    # Long-form evaluation metrics of a trained adapter and its base on held-out VODs.
    "eval_metrics": """
        split_version VARCHAR NOT NULL,
        run_id VARCHAR NOT NULL,       -- the lora_adapter's MLflow run
        vod_id VARCHAR NOT NULL,       -- a test VOD, or "all"
        model VARCHAR NOT NULL,        -- base | adapter
        metric VARCHAR NOT NULL,
        value DOUBLE
    """,
}


_CONSTRAINT = re.compile(r"\s+(?=(?:NOT NULL|PRIMARY KEY|DEFAULT|UNIQUE)\b)")


def _constraints(rest: str) -> str:
    parts = _CONSTRAINT.split(rest.strip(), maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


def table_columns(table: str) -> list[Column]:
    """The columns of ``table`` as declared in :data:`TABLES` (name, SQL type, the ``--`` comment).

    Parsed from the one declaration, so what the UI shows cannot drift from what is created.
    """
    columns = []
    for raw in TABLES[table].strip().splitlines():
        text, _, comment = raw.partition("--")
        text = text.strip().rstrip(",")
        if not text:
            continue
        name, _, rest = text.partition(" ")
        sql_type, constraints = _CONSTRAINT.split(rest.strip(), maxsplit=1)[0], _constraints(rest)
        description = " ".join(part for part in (constraints, comment.strip()) if part)
        columns.append(Column(name, sql_type, description))
    return columns


_KEY = re.compile(r"\b(?:PRIMARY KEY|UNIQUE)\b")


def _is_ducklake(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row is not None and row[0] == "ducklake"


def create_table_sql(name: str, *, ducklake: bool = False) -> str:
    """The CREATE statement of ``name``; for a DuckLake without key constraints.

    DuckLake refuses PRIMARY KEY and UNIQUE ("not supported in DuckLake").  Nothing relies on
    them to merge rows (every write is DELETE + INSERT of its key), so there a key column is
    declared NOT NULL and uniqueness rests on the writers, as it does for every other table.
    """
    columns = TABLES[name]
    if ducklake:
        columns = _KEY.sub("NOT NULL", columns)
    return f"CREATE TABLE IF NOT EXISTS {name} ({columns})"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create any missing table (never alters or drops existing ones), in the current database.

    Lists what exists first: on a DuckLake each CREATE is a round trip to the catalog.
    """
    present = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = current_schema()"
    ).fetchall()}
    missing = [name for name in TABLES if name not in present]
    if not missing:
        return
    ducklake = _is_ducklake(con)
    for name in missing:
        con.execute(create_table_sql(name, ducklake=ducklake))
