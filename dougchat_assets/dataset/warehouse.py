"""clean_pairs / train_split <-> warehouse: the dataset stage's SQL, in one place.

Reads what the upstream assets wrote (raw_chat, transcripts, offset curve, its uncertain
spans and the recorded check outcomes) and writes pairs, the filter log and funnel, the
split tables and manifest rows — each partition in one transaction.  No Dagster here: the
assets, the CLI (`dougchat trace`) and the benchmarks share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from dougchat_assets.dataset.pairs import ContextSource, CurveKnot, Span, VodDataset, curve_version
from dougchat_assets.dataset.split import VodPairs
from dougchat_assets.dataset.lineage import PairLineage
from dougchat_assets.errors import InputError
from dougchat_assets.privacy import scrub_mentions
from dougchat_assets.prompt import WindowParams
from dougchat_assets.ingest.manifest import manifest_table, record_entry
from dougchat_assets.store import TableWrite, replace_rows
from dougchat_assets.store.checks import CheckRecord, check_table, failed_blocking_checks

ASSET = "clean_pairs"
UPSTREAM_ASSETS = ("raw_chat", "transcripts", "offset_curve")
CHAT_COLUMNS = (
    "msg_id, vod_id, sent_at_utc_ms, native_id, user_id, user_login, body, msg_type, emote_spans,"
    " is_emote_only, badges, target_user_login, target_native_id, source_line"
)


@dataclass
class CleanPairsInputs:
    chat: pa.Table
    vod: VodDataset | None  # None when an upstream blocking check failed (or never ran)
    untrusted: dict[str, list[str]]  # asset -> failed blocking checks


def read_vod_dataset(con: duckdb.DuckDBPyConnection, vod_id: str) -> tuple[VodDataset | None, dict[str, list[str]]]:
    """The VOD's curve, uncertain spans and gated words, or (None, why) when they cannot be trusted."""
    untrusted = failed_blocking_checks(con, vod_id, UPSTREAM_ASSETS)
    if untrusted:
        return None, untrusted
    duration = con.execute("SELECT duration_s FROM vod_audio WHERE vod_id = ?", [vod_id]).fetchone()
    knots = [
        CurveKnot(int(ms), float(a), int(seg), float(conf if conf is not None else 0.0), src)
        for ms, a, seg, conf, src in con.execute(
            "SELECT chat_utc_ms, audio_s, segment, confidence, source FROM offset_curve WHERE vod_id = ? ORDER BY knot_index",
            [vod_id],
        ).fetchall()
    ]
    if duration is None or not knots:
        return None, {"offset_curve": ["not materialized"]}
    spans = [
        Span(kind, int(start), int(end))
        for kind, start, end in con.execute(
            "SELECT kind, start_utc_ms, end_utc_ms FROM alignment_uncertain_spans WHERE vod_id = ? ORDER BY start_utc_ms",
            [vod_id],
        ).fetchall()
    ]
    words = con.sql(
        "SELECT w.start_s, w.end_s, w.word, w.segment_id, s.speaker FROM transcript_words w"
        " JOIN transcript_segments s USING (vod_id, segment_id)"
        " WHERE vod_id = ? AND s.quality = 'ok' ORDER BY w.start_s, s.start_s, w.word_index",
        params=[vod_id],
    ).to_arrow_table()
    # The streamer reads chatters' names aloud ("thanks bob_42 for the sub"): a handle in the
    # transcript is a username too.  Scrubbed here, on the one read path that pair building,
    # generation and evaluation share, so their contexts stay identical.
    logins = {r[0] for r in con.execute(
        "SELECT DISTINCT lower(user_login) FROM raw_chat WHERE vod_id = ? AND user_login IS NOT NULL", [vod_id]
    ).fetchall()}
    words = words.set_column(words.schema.get_field_index("word"), "word", scrub_mentions(words.column("word"), logins))
    return VodDataset(vod_id, float(duration[0]), knots, spans, words), {}


