"""DuckDB warehouse: table definitions and the one way partitions get written."""

from dougchat_assets.store.schema import ensure_schema
from dougchat_assets.store.writes import TableWrite, replace_rows

__all__ = ["TableWrite", "ensure_schema", "replace_rows"]
