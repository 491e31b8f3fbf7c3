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
import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit, parse_qsl, urlencode

import pyarrow as pa
import pyarrow.compute as pc

from ingest.catalog import Table, arrow_schema


class SourceError(Exception):
    """A source could not be read (unreachable, timed out, table missing).

    ``transient`` says whether retrying can help: a missing table or column, or a value
    that does not fit its type, stays wrong however often it is read."""

    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient


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


def slice_query(table: Table, after: list | None, limit: int, dialect: str, missing=(),
                ranges: list | None = None) -> str:
    """The next slice. Columns in ``missing`` (dropped from the source table) are selected as a
    typed null, so the raw column keeps its type and staging reads a null, never a literal.
    ``ranges``: the slice is every row of these ranges of the block column (``block_column``,
    ``[low, high)`` pairs: the blocks whose content moved), in key order, without a limit."""
    keys = keyset_columns(table)
    cols = ", ".join(_select_item(c, dialect, c.name in missing) for c in table.columns)
    sql = f"select {cols} from {_quote(table.name, dialect)}"
    if ranges:
        sql += " where " + range_condition(block_column(table), ranges, dialect)
    else:
        sql += _after(table, after, dialect)
    sql += " order by " + ", ".join(_quote(k, dialect) for k in keys)
    return sql if ranges else sql + f" limit {int(limit)}"


# A table without an update cursor is fingerprinted in blocks of its leading key, so that a change
# reloads only the blocks that moved: at most about BLOCKS of them, and about BLOCK_ROWS rows a
# block at least (a small table is one block or a few; the block sums travel in the dlt state)
BLOCKS = 256
BLOCK_ROWS = 100


