"""Keyset-paginated slices of SQL source tables, as arrow tables.

A slice is ``select <catalog columns> from <table> where (<keys>) > (<last keys>)
order by <keys> limit <chunk_size>``: keys are (cursor, primary key) for incremental tables
and the primary key for the others. Pairing the cursor with the primary key means rows
that share one ``updated_at`` are never skipped or read twice, and no dedup state grows.

Readers:
- PostgreSQL (production Oro): connectorx, the fast arrow path measured in
  ../shared/measurements; ``timeout`` becomes the server's ``statement_timeout``.
- SQLite (the demo): the standard library, with ``timeout`` as the busy timeout and as a
  deadline enforced by a progress handler (a slow query is interrupted, not waited on).
Both cast to the catalog's arrow schema, so raw tables are typed the same from either.
"""
from __future__ import annotations

import datetime as dt
import decimal
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit, parse_qsl, urlencode

import pyarrow as pa
import pyarrow.compute as pc

from ingest.catalog import Table, arrow_schema


class SourceError(Exception):
    """A source could not be read (unreachable, timed out, table missing)."""


def _literal(value, dialect: str) -> str:
    if value is None:
        raise ValueError("keyset values are never null")
    if isinstance(value, bool):
        return "true" if value else "false" if dialect == "postgres" else str(int(value))
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
        return f"timestamp '{text}'" if dialect == "postgres" else f"'{text}'"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'" if dialect == "postgres" else f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def keyset_columns(table: Table) -> list[str]:
    return ([table.cursor] if table.cursor else []) + list(table.primary_key)


def slice_query(table: Table, after: list | None, limit: int, dialect: str) -> str:
    keys = keyset_columns(table)
    cols = ", ".join(_quote(c, dialect) for c in table.column_names)
    sql = f"select {cols} from {_quote(table.name, dialect)}"
    if after is not None:
        lhs = ", ".join(_quote(k, dialect) for k in keys)
        rhs = ", ".join(_literal(v, dialect) for v in after)
        sql += f" where ({lhs}) > ({rhs})" if len(keys) > 1 else f" where {lhs} > {rhs}"
    sql += " order by " + ", ".join(_quote(k, dialect) for k in keys) + f" limit {int(limit)}"
    return sql


def _quote(ident: str, dialect: str) -> str:
    # identifiers come from the catalog (code, not config); quoting keeps reserved words safe
    return '"' + ident.replace('"', '""') + '"'


def conform(data: pa.Table, table: Table) -> pa.Table:
    """Cast a slice to the catalog's arrow schema (numbers stored as floats are rounded to scale)."""
    schema = arrow_schema(table)
    arrays = []
    for fld in schema:
        col = data.column(fld.name)
        if col.type != fld.type:
            if pa.types.is_decimal(fld.type) and pa.types.is_floating(col.type):
                col = pc.round(col, fld.type.scale)
            elif pa.types.is_decimal(fld.type) and pa.types.is_integer(col.type):
                col = col.cast(pa.decimal128(38, fld.type.scale))
            if pa.types.is_boolean(fld.type) and pa.types.is_integer(col.type):
                col = pc.not_equal(col, 0)
            elif pa.types.is_null(col.type):
                col = pa.nulls(len(col), fld.type)
            else:
                col = col.cast(fld.type, safe=False)
        arrays.append(col)
    return pa.Table.from_arrays(arrays, schema=schema)


class SliceReader:
    dialect = ""

    def read(self, table: Table, after: list | None, limit: int) -> pa.Table:
        raise NotImplementedError

    def check(self) -> None:
        """Raise SourceError when the source cannot be reached."""
        raise NotImplementedError

    def close(self) -> None:
        pass


_SQLITE_STORAGE = {"integer": pa.int64(), "bigint": pa.int64(), "boolean": pa.int64(),
                   "double precision": pa.float64(), "numeric": pa.float64()}


