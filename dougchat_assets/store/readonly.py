"""A read-only connection for commands outside Dagster (trace, generate, audit, the demo summary).

DuckDB refuses a read-only open while another process holds the file for writing, so a
command run beside a materialization would fail at random.  Taking the warehouse lock shared
first makes it wait for the writer's commit (the lock is held only around short
transactions), then read a consistent file.

With a DuckLake configured (``$DOUGCHAT_LAKE_CATALOG``, the cluster profile) the lake is
attached read-only instead, with no lock: DuckLake readers see a committed snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dougchat_assets.store.lake import LakeConfig, lake_connection
from dougchat_assets.store.lock import DEFAULT_TIMEOUT_S, warehouse_lock


def warehouse_exists(duckdb_path: Path) -> bool:
    """Whether there are tables to read: the DuckDB file, or a configured DuckLake (no local file)."""
    path = Path(duckdb_path)
    return path.exists() or LakeConfig.from_env(path.parent) is not None


@contextmanager
def read_only_warehouse(duckdb_path: Path, purpose: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only DuckDB connection to ``duckdb_path``, under the warehouse's shared lock."""
    path = Path(duckdb_path)
    lake = LakeConfig.from_env(path.parent)
    if lake is not None:
        with lake_connection(lake, read_only=True) as con:
            yield con
        return
    with warehouse_lock(path.parent, purpose, shared=True, timeout_s=timeout_s):
        with duckdb.connect(str(path), read_only=True) as con:
            yield con