def block_width(largest_key: int | None, rows: int) -> int:
    """The width (in key values) of a table's blocks: the keys from 0 to the largest in
    min(BLOCKS, rows / BLOCK_ROWS) blocks, at least one."""
    blocks = max(1, min(BLOCKS, rows // BLOCK_ROWS))
    return max(1, -(-(int(largest_key or 0) + 1) // blocks))


def block_column(table: Table) -> str | None:
    """The column whose blocks a table without an update cursor is fingerprinted by and reloaded
    in: its leading primary-key column, when every primary-key column is an integer (a range of
    integers is a block; a row comparison of integers is a keyset literal on every database).
    None for other tables (fingerprinted whole, reloaded whole)."""
    if table.incremental or not table.primary_key:
        return None
    types = {c.name: c.type for c in table.columns}
    if all(type_family(types.get(k, "")) == "integer" for k in table.primary_key):
        return table.primary_key[0]
    return None


def range_condition(column: str, ranges: list, dialect: str = "postgres") -> str:
    """Rows whose ``column`` lies in one of ``ranges`` (``[low, high)`` integer pairs); the same
    text on the source (a read) and on the warehouse (the merge's delete)."""
    q = _quote(column, dialect)
    return "(" + " or ".join(f"({q} >= {int(lo)} and {q} < {int(hi)})" for lo, hi in ranges) + ")"


def keyset_scope(table: Table, after: list) -> str:
    """The raw rows after keyset position ``after`` (integer keys): what a merge slice of a reload
    cycle replaces, the rows of a replayed slice included (the merge's delete, as a condition)."""
    return _keys_compare(list(table.primary_key), ">", [int(v) for v in after], "postgres")


def _block_label(key: str, width: int) -> str:
    """The block of a row as text: the leading key divided by ``width`` (keys are never negative
    in Oro; a negative or null key is a block of its own, which reloads the table whole)."""
    return (f"case when {key} is null then 'null' when {key} < 0 then 'neg' "
            f"else cast(cast({key} / {int(width)} as bigint) as text) end")


def _keys_compare(keys: list[str], op: str, values: list, dialect: str) -> str:
    """``(k1, k2) op (v1, v2)`` (a row comparison; a plain one for a single key)."""
    lhs = ", ".join(_quote(k, dialect) for k in keys)
    rhs = ", ".join(_literal(v, dialect) for v in values)
    return f"({lhs}) {op} ({rhs})" if len(keys) > 1 else f"{lhs} {op} {rhs}"


def _after(table: Table, after: list | None, dialect: str) -> str:
    """The keyset condition of the rows after position ``after`` ("" from the start)."""
    return "" if after is None else " where " + _keys_compare(keyset_columns(table), ">", after, dialect)


def count_query(table: Table, after: list | None, dialect: str) -> str:
    """How many rows the slices from ``after`` on will read (the progress bars' totals)."""
    return f"select count(*) from {_quote(table.name, dialect)}" + _after(table, after, dialect)


def key_query(table: Table, relation: str, after: list | None, upto: list | None, limit: int, dialect: str,
              where: str = "") -> str:
    """The next ``limit`` primary keys after ``after`` and up to ``upto`` (inclusive), in key order:
    one step of the deletion check's key walk (pipeline.Job), on the source and on raw alike.
    ``relation`` is the quoted table; ``where`` an extra condition (raw: the rows not marked deleted yet)."""
    keys = list(table.primary_key)
    cols = ", ".join(_quote(k, dialect) for k in keys)
    conds = [_keys_compare(keys, ">", after, dialect) if after is not None
             # from the start: a null key is never loaded (quarantined), so never compared
             else " and ".join(f"{_quote(k, dialect)} is not null" for k in keys)]
    if upto is not None:
        conds.append(_keys_compare(keys, "<=", upto, dialect))
    if where:
        conds.append(where)
    return f"select {cols} from {relation} where {' and '.join(conds)} order by {cols} limit {int(limit)}"


def _select_item(col, dialect: str, missing: bool) -> str:
    if not missing:
        return _quote(col.name, dialect)
    if dialect == "postgres":  # the catalog's type (code, not config)
        return f"cast(null as {col.type}) as {_quote(col.name, dialect)}"
    return f"null as {_quote(col.name, dialect)}"  # SQLite: conform() gives the null its arrow type


def _quote(ident: str, dialect: str) -> str:
    # identifiers come from the catalog (code, not config); quoting keeps reserved words safe
    return '"' + ident.replace('"', '""') + '"'


def conform(data: pa.Table, table: Table, missing=()) -> pa.Table:
    """Cast a slice to the catalog's arrow schema (numbers stored as floats are rounded to scale).
    Columns in ``missing`` (dropped from the source) are nullable whatever the catalog says."""
    schema = arrow_schema(table)
    if missing:
        schema = pa.schema([f.with_nullable(True) if f.name in missing else f for f in schema])
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


@dataclass
class ColumnCheck:
    """What a source table has of the catalog's columns (checked once per table per reader)."""
    table: str
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()                   # source columns the catalog does not read
    retyped: tuple[tuple[str, str, str], ...] = ()  # (column, catalog type, source type), other kind


def type_family(declared: str) -> str:
    """The kind of a declared type, the same for PostgreSQL's and SQLite's spellings:
    integer, number, text, boolean, timestamp, date (else the type itself). A source column
    whose kind differs from the catalog's has changed type (schema drift, reported)."""
    t = declared.strip().lower()
    if t.startswith(("int", "bigint", "smallint", "serial", "bigserial")):
        return "integer"
    if t.startswith(("numeric", "decimal", "double", "real", "float")):
        return "number"
    if t.startswith(("varchar", "character", "char", "text", "uuid", "json", "clob", "citext")):
        return "text"
    if t.startswith("bool"):
        return "boolean"
    if t.startswith(("timestamp", "datetime")):
        return "timestamp"
    return t


class SliceReader:
    """Reads keyset slices of one source database. Before the first slice of a table it
    checks that the table and every catalog column exist: a missing column is selected as
    a typed null and reported in ``drift`` (schema drift); a missing table, primary-key or
    cursor column is a SourceError that retrying cannot fix."""
    dialect = ""

    def __init__(self):
        self._checked: dict[str, ColumnCheck] = {}
        self.drift: dict[str, tuple[str, ...]] = {}  # table -> catalog columns missing in the source

    def where(self) -> str:
        raise NotImplementedError

    def source_columns(self, table_name: str) -> dict[str, str] | None:
        """The table's columns (lower-case name -> declared type), or None when there is no such table."""
        raise NotImplementedError

    def missing_tables(self, tables: list[Table]) -> list[str]:
        return [t.name for t in tables if self.source_columns(t.name) is None]

    def check_columns(self, table: Table) -> ColumnCheck:
        done = self._checked.get(table.name)
        if done is not None:
            return done
        have = self.source_columns(table.name)
        if have is None:
            raise SourceError(f"{self.where()} has no table {table.name} (the catalog reads it)", transient=False)
        missing = tuple(c for c in table.column_names if c.lower() not in have)
        keys = [c for c in keyset_columns(table) if c in missing]
        if keys:
            role = " and ".join(("the update cursor" if k == table.cursor else "the primary key") + f" {k}"
                                for k in keys)
            raise SourceError(f"{self.where()}: table {table.name} has no column {', '.join(keys)} ({role}): "
                              f"it cannot be read incrementally or merged; restore the column or fix the catalog",
                              transient=False)
        names = {c.lower() for c in table.column_names}
        extra = tuple(sorted(c for c in have if c not in names))
        retyped = tuple((c.name, c.type, have[c.name.lower()]) for c in table.columns
                        if c.name not in missing and have[c.name.lower()]
                        and type_family(c.type) != type_family(have[c.name.lower()]))
        check = ColumnCheck(table.name, missing, extra, retyped)
        self._checked[table.name] = check
        if missing:
            self.drift[table.name] = missing
        return check

    def read(self, table: Table, after: list | None, limit: int, ranges: list | None = None) -> pa.Table:
        raise NotImplementedError

    def fingerprint(self, table: Table) -> str:
        """The content of a table as the slices would read it (its catalog columns that exist), in
        one aggregate the source computes: row count and the sum of a 60-bit hash of every row.
        Order-independent; equal on two reads exactly when no row was added, removed or changed
        (to the odds of a hash collision). Tables without an update cursor are reloaded only
        when it moved (pipeline.Job). The blocks' aggregate over one block holding every row."""
        return self._whole(self._block_sums(table, "'0'"))

    def blocks(self, table: Table, width: int | None = None) -> tuple[int, dict[str, str], str]:
        """The table's fingerprint by blocks of its ``block_column``: the block width (``width``, or
        else ``block_width`` of the largest key and the row count), each block's row count
        and hash sum (the per-row hash of ``fingerprint``), and the whole table's fingerprint,
        equal to ``fingerprint``'s (the blocks add up to it), in one group-by the source computes."""
        key = _quote(block_column(table), self.dialect)
        if width is None:
            top, rows = self._fetch(f"select max({key}), count(*) from {_quote(table.name, self.dialect)}",
                                    f"fingerprinting {table.name} in {self.where()}")[0]
            width = block_width(top, int(rows))
        groups = self._block_sums(table, _block_label(key, width))
        return width, {b: f"{c}:{t}" for b, (c, t) in groups.items()}, self._whole(groups)

    def _whole(self, groups: dict[str, tuple[int, int]]) -> str:
        """The whole table's fingerprint from its blocks' row counts and hash sums (SQLite's sum is
        kept modulo 2**64, as its aggregate keeps it)."""
        n = sum(c for c, _ in groups.values())
        total = sum(t for _, t in groups.values())
        return f"sqlite:{n}:{total % (1 << 64)}" if self.dialect == "sqlite" else f"postgres:{n}:{total}"

    def _block_sums(self, table: Table, label: str) -> dict[str, tuple[int, int]]:
        """Row count and hash sum of every value of ``label`` (a SQL expression over the table's
        rows), in one group-by the source computes; a table without rows has no group."""
        raise NotImplementedError

    def _fetch(self, sql: str, what: str) -> list[tuple]:
        """The rows of one read (a connection that stops after batch.timeout); a failure is one
        SourceError, "<what> failed: <the database's first line>"."""
        con = self._read_connection()
        try:
            cur = con.cursor()
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - sqlite3 or psycopg2: one message naming the table
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(f"{what} failed: {first}",
                              transient="no such" not in first and "does not exist" not in first) from None
        finally:
            con.close()

    def check(self) -> None:
        """Raise SourceError when the source cannot be reached."""
        raise NotImplementedError

    def count(self, table: Table, after: list | None) -> int | None:
        """Rows left to read from ``after`` on, for the progress bars; None when it cannot be
        counted (an estimate never fails a run: the read itself reports what is wrong)."""
        con = None
        try:
            con = self._connect()
            cur = con.cursor()
            cur.execute(count_query(table, after, self.dialect))
            return int(cur.fetchone()[0])
        except Exception:  # noqa: BLE001
            return None
        finally:
            if con is not None:
                con.close()

    def keys(self, table: Table, after: list | None, upto: list | None, limit: int) -> list[tuple]:
        """The source's primary keys of one step of the deletion check (``key_query``), as tuples."""
        sql = key_query(table, _quote(table.name, self.dialect), after, upto, limit, self.dialect)
        return self._fetch(sql, f"reading the keys of {table.name} from {self.where()}")

    def close(self) -> None:
        pass

    def _read_connection(self):
        """A connection for one read, which stops after batch.timeout (PostgreSQL: the session's
        statement_timeout, set by ``_connect``)."""
        return self._connect()


READ_BATCH = 5000  # rows turned from SQLite's Python objects into Arrow at a time (SqliteReader.read)
_SQLITE_STORAGE = {"integer": pa.int64(), "bigint": pa.int64(), "boolean": pa.int64(),
                   "double precision": pa.float64(), "numeric": pa.float64()}


class SqliteReader(SliceReader):
    dialect = "sqlite"

    def __init__(self, path: Path, timeout: float):
        super().__init__()
        self.path = Path(path)
        self.timeout = float(timeout)

    def where(self) -> str:
        return f"SQLite source {self.path}"

    def source_columns(self, table_name: str) -> set[str] | None:
        con = self._connect()
        try:
            rows = con.execute("select name, type from pragma_table_info(?)", (table_name,)).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "interrupted" in str(exc):  # worth retrying, like a slow read
                raise SourceError(f"reading the columns of {table_name} from {self.path} exceeded batch.timeout "
                                  f"({self.timeout:g} s): {exc}") from None
            raise SourceError(f"SQLite source {self.path} cannot be read: {exc}", transient=False) from None
        except sqlite3.DatabaseError as exc:
            raise SourceError(f"SQLite source {self.path} cannot be read: {exc}", transient=False) from None
        finally:
            con.close()
        return {r[0].lower(): (r[1] or "").lower() for r in rows} if rows else None

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

    def _read_connection(self) -> sqlite3.Connection:
        """SQLite has no statement timeout: the read is interrupted once batch.timeout has passed."""
        con = self._connect()
        deadline = time.monotonic() + self.timeout
        con.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10000)
        return con

    def read(self, table: Table, after: list | None, limit: int, ranges: list | None = None) -> pa.Table:
        sql = slice_query(table, after, limit, self.dialect, self.check_columns(table).missing, ranges)
        # the rows come as Python objects (several times their Arrow size): they are turned into
        # Arrow READ_BATCH rows at a time, so a slice never has all its rows as Python objects at once
        chunks: dict[str, list] = {col.name: [] for col in table.columns}
        con = self._read_connection()
        try:
            cur = con.execute(sql)
            while True:
                rows = cur.fetchmany(READ_BATCH)
                if not rows:
                    break
                for col, values in zip(table.columns, zip(*rows)):
                    chunks[col.name].append(_sqlite_array(values, col))
                del rows
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc) or "locked" in str(exc):
                raise SourceError(f"reading {table.name} from {self.path} exceeded batch.timeout "
                                  f"({self.timeout:g} s): {exc}") from None
            raise SourceError(f"reading {table.name} from {self.path} failed: {exc}",
                              transient="no such" not in str(exc)) from None
        finally:
            con.close()
        arrays = {}
        for col in table.columns:
            parts = chunks.pop(col.name) or [_sqlite_array((), col)]
            if len({a.type for a in parts}) > 1:  # some batch held a value of another kind: all as text
                parts = [pa.array([None if v is None else str(v) for v in a.to_pylist()], pa.string())
                         if a.type != pa.string() else a for a in parts]
            arrays[col.name] = pa.chunked_array(parts)
        try:
            return conform(pa.table(arrays), table, self.check_columns(table).missing)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise SourceError(f"{table.name}: a value does not fit the declared type: {exc}",
                              transient=False) from None

    def _block_sums(self, table: Table, label: str) -> dict[str, tuple[int, int]]:
        missing = self.check_columns(table).missing
        cols = ", ".join(_quote(c.name, self.dialect) for c in table.columns if c.name not in missing)
        con = self._read_connection()
        con.create_aggregate("pf_row_hash_sum", -1, _RowHashSum)
        try:
            rows = con.execute(f"select {label}, pf_row_hash_sum({cols}) from {_quote(table.name, self.dialect)} "
                               f"group by 1").fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"fingerprinting {table.name} in {self.path} failed: {exc}",
                              transient="no such" not in str(exc)) from None
        finally:
            con.close()
        return {str(b): tuple(int(x) for x in sig.split(":")) for b, sig in rows}


def _sqlite_array(values, col) -> pa.Array:
    """One column of SQLite values as Arrow: SQLite hands back int, float or str, built as that
    array directly (cast to the catalog's type after); a value of another kind makes it text."""
    try:
        return pa.array(values, _SQLITE_STORAGE.get(col.type.split("(")[0], pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


class _RowHashSum:
    """SQLite aggregate: count and sum (mod 2**64) of a 60-bit blake2b hash of each row's values."""

    def __init__(self):
        self.n, self.total = 0, 0

    def step(self, *values):
        self.n += 1
        digest = hashlib.blake2b(repr(values).encode("utf-8"), digest_size=8).digest()
        self.total = (self.total + (int.from_bytes(digest, "big") >> 4)) % (1 << 64)

    def finalize(self):
        return f"{self.n}:{self.total}"


class PostgresReader(SliceReader):
    dialect = "postgres"

    def __init__(self, url: str, timeout: float):
        super().__init__()
        self._columns: dict[str, dict[str, str]] | None = None
        self.url = url
        self.timeout = float(timeout)
        parts = urlsplit(url.replace("postgresql+psycopg2://", "postgresql://", 1))
        query = dict(parse_qsl(parts.query))
        # the URL's own options (a search_path naming the schema of the Oro tables) come first, so
        # every connection (column check, slices, fingerprints) resolves the same tables; ours last,
        # so the timeout and the read-only transactions always hold
        self.options = " ".join(filter(None, [query.get("options", "").strip(),
                                              f"-c statement_timeout={int(self.timeout * 1000)} "
                                              f"-c default_transaction_read_only=on"]))
        query["options"] = self.options
        query.setdefault("connect_timeout", str(max(1, int(min(self.timeout, 30)))))
        self.cx_url = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), ""))
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 5432
        self.database = parts.path.lstrip("/")

    def where(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"

    def check(self) -> None:
        self._connect().close()

    def _connect(self):
        """A psycopg2 connection to the source, with the reads' options (search_path, timeout,
        read-only); SourceError naming the source when it is unreachable."""
        import psycopg2

        try:
            return psycopg2.connect(self.url.replace("postgresql+psycopg2://", "postgresql://", 1),
                                    connect_timeout=max(1, int(min(self.timeout, 10))), options=self.options)
        except psycopg2.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(f"PostgreSQL source {self.where()} is unreachable: {first}") from None

    def source_columns(self, table_name: str) -> dict[str, str] | None:
        if self._columns is None:  # one catalog query per reader (per run) for every table
            con = self._connect()
            try:
                with con.cursor() as cur:
                    cur.execute("select current_schemas(false)")
                    path = list(cur.fetchone()[0])
                    cur.execute("select table_schema, table_name, column_name, data_type from information_schema.columns "
                                "where table_schema = any(%s)", (path,))
                    found: dict[tuple[str, str], dict[str, str]] = {}
                    for schema, tname, cname, dtype in cur.fetchall():
                        found.setdefault((schema, tname.lower()), {})[cname.lower()] = (dtype or "").lower()
            finally:
                con.close()
            cols: dict[str, dict[str, str]] = {}
            for schema in reversed(path):  # an unqualified name resolves to the first schema on search_path
                cols.update({t: c for (s, t), c in found.items() if s == schema})
            self._columns = cols
        return self._columns.get(table_name.lower())

    def read(self, table: Table, after: list | None, limit: int, ranges: list | None = None) -> pa.Table:
        import connectorx as cx

        sql = slice_query(table, after, limit, self.dialect, self.check_columns(table).missing, ranges)
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
        return conform(data.rename_columns([c.lower() for c in data.column_names]), table,
                       self.check_columns(table).missing)

    def _block_sums(self, table: Table, label: str) -> dict[str, tuple[int, int]]:
        import psycopg2

        missing = self.check_columns(table).missing
        cols = ", ".join(_quote(c.name, self.dialect) for c in table.columns if c.name not in missing)
        sql = (f"select {label}, count(*), {_PG_HASH_SUM.format(cols=cols)} from {_quote(table.name, self.dialect)} "
               f"group by 1")
        con = self._connect()
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                return {str(b): (int(n), int(total)) for b, n, total in cur.fetchall()}
        except psycopg2.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SourceError(f"fingerprinting {table.name} in {self.where()} failed: {first}") from None
        finally:
            con.close()


# the sum of a 60-bit hash of every row (md5 of the row's text), as PostgreSQL computes it
_PG_HASH_SUM = "coalesce(sum(('x' || substr(md5(row({cols})::text), 1, 15))::bit(60)::bigint), 0)"


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


# ------------------------------------------------------------------ row contracts
QUARANTINE_TABLE = "_cuarentena"
NULL_KEY = "clave primaria nula"
BAD_JSON = "json invalido"
FUTURE = "cursor en el futuro"
JSON_TYPES = ("json", "jsonb")


@dataclass
class Screened:
    """A slice after the row contracts: ``rows`` to load, ``quarantine`` rows for the raw
    quarantine table, and the counts per reason."""
    rows: pa.Table
    quarantine: list[dict]
    counts: dict[str, int]
    position: pa.Table  # the rows the keyset position may advance over (no null key, no future cursor)


def _row_json(row: dict) -> str:
    import json

    return json.dumps(row, default=str, ensure_ascii=False, sort_keys=True)


def _quarantine_row(table: Table, reason: str, action: str, row: dict, detail: str = "") -> dict:
    import hashlib

    fila = _row_json(row)
    return {"_cuarentena_id": hashlib.sha1(f"{table.name}|{reason}|{fila}".encode()).hexdigest(),
            "_tabla": table.name, "_motivo": reason, "_detalle": detail, "_accion": action,
            "_clave": _row_json({k: row.get(k) for k in table.primary_key}), "_fila": fila,
            "_detectado_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None).isoformat(sep=" ",
                                                                                             timespec="seconds")}