def read_clean_pairs_inputs(con: duckdb.DuckDBPyConnection, vod_id: str) -> CleanPairsInputs:
    chat = con.sql(
        f"SELECT {CHAT_COLUMNS} FROM raw_chat WHERE vod_id = ? ORDER BY sent_at_utc_ms, source_line", params=[vod_id]
    ).to_arrow_table()
    if chat.num_rows == 0 and not con.execute("SELECT count(*) FROM vods WHERE vod_id = ?", [vod_id]).fetchone()[0]:
        raise InputError(vod_id, "raw_chat is not materialized for this VOD")
    vod, untrusted = read_vod_dataset(con, vod_id)
    return CleanPairsInputs(chat, vod, untrusted)


def read_context_source(con: duckdb.DuckDBPyConnection, vod_id: str, window: WindowParams) -> ContextSource:
    """What generation and evaluation render contexts from: the same words, curve and kept chat
    lines (in the same order) that ``clean_pairs`` built its pairs from."""
    vod, untrusted = read_vod_dataset(con, vod_id)
    if vod is None:
        why = "; ".join(f"{a}: {', '.join(c)}" for a, c in sorted(untrusted.items()))
        raise InputError(vod_id, f"cannot build contexts for this VOD: {why}")
    kept = con.sql(
        "SELECT msg_id, sent_at_utc_ms, reply FROM kept_chat WHERE vod_id = ? ORDER BY position", params=[vod_id]
    ).to_arrow_table()
    return ContextSource.build(vod, kept, window)


def funnel_table(vod_id: str, steps: list[tuple[str, int, int, int, int]]) -> pa.Table:
    """Rows of ``chat_filter_funnel`` from (step, in, dropped, downweighted, collapsed)."""
    return pa.Table.from_pylist(
        [
            {"vod_id": vod_id, "step_index": i, "step": step, "messages_in": n_in, "dropped": dropped,
             "downweighted": down, "collapsed": collapsed, "messages_out": n_in - dropped}
            for i, (step, n_in, dropped, down, collapsed) in enumerate(steps)
        ],
        schema=pa.schema([
            ("vod_id", pa.string()), ("step_index", pa.int32()), ("step", pa.string()), ("messages_in", pa.int64()),
            ("dropped", pa.int64()), ("downweighted", pa.int64()), ("collapsed", pa.int64()), ("messages_out", pa.int64()),
        ]),
    )


def write_clean_pairs(
    con: duckdb.DuckDBPyConnection,
    vod_id: str,
    pairs: pa.Table,
    kept: pa.Table,
    log: pa.Table,
    funnel: pa.Table,
    details: dict,
    checks: list[CheckRecord],
) -> None:
    """Replace the VOD's pairs, filter log, funnel, manifest row and checks in one transaction."""
    log = _with_vod(log, vod_id)
    replace_rows(
        con,
        [
            TableWrite("pairs", pairs if pairs.num_rows else [], {"vod_id": vod_id}),
            TableWrite("kept_chat", _with_vod(kept, vod_id) if kept.num_rows else [], {"vod_id": vod_id}),
            TableWrite("chat_filter_log", log, {"vod_id": vod_id}),
            TableWrite("chat_filter_funnel", funnel, {"vod_id": vod_id}),
            TableWrite("vod_manifest", manifest_table([record_entry(vod_id, ASSET, "dataset_params", details)]),
                       {"vod_id": vod_id, "asset": ASSET}),
            TableWrite("quality_checks", check_table(vod_id, ASSET, checks), {"vod_id": vod_id, "asset": ASSET}),
        ],
    )


def _with_vod(table: pa.Table, vod_id: str) -> pa.Table:
    if "vod_id" in table.column_names:
        return table
    return table.append_column("vod_id", pa.array([vod_id] * table.num_rows, pa.string()))