class SqliteReader(SliceReader):
    dialect = "sqlite"

    def __init__(self, path: Path, timeout: float):
        self.path = Path(path)
        self.timeout = float(timeout)

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise SourceError(f"SQLite source {self.path} does not exist "
                              f"(run `python run_etl.py setup --demo` to create the demo sources).")
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=self.timeout, check_same_thread=False)

    def check(self) -> None:
        con = self._connect()
        try:
            con.execute("select 1 from sqlite_master limit 1").fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"SQLite source {self.path} cannot be read: {exc}") from None
        finally:
            con.close()

    def read(self, table: Table, after: list | None, limit: int) -> pa.Table:
        sql = slice_query(table, after, limit, self.dialect)
        con = self._connect()
        deadline = time.monotonic() + self.timeout
        con.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10000)
        try:
            cur = con.execute(sql)
            rows = cur.fetchall()
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc) or "locked" in str(exc):
                raise SourceError(f"reading {table.name} from {self.path} exceeded batch.timeout "
                                  f"({self.timeout:g} s): {exc}") from None
            raise SourceError(f"reading {table.name} from {self.path} failed: {exc}") from None
        finally:
            con.close()
        cols = list(zip(*rows)) if rows else [[] for _ in table.columns]
        arrays = {}
        for col, values in zip(table.columns, cols):
            try:  # SQLite hands back int, float or str: build that array directly, cast after
                arrays[col.name] = pa.array(values, _SQLITE_STORAGE.get(col.type.split("(")[0], pa.string()))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays[col.name] = pa.array([None if v is None else str(v) for v in values], pa.string())
        try:
            return conform(pa.table(arrays), table)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SourceError(f"{table.name}: a value does not fit the declared type: {exc}") from None


class PostgresReader(SliceReader):
    dialect = "postgres"

    def __init__(self, url: str, timeout: float):
        self.url = url
        self.timeout = float(timeout)
        parts = urlsplit(url.replace("postgresql+psycopg2://", "postgresql://", 1))
        query = dict(parse_qsl(parts.query))
        query["options"] = f"-c statement_timeout={int(self.timeout * 1000)} -c default_transaction_read_only=on"
        query.setdefault("connect_timeout", str(max(1, int(min(self.timeout, 30)))))
        self.cx_url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), ""))
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 5432
        self.database = parts.path.lstrip("/")

    def where(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"

    def check(self) -> None:
        import psycopg2

        try:
            con = psycopg2.connect(self.url.replace("postgresql+psycopg2://", "postgresql://", 1),
                                   connect_timeout=max(1, int(min(self.timeout, 10))))
            con.close()
        except psycopg2.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(f"PostgreSQL source {self.where()} is unreachable: {first}") from None

    def read(self, table: Table, after: list | None, limit: int) -> pa.Table:
        import connectorx as cx

        sql = slice_query(table, after, limit, self.dialect)
        try:
            data = cx.read_sql(self.cx_url, sql, return_type="arrow")
        except BaseException as exc:  # connectorx raises RuntimeError or a pyo3 panic
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "statement timeout" in msg:
                msg = f"exceeded batch.timeout ({self.timeout:g} s)"
            raise SourceError(f"reading {table.name} from {self.where()} failed: {msg}") from None
        if data.num_rows == 0 and data.num_columns != len(table.columns):
            data = pa.table({c.name: pa.nulls(0) for c in table.columns})
        return conform(data.rename_columns([c.lower() for c in data.column_names]), table)


def make_reader(url: str, timeout: float, root: Path) -> SliceReader:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        return SqliteReader(path if path.is_absolute() else root / path, timeout)
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg2://")):
        return PostgresReader(url.replace("postgres://", "postgresql://", 1), timeout)
    raise SourceError(f"unsupported source URL {url.split('@')[-1]!r}: use sqlite:///path or postgresql://user@host:port/db")


def last_keys(data: pa.Table, table: Table) -> list:
    """The keyset position after this slice (the last row's cursor and primary key)."""
    row = data.slice(data.num_rows - 1, 1).to_pylist()[0]
    out = []
    for k in keyset_columns(table):
        v = row[k]
        if isinstance(v, dt.datetime):
            v = v.isoformat(sep=" ")
        elif isinstance(v, dt.date):
            v = v.isoformat()
        elif isinstance(v, decimal.Decimal):
            v = str(v)
        out.append(v)
    return out
