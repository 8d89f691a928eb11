"""What the UI shows about each asset's tables: column schemas, side tables, owners.

Every DuckDB table an asset writes is listed here once: the first is the asset's own table
(its column schema becomes ``dagster/column_schema``), the rest are written in the same
transaction as side effects (``vods``, ``audio_energy``, ``alignment_anchors``,
``vod_manifest``, ``chat_filter_log``, ...) and are shown with their columns in the asset's
definition metadata, so someone browsing the catalog finds every table and who writes it.
Schemas come from :mod:`dougchat_assets.store.schema`, the one declaration of the tables.
"""

from __future__ import annotations

import dagster as dg

from dougchat_assets.store.schema import TABLES, table_columns

# asset -> the DuckDB tables it replaces (its own table first); the eval report also writes files.
ASSET_TABLES: dict[str, tuple[str, ...]] = {
    "raw_chat": ("raw_chat", "vods", "vod_manifest", "quality_checks"),
    "vod_audio": ("vod_audio", "audio_energy", "vod_manifest"),
    "transcripts": ("transcript_segments", "transcript_words", "vod_manifest", "quality_checks"),
    "offset_curve": ("offset_curve", "alignment_anchors", "alignment_uncertain_spans", "vod_manifest", "quality_checks"),
    "clean_pairs": ("pairs", "kept_chat", "chat_filter_log", "chat_filter_funnel", "vod_manifest", "quality_checks"),
    "train_split": ("splits", "split_versions"),
    "eval_report": ("eval_metrics",),
}
# Owners by group: the data side builds the dataset, the ML side the model.
GROUP_OWNERS: dict[str, list[str]] = {
    "ingest": ["team:data"],
    "transcription": ["team:data"],
    "alignment": ["team:data"],
    "dataset": ["team:data"],
    "model": ["team:ml"],
}


def table_schema(table: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(c.name, c.type, description=c.description or None) for c in table_columns(table)]
    )


def _side_tables_markdown(tables: tuple[str, ...]) -> str:
    lines = []
    for table in tables:
        columns = ", ".join(f"`{c.name}` {c.type}" for c in table_columns(table))
        lines.append(f"- **{table}**: {columns}")
    return "\n".join(lines)


def table_metadata(asset: str, database: str = "dougchat.duckdb") -> dict[str, object]:
    """Definition metadata for ``asset``: its table's name and column schema, and its side tables."""
    tables = ASSET_TABLES.get(asset)
    if not tables:
        return {}
    metadata: dict[str, object] = {
        "dagster/table_name": f"{database}.main.{tables[0]}",
        "dagster/column_schema": table_schema(tables[0]),
    }
    if len(tables) > 1:
        metadata["side_tables"] = dg.MetadataValue.md(
            "Also replaced in the same transaction, per partition:\n\n" + _side_tables_markdown(tables[1:])
        )
    return metadata


def with_tables_and_owners(spec: dg.AssetSpec) -> dg.AssetSpec:
    """``spec`` with the table metadata of its asset and the owners of its group added."""
    name = spec.key.to_user_string()
    owners = GROUP_OWNERS.get(spec.group_name or "", [])
    return spec.merge_attributes(metadata=table_metadata(name), owners=[o for o in owners if o not in spec.owners])


def unlisted_tables() -> set[str]:
    """Tables of the schema no asset claims (a test keeps this empty)."""
    return set(TABLES) - {t for tables in ASSET_TABLES.values() for t in tables}
