"""The warehouse's tables in a DuckLake: one catalog in PostgreSQL, Parquet files on a shared path.

Why: the single-machine warehouse is one DuckDB file, which one process on one machine may
write at a time.  When steps run on several machines (the cluster profile), the same tables
live in a DuckLake instead: every worker attaches the same PostgreSQL catalog and writes
Parquet files under one data path that all machines mount (NFS, or object storage).  The SQL
of the stages does not change: the lake is attached and made the default database (``USE``),
so ``raw_chat`` means ``lake.raw_chat``.

Offline by construction: the ``ducklake`` and ``postgres`` extensions come from the PyPI
packages ``duckdb-extension-ducklake`` / ``duckdb-extension-postgres`` (pinned to the duckdb
version) and are installed from the package's own file; autoloading from the network is off.

Concurrency.  DuckLake commits optimistically through the catalog; two transactions that
replace partitions of the same table conflict ("attempting to insert into table ... but
another transaction has deleted from it") and the second fails.  A partition write cannot
simply be retried by the store, because its rows may arrive from a one-shot stream.  So
writers serialise on a PostgreSQL advisory lock on the catalog database (:func:`lake_lock`),
held only around the short connection, exactly as the per-machine ``flock`` is on one
machine: it works across machines, and PostgreSQL releases it the moment the holder's
session ends, whatever killed the process.  Readers take no lock (DuckLake reads a snapshot).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dougchat_assets.errors import InputError

CATALOG_ENV = "DOUGCHAT_LAKE_CATALOG"
DATA_PATH_ENV = "DOUGCHAT_LAKE_DATA_PATH"
LAKE_NAME = "lake"
# Each extension's PyPI package; the file is <package>/extensions/v<duckdb version>/<file>.
EXTENSIONS = {"ducklake": ("duckdb_extension_ducklake", "ducklake"), "postgres": ("duckdb_extension_postgres", "postgres")}


class LakeError(InputError):
    """The DuckLake cannot be attached or locked (missing extension package, bad catalog, busy lake)."""


@dataclass(frozen=True)
class LakeConfig:
    """Where the lake is: a DuckLake catalog string and the shared folder of its Parquet files.

    ``catalog`` is DuckLake's own syntax after ``ducklake:``, e.g.
    ``postgres:dbname=lake host=db.internal user=dougchat`` (libpq key=value), or a local
    ``.ducklake`` / ``.sqlite`` file for one machine.
    """

    catalog: str
    data_path: Path

    @classmethod
    def from_env(cls, warehouse_root: Path) -> LakeConfig | None:
        """The lake named by ``$DOUGCHAT_LAKE_CATALOG`` (None: the single-machine DuckDB file).

        The data path defaults to ``<warehouse>/lake/``: the warehouse root is already the
        folder every machine shares (audio, models and reports live there too).
        """
        catalog = os.environ.get(CATALOG_ENV, "").strip()
        if not catalog:
            return None
        data_path = os.environ.get(DATA_PATH_ENV, "").strip() or str(Path(warehouse_root) / "lake")
        return cls(catalog=catalog, data_path=Path(data_path))

    @property
    def is_postgres(self) -> bool:
        return self.catalog.startswith("postgres:")

    @property
    def postgres_dsn(self) -> str:
        """The libpq connection string of a PostgreSQL catalog."""
        if not self.is_postgres:
            raise LakeError(CATALOG_ENV, f"catalog {self.catalog!r} is not a PostgreSQL catalog ('postgres:...')")
        return self.catalog.removeprefix("postgres:")


def extension_file(name: str) -> Path:
    """The signed extension file shipped by its PyPI package, for the running duckdb version."""
    package, stem = EXTENSIONS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(package, f"the DuckDB {name} extension is not installed: pip install 'dougchat[cluster]'")
    path = Path(list(spec.submodule_search_locations)[0]) / "extensions" / f"v{duckdb.__version__}" / f"{stem}.duckdb_extension"
    if not path.exists():
        shipped = sorted(p.name for p in path.parent.parent.glob("v*"))
        raise LakeError(path, f"{package} has no build for duckdb {duckdb.__version__} (it ships {', '.join(shipped) or 'none'}); "
                              "pin duckdb to the extension's version")
    return path


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Install (from the package's file, never the network) and load ducklake and postgres."""
    con.execute("SET autoinstall_known_extensions = false")
    installed = {row[0] for row in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE installed").fetchall()}
    for name in EXTENSIONS:
        if (name if name != "postgres" else "postgres_scanner") not in installed:
            con.execute(f"INSTALL '{extension_file(name)}'")
        con.execute(f"LOAD {name}")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def attach_lake(con: duckdb.DuckDBPyConnection, config: LakeConfig, *, read_only: bool = False) -> None:
    """Attach the lake as ``lake`` and make it the default database of ``con``."""
    load_extensions(con)
    options = [f"DATA_PATH {_sql_text(str(config.data_path) + os.sep)}"]
    if read_only:
        options.append("READ_ONLY")
    else:
        config.data_path.mkdir(parents=True, exist_ok=True)
    try:
        con.execute(f"ATTACH {_sql_text('ducklake:' + config.catalog)} AS {LAKE_NAME} ({', '.join(options)})")
    except duckdb.Error as error:
        raise LakeError(CATALOG_ENV, f"could not attach the DuckLake catalog {config.catalog!r}: {error}") from error
    con.execute(f"USE {LAKE_NAME}")


@contextmanager
def lake_connection(config: LakeConfig, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the lake attached and USEd; always closed."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        attach_lake(con, config, read_only=read_only)
        yield con
    finally:
        con.close()


def _lock_key(config: LakeConfig) -> int:
    """A signed 64-bit advisory-lock key naming this lake (its data path), stable across machines."""
    digest = hashlib.sha256(f"dougchat-lake:{config.data_path}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def lake_lock(config: LakeConfig, purpose: str, *, timeout_s: float = 600.0, poll_s: float = 0.1) -> Iterator[None]:
    """Hold the lake's writer lock: a PostgreSQL advisory lock on the catalog database.

    The session's ``application_name`` carries host, pid and purpose, so a timeout names who
    holds it.  A dead holder's session ends and PostgreSQL frees the lock (keepalives make a
    vanished machine's session end too).  A non-PostgreSQL catalog is one machine's file:
    the warehouse's ``flock`` beside it does the job.
    """
    if not config.is_postgres:
        from dougchat_assets.store.lock import warehouse_lock

        with warehouse_lock(config.data_path.parent, purpose, timeout_s=timeout_s):
            yield
        return
    import psycopg2

    name = f"dougchat {socket.gethostname()} pid {os.getpid()}: {purpose}"[:63]
    try:
        pg = psycopg2.connect(config.postgres_dsn, application_name=name, keepalives=1, keepalives_idle=30,
                              keepalives_interval=10, keepalives_count=3)
    except psycopg2.Error as error:
        raise LakeError(CATALOG_ENV, f"cannot reach the lake's catalog database: {str(error).strip()}") from error
    try:
        pg.autocommit = True
        key = _lock_key(config)
        deadline = time.monotonic() + timeout_s
        with pg.cursor() as cur:
            while True:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (key,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    cur.execute(
                        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                        " WHERE l.locktype = 'advisory' AND l.granted AND l.objid = (%s::bigint & 4294967295)::oid", (key,))
                    holder = cur.fetchone()
                    raise LakeError(config.data_path, f"the lake is busy: held by {holder[0] if holder else 'another session'}; "
                                                      f"gave up after {timeout_s:.0f} s")
                time.sleep(poll_s)
        yield
    finally:
        pg.close()  # ends the session: the lock goes with it
