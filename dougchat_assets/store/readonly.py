"""A read-only connection for commands outside Dagster (trace, generate, audit, the demo summary).

DuckDB refuses a read-only open while another process holds the file for writing, so a
command run beside a materialization would fail at random.  Taking the warehouse lock shared
first makes it wait for the writer's commit (the lock is held only around short
transactions), then read a consistent file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dougchat_assets.store.lock import DEFAULT_TIMEOUT_S, warehouse_lock


@contextmanager
def read_only_warehouse(duckdb_path: Path, purpose: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only DuckDB connection to ``duckdb_path``, under the warehouse's shared lock."""
    path = Path(duckdb_path)
    with warehouse_lock(path.parent, purpose, shared=True, timeout_s=timeout_s):
        with duckdb.connect(str(path), read_only=True) as con:
            yield con