def vod_logins(chat: pa.Table) -> set[str]:
    return {login.lower() for login in chat.column("user_login").to_pylist() if login}


def manifest_details(con: duckdb.DuckDBPyConnection, vod_id: str, asset: str, role: str) -> dict:
    row = con.execute(
        "SELECT details FROM vod_manifest WHERE vod_id = ? AND asset = ? AND role = ? LIMIT 1", [vod_id, asset, role]
    ).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


# ---------------------------------------------------------------- train_split


def read_vod_pairs(con: duckdb.DuckDBPyConnection, vod_ids: list[str]) -> list[VodPairs]:
    """Per VOD: original pair count, weight sum and a digest of its pair ids and contents."""
    stats = {
        vod_id: (n, w, digest)
        for vod_id, n, w, digest in con.execute(
            """
            SELECT vod_id, count(*) FILTER (WHERE variant = 'orig'), coalesce(sum(weight) FILTER (WHERE variant = 'orig'), 0),
                   md5(string_agg(pair_id || ':' || md5(context) || ':' || md5(reply) || ':' || weight::VARCHAR, ',' ORDER BY pair_id))
            FROM pairs WHERE list_contains(?, vod_id) GROUP BY vod_id
            """,
            [vod_ids],
        ).fetchall()
    }
    out = []
    for vod_id in sorted(vod_ids):
        details = manifest_details(con, vod_id, ASSET, "dataset_params")
        if not details:
            raise InputError(vod_id, "clean_pairs is not materialized for this VOD")
        n, weight, digest = stats.get(vod_id, (0, 0.0, "empty"))
        reason = details.get("reason") if details.get("excluded") else (None if n else "no pairs after filtering")
        failed = failed_blocking_checks(con, vod_id, (*UPSTREAM_ASSETS, ASSET))
        if reason is None and failed:  # pairs from an earlier run, but an upstream check fails now
            reason = "blocking checks failed: " + "; ".join(f"{a}: {', '.join(c)}" for a, c in sorted(failed.items()))
        out.append(VodPairs(vod_id, int(n), float(weight), str(digest), reason))
    return out


def split_exists(con: duckdb.DuckDBPyConnection, version: str) -> tuple[str, str] | None:
    """(manifest_path, manifest_sha256) of an already written version, else None."""
    row = con.execute(
        "SELECT manifest_path, manifest_sha256 FROM split_versions WHERE split_version = ?", [version]
    ).fetchone()
    return (row[0], row[1]) if row else None


def write_split(con: duckdb.DuckDBPyConnection, version: str, splits: pa.Table, version_row: dict) -> None:
    """Record a new split version (its rows are never replaced: a new version gets a new id)."""
    if split_exists(con, version):
        return
    replace_rows(
        con,
        [
            TableWrite("splits", splits, {"split_version": version}),
            TableWrite("split_versions", pa.Table.from_pylist([version_row]), {"split_version": version}),
        ],
    )


def vod_provenance(con: duckdb.DuckDBPyConnection, vod_id: str) -> dict:
    """What the manifest records per VOD: inputs with checksums, ASR model, curve, metadata, licence."""
    files = [
        {"asset": asset, "role": role, "path": path, "sha256": sha, "size_bytes": size}
        for asset, role, path, sha, size in con.execute(
            "SELECT asset, role, path, sha256, size_bytes FROM vod_manifest WHERE vod_id = ? AND sha256 IS NOT NULL"
            " ORDER BY asset, role, path",
            [vod_id],
        ).fetchall()
    ]
    vod = con.execute(
        "SELECT title, channel, started_at_utc_ms, duration_s, licence FROM vods WHERE vod_id = ?", [vod_id]
    ).fetchone() or (None,) * 5
    alignment = manifest_details(con, vod_id, "offset_curve", "alignment")
    knots = con.execute(
        "SELECT chat_utc_ms, audio_s, segment, source FROM offset_curve WHERE vod_id = ? ORDER BY knot_index", [vod_id]
    ).fetchall()
    return {
        "title": vod[0], "channel": vod[1], "started_at_utc_ms": vod[2], "duration_s": vod[3], "licence": vod[4],
        "files": files,
        "asr_model": manifest_details(con, vod_id, "transcripts", "asr_model"),
        "offset_curve": {
            "version": curve_version(knots) if knots else None,
            "source": alignment.get("source"), "method": alignment.get("method"),
            "offset_s": alignment.get("offset_s"), "drift_s_per_h": alignment.get("drift_s_per_h"),
            "reaction_lag_s": alignment.get("reaction_lag_s"), "confidence": alignment.get("confidence"),
            "knots": [[int(ms), float(a), int(seg)] for ms, a, seg, _ in knots],
        },
        "clean_pairs": manifest_details(con, vod_id, ASSET, "dataset_params"),
    }


