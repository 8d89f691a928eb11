"""The catalog metadata: every table claimed by an asset, schemas as DuckDB creates them, owners."""

from __future__ import annotations

import dagster as dg
import duckdb

from dougchat_assets.defs.tables import ASSET_TABLES, unlisted_tables
from dougchat_assets.runner import executable_assets, load_definitions
from dougchat_assets.store.schema import TABLES, ensure_schema, table_columns


def test_every_table_is_written_by_a_listed_asset() -> None:
    assert unlisted_tables() == set()


def test_column_schemas_match_what_duckdb_creates() -> None:
    with duckdb.connect(":memory:") as con:
        ensure_schema(con)
        for table in TABLES:
            created = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            declared = [(c.name, con.execute(f"SELECT typeof(CAST(NULL AS {c.type}))").fetchone()[0])
                        for c in table_columns(table)]
            assert created == declared, table


def test_assets_carry_their_table_schema_side_tables_and_owners() -> None:
    definitions = load_definitions()
    specs = {spec.key.to_user_string(): spec for assets_def in executable_assets(definitions)
             if isinstance(assets_def, dg.AssetsDefinition) for spec in assets_def.specs}
    assert set(ASSET_TABLES) <= set(specs)
    for name, spec in specs.items():
        assert spec.owners, name
        assert spec.description, name
    raw_chat = specs["raw_chat"].metadata
    schema = raw_chat["dagster/column_schema"]
    schema = schema.schema if isinstance(schema, dg.TableSchemaMetadataValue) else schema
    assert [c.name for c in schema.columns][:3] == ["msg_id", "vod_id", "sent_at_utc_ms"]
    assert "**vods**" in raw_chat["side_tables"].value and "**vod_manifest**" in raw_chat["side_tables"].value
    assert "**audio_energy**" in specs["vod_audio"].metadata["side_tables"].value
