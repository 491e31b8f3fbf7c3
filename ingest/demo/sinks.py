"""Write catalog tables to SQLite (executemany) or PostgreSQL (COPY), in batches.

Rows are plain tuples in catalog column order holding None, int, float or str: booleans
are 0/1, timestamps 'YYYY-MM-DD HH:MM:SS' text, dates 'YYYY-MM-DD', money floats whose
repr is the decimal amount, jsonb as JSON text. SQLite stores them as they are; the
PostgreSQL sink turns them into COPY text, and the server casts to the declared types.
"""
from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Iterable

from ingest import catalog
from ingest.catalog import Table

from .target import database_name, libpq_url, redact, with_database


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def index_name(table: Table) -> str:
    return f"ix_{table.name}_{table.cursor}"


def create_table_sql(table: Table, dialect: str) -> str:
    cols = []
    for c in table.columns:
        typ = catalog.sqlite_type(c.type) if dialect == "sqlite" else c.type
        cols.append(f"{_q(c.name)} {typ}" + ("" if c.nullable else " NOT NULL"))
    pk = ", ".join(_q(k) for k in table.primary_key)
    return f"CREATE TABLE {_q(table.name)} (\n  " + ",\n  ".join(cols) + f",\n  PRIMARY KEY ({pk})\n)"


def create_index_sql(table: Table) -> str:
    keys = ", ".join(_q(k) for k in (table.cursor, *table.primary_key))
    return f"CREATE INDEX {_q(index_name(table))} ON {_q(table.name)} ({keys})"


class Sink:
    """One source database (all catalog tables of one system)."""

    dialect = ""
    ph = "?"

    def __init__(self, system: str):
        self.system = system
        self.tables = {t.name: t for t in catalog.tables(system)}

    # schema
    def reset(self) -> None:
        raise NotImplementedError

    def create_indexes(self) -> None:
        for t in self.tables.values():
            if t.cursor:
                self.execute(create_index_sql(t))

    # data
    def insert(self, table: Table, rows: list[tuple]) -> None:
        raise NotImplementedError

    def update(self, table_name: str, set_cols: list[str], key_cols: list[str], rows: list[tuple]) -> None:
        """rows: (set values..., key values...), values in the same plain form as inserts."""
        table = self.tables[table_name]
        sets = ", ".join(f"{_q(c)} = {self.param(table.column(c).type)}" for c in set_cols)
        where = " AND ".join(f"{_q(c)} = {self.param(table.column(c).type)}" for c in key_cols)
        self.executemany(f"UPDATE {_q(table_name)} SET {sets} WHERE {where}", rows)

    def param(self, pg_type: str) -> str:
        """A placeholder for a value of this column type."""
        return self.ph

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        raise NotImplementedError

    def execute(self, sql: str, params: Iterable = ()) -> None:
        raise NotImplementedError

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        raise NotImplementedError

    def json_text(self, column: str) -> str:
        """SQL expression giving a jsonb/JSON-text column as text (for LIKE filters)."""
        return _q(column)

    def commit(self) -> None:
        raise NotImplementedError

    def close(self, commit: bool = True) -> None:
        raise NotImplementedError


class SqliteSink(Sink):
    dialect = "sqlite"
    ph = "?"

    def __init__(self, path: str | Path, system: str, fresh: bool):
        super().__init__(system)
        self.path = Path(path)
        self.fresh = fresh
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for p in (self.path, Path(f"{self.path}-journal"), Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                p.unlink(missing_ok=True)
        elif not self.path.is_file():
            raise FileNotFoundError(f"{self.path} does not exist: run generate() first")
        self.con = sqlite3.connect(self.path, isolation_level=None)
        if fresh:
            # a file being built from scratch: no rollback journal, no fsync (rebuilt on failure anyway)
            self.con.execute("PRAGMA journal_mode = OFF")
            self.con.execute("PRAGMA synchronous = OFF")
        self.con.execute("BEGIN")

    def reset(self) -> None:
        for t in self.tables.values():
            self.con.execute(f"DROP TABLE IF EXISTS {_q(t.name)}")
            self.con.execute(create_table_sql(t, "sqlite"))

    def insert(self, table: Table, rows: list[tuple]) -> None:
        marks = ", ".join("?" * len(table.columns))
        self.con.executemany(f"INSERT INTO {_q(table.name)} VALUES ({marks})", rows)

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        return self.con.execute(sql, tuple(params)).fetchall()

    def execute(self, sql: str, params: Iterable = ()) -> None:
        self.con.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self.con.executemany(sql, rows)

    def commit(self) -> None:
        self.con.execute("COMMIT")
        self.con.execute("BEGIN")

    def close(self, commit: bool = True) -> None:
        if self.con.in_transaction:
            self.con.execute("COMMIT" if commit else "ROLLBACK")
        if self.fresh and commit:
            self.con.execute("PRAGMA journal_mode = DELETE")
        self.con.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _copy_field(v) -> str:
    if v is None:
        return "\\N"
    if type(v) is str:
        return v.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE.search(v) else v
    return str(v)  # int (booleans are 0/1, which PostgreSQL accepts), float


def connect_postgres(url: str):
    import psycopg2

    return psycopg2.connect(libpq_url(url), connect_timeout=10)


def ensure_database(url: str) -> None:
    """Create the database named in url when it does not exist (through the server's 'postgres' db)."""
    from psycopg2 import sql

    name = database_name(url)
    con = connect_postgres(with_database(url, "postgres"))
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        con.close()


def drop_database(url: str) -> None:
    from psycopg2 import sql

    con = connect_postgres(with_database(url, "postgres"))
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database_name(url))))
    finally:
        con.close()