# ---------------------------------------------------------------- lineage (`dougchat trace`)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def trace_pair(con: duckdb.DuckDBPyConnection, pair_id: str) -> PairLineage:
    try:
        con.execute("SELECT 1 FROM pairs LIMIT 0")
    except duckdb.CatalogException:
        raise InputError("pairs", "the warehouse has no pairs yet: materialize clean_pairs first", field="pair_id") from None
    pairs = _rows(
        con,
        "SELECT pair_id, vod_id, msg_id, variant, user_hash, sent_at_utc_ms, viewer_audio_s, audio_start_s, audio_end_s,"
        " segment_ids, chat_context_msg_ids, context, reply, weight, curve_version, curve_segment, curve_confidence,"
        " filter_preset, filter_params_hash, window_params_hash, prompt_version FROM pairs WHERE pair_id = ?",
        [pair_id],
    )
    if not pairs:
        raise InputError("pairs", f"no pair with id {pair_id!r} (ids are printed in clean_pairs' metadata)", field="pair_id")
    pair = pairs[0]
    vod_id = pair["vod_id"]
    chat = _rows(
        con,
        "SELECT source_file, source_line, source_format, sent_at_utc_ms, msg_type, body FROM raw_chat"
        " WHERE vod_id = ? AND msg_id = ?",
        [vod_id, pair["msg_id"]],
    )
    segments = _rows(
        con,
        "SELECT segment_id, start_s, end_s, avg_logprob, no_speech_prob, quality, speaker, text FROM transcript_segments"
        " WHERE vod_id = ? AND list_contains(?, segment_id) ORDER BY start_s",
        [vod_id, pair["segment_ids"]],
    )
    knots = _rows(
        con,
        "SELECT knot_index, chat_utc_ms, audio_s, segment, confidence, method, source FROM offset_curve"
        " WHERE vod_id = ? ORDER BY knot_index",
        [vod_id],
    )
    in_segment = [k for k in knots if k["segment"] == pair["curve_segment"]]
    curve = {
        "version": pair["curve_version"],
        "segment": pair["curve_segment"],
        "confidence": pair["curve_confidence"],
        "method": knots[0]["method"] if knots else None,
        "source": knots[0]["source"] if knots else None,
        "segment_knots": [(k["chat_utc_ms"], k["audio_s"]) for k in in_segment],
    }
    files = _rows(
        con,
        "SELECT asset, role, path, sha256, size_bytes FROM vod_manifest WHERE vod_id = ? AND sha256 IS NOT NULL"
        " ORDER BY asset, role",
        [vod_id],
    )
    audio = con.execute("SELECT path FROM vod_audio WHERE vod_id = ?", [vod_id]).fetchone()
    splits = _rows(
        con,
        "SELECT s.split_version, s.split, v.manifest_path FROM splits s JOIN split_versions v USING (split_version)"
        " WHERE s.vod_id = ? ORDER BY s.split_version",
        [vod_id],
    )
    return PairLineage(pair, chat[0] if chat else {}, segments, curve, files, splits, audio[0] if audio else None)