def quarantine_schema() -> pa.Schema:
    return pa.schema([(n, pa.string()) for n in ("_cuarentena_id", "_tabla", "_motivo", "_detalle", "_accion",
                                                 "_clave", "_fila", "_detectado_at")])


def screen(data: pa.Table, table: Table, horizon: dt.datetime | None, check_json: bool) -> Screened:
    """Apply the row contracts to one slice.

    - a null in a primary-key column: the row cannot be merged; it is left out of the load
      and kept in the quarantine (reason ``clave primaria nula``);
    - a json/jsonb column whose text does not parse (only possible where the source stores it
      as text, e.g. SQLite): the row is loaded with that value null, the original text is kept
      in the quarantine (``json invalido``);
    - an update cursor later than ``horizon``: the row is loaded as it is and recorded
      (``cursor en el futuro``), but the keyset position does not move past it, so later
      changes to other rows are still read.
    """
    import json

    counts: dict[str, int] = {}
    quarantine: list[dict] = []
    if data.num_rows == 0:
        return Screened(data, quarantine, counts, data)
    valid = None
    for k in table.primary_key:
        v = pc.is_valid(data.column(k))
        valid = v if valid is None else pc.and_(valid, v)
    if valid is not None and not pc.all(valid).as_py():
        bad = data.filter(pc.invert(valid))
        for row in bad.to_pylist():
            quarantine.append(_quarantine_row(table, NULL_KEY, "descartada", row))
        counts[NULL_KEY] = bad.num_rows
        data = data.filter(valid)
    if check_json:
        for col in table.columns:
            if col.type.lower() not in JSON_TYPES or data.num_rows == 0:
                continue
            values = data.column(col.name).to_pylist()
            broken = []
            for i, text in enumerate(values):
                if text is None:
                    continue
                try:
                    json.loads(text)
                except ValueError:
                    broken.append(i)
            if broken:
                rows = data.take(pa.array(broken)).to_pylist()
                for row in rows:
                    quarantine.append(_quarantine_row(table, BAD_JSON, f"cargada con {col.name} nulo", row,
                                                      f"{col.name} no es JSON"))
                counts[BAD_JSON] = counts.get(BAD_JSON, 0) + len(broken)
                keep = set(broken)
                fixed = pa.array([None if i in keep else v for i, v in enumerate(values)], data.schema.field(col.name).type)
                data = data.set_column(data.schema.get_field_index(col.name), col.name, fixed)
    position = data
    if table.cursor and horizon is not None and data.num_rows:
        cur = data.column(table.cursor)
        future = pc.fill_null(pc.greater(cur, pa.scalar(horizon, cur.type)), False)
        n_future = pc.sum(pc.cast(future, pa.int64())).as_py() or 0
        if n_future:
            for row in data.filter(future).to_pylist():
                quarantine.append(_quarantine_row(table, FUTURE, "cargada", row,
                                                  f"{table.cursor} despues de {horizon:%Y-%m-%d %H:%M}"))
            counts[FUTURE] = n_future
            position = data.filter(pc.invert(future))
    return Screened(data, quarantine, counts, position)