class PostgresSink(Sink):
    dialect = "postgres"
    ph = "%s"

    def __init__(self, url: str, system: str, fresh: bool):
        super().__init__(system)
        self.url = url
        if fresh:
            ensure_database(url)
        try:
            self.con = connect_postgres(url)
        except Exception as exc:
            raise ConnectionError(f"cannot connect to {redact(url)}: {str(exc).strip()}") from None

    def reset(self) -> None:
        with self.con.cursor() as cur:
            for t in self.tables.values():
                cur.execute(f"DROP TABLE IF EXISTS {_q(t.name)} CASCADE")
                cur.execute(create_table_sql(t, "postgres"))

    def insert(self, table: Table, rows: list[tuple]) -> None:
        buf = io.StringIO()
        buf.writelines("\t".join(map(_copy_field, r)) + "\n" for r in rows)
        buf.seek(0)
        cols = ", ".join(_q(c) for c in table.column_names)
        with self.con.cursor() as cur:
            cur.copy_expert(f"COPY {_q(table.name)} ({cols}) FROM STDIN", buf)

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self.con.cursor() as cur:
            cur.execute(sql, tuple(params) or None)   # None: a literal % needs no escaping
            return cur.fetchall()

    def execute(self, sql: str, params: Iterable = ()) -> None:
        with self.con.cursor() as cur:
            cur.execute(sql, tuple(params) or None)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        from psycopg2.extras import execute_batch

        with self.con.cursor() as cur:
            execute_batch(cur, sql, rows, page_size=500)

    def create_indexes(self) -> None:
        super().create_indexes()
        self.execute("ANALYZE")   # fresh planner statistics for the loads that follow

    def json_text(self, column: str) -> str:
        return f"{_q(column)}::text"

    def param(self, pg_type: str) -> str:
        # plain values (0/1 booleans, timestamp text, JSON text) cast to the column type
        return f"%s::{pg_type}"

    def commit(self) -> None:
        self.con.commit()

    def close(self, commit: bool = True) -> None:
        if commit:
            self.con.commit()
        else:
            self.con.rollback()
        self.con.close()


def open_sink(kind: str, where: str, system: str, fresh: bool) -> Sink:
    if kind == "sqlite":
        return SqliteSink(where, system, fresh)
    return PostgresSink(where, system, fresh)


class Loader:
    """Buffers rows (dicts keyed by column name) per table and writes them in batches.

    Columns missing from a dict are NULL; an unknown column name is an error (a typo
    would otherwise silently become a NULL column).
    """

    def __init__(self, sink: Sink, batch_size: int = 20000):
        self.sink = sink
        self.batch_size = batch_size
        self.buffers: dict[str, list[tuple]] = {}
        self.counts: dict[str, int] = {name: 0 for name in sink.tables}
        self._cols = {name: (t.column_names, frozenset(t.column_names)) for name, t in sink.tables.items()}

    def add(self, table: str, row: dict) -> None:
        cols, colset = self._cols[table]
        if not row.keys() <= colset:
            raise KeyError(f"{self.sink.system}.{table}: unknown column(s) {sorted(row.keys() - colset)}")
        buf = self.buffers.setdefault(table, [])
        buf.append(tuple([row.get(c) for c in cols]))
        self.counts[table] += 1
        if len(buf) >= self.batch_size:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self.buffers.get(table)
        if rows:
            self.sink.insert(self.sink.tables[table], rows)
            self.buffers[table] = []

    def flush(self) -> None:
        for table in list(self.buffers):
            self._flush(table)
