"""Replace a partition's rows in one transaction, or not at all.

Every per-VOD table is rewritten as DELETE + INSERT inside a single DuckDB transaction, so a
reader never sees half a partition and a failure (a parser error on line 900 000) rolls the
partition back to what it was.  Rows arrive as Arrow record batches so a million chat
messages never exist as Python objects at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from dougchat_assets.faults import fault_point
from dougchat_assets.store.schema import ensure_schema

ArrowRows = pa.Table | pa.RecordBatch | Iterable[pa.RecordBatch]


@dataclass
class TableWrite:
    """Rows to put in ``table``, replacing those matching ``where`` (column -> value)."""

    table: str
    rows: ArrowRows
    where: Mapping[str, object] = field(default_factory=dict)


def _batches(rows: ArrowRows) -> Iterable[pa.RecordBatch | pa.Table]:
    if isinstance(rows, (pa.Table, pa.RecordBatch)):
        return [rows]
    return rows


def replace_rows(con: duckdb.DuckDBPyConnection, writes: list[TableWrite]) -> dict[str, int]:
    """Apply all writes in one transaction; return rows inserted per table.

    Columns are matched by name, so a batch may omit nullable columns and list the others in
    any order.  Any exception (including one raised while the row iterator is still parsing)
    rolls everything back and propagates.
    """
    ensure_schema(con)
    inserted: dict[str, int] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        for write in writes:
            clause = " AND ".join(f"{column} = ?" for column in write.where) or "TRUE"
            con.execute(f"DELETE FROM {write.table} WHERE {clause}", list(write.where.values()))
            count = 0
            for batch in _batches(write.rows):
                if batch.num_rows == 0:
                    continue
                con.register("_incoming_rows", batch)
                try:
                    con.execute(f"INSERT INTO {write.table} BY NAME SELECT * FROM _incoming_rows")
                finally:
                    con.unregister("_incoming_rows")
                count += batch.num_rows
                fault_point(f"write:{write.table}")  # mid-transaction: nothing may be committed
            inserted[write.table] = inserted.get(write.table, 0) + count
        con.execute("COMMIT")
    except BaseException:
        # A failed COMMIT has already ended the transaction (a DuckLake write conflict does):
        # "no transaction is active" from ROLLBACK must not hide the error that explains it.
        with contextlib.suppress(duckdb.TransactionException):
            con.execute("ROLLBACK")
        raise
    return inserted
