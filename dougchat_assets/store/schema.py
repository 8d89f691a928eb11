"""Table definitions of the warehouse (one DuckDB file).

Declared in one place so every stage, the CLI and the tests agree on column names and
types.  ``CREATE TABLE IF NOT EXISTS`` makes the schema idempotent: any writer may call
:func:`ensure_schema` first.
"""

from __future__ import annotations

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
}


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create any missing table (never alters or drops existing ones)."""
    for name, columns in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
