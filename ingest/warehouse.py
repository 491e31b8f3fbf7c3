"""Where the warehouse is: the same settings dbt reads from profiles.yml (environment variables)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TARGETS = ("duckdb", "postgres")

# DuckDB files this process holds open (Warehouse.held_open): path -> the connection dlt shares
_HELD: dict[str, object] = {}


class WarehouseError(Exception):
    """The warehouse cannot be reached or used."""


@dataclass(frozen=True)
class Warehouse:
    target: str
    root: Path

    @property
    def duckdb_path(self) -> Path:
        p = Path(os.environ.get("PUNTAFINA_DUCKDB_PATH", "data/warehouse.duckdb"))
        return p if p.is_absolute() else self.root / p

    @property
    def pg(self) -> dict:
        return {
            "host": os.environ.get("DW_HOST", "127.0.0.1"),
            "port": int(os.environ.get("DW_PORT", "5432")),
            "user": os.environ.get("DW_USER", "postgres"),
            "password": os.environ.get("DW_PASSWORD", ""),
            "database": os.environ.get("DW_DATABASE", "DW_oro"),
        }

    def pg_url(self, database: str | None = None) -> str:
        from urllib.parse import quote

        c = self.pg
        auth = quote(c["user"], safe="") + (":" + quote(c["password"], safe="") if c["password"] else "")
        return f"postgresql://{auth}@{c['host']}:{c['port']}/{quote(database or c['database'], safe='')}"

    def describe(self) -> str:
        if self.target == "duckdb":
            return f"DuckDB file {self.duckdb_path}"
        c = self.pg
        return f"PostgreSQL {c['host']}:{c['port']}/{c['database']}"

    def pg_connect(self, dbname: str | None = None):
        """A psycopg2 connection to the warehouse server (its database, or ``dbname``)."""
        import psycopg2

        c = self.pg
        return psycopg2.connect(host=c["host"], port=c["port"], user=c["user"], password=c["password"],
                                dbname=dbname or c["database"], connect_timeout=10)

    def connect(self, read_only: bool = False):
        """A DB-API connection to the warehouse. DuckDB opens with dbt-duckdb's configuration,
        which may still hold the file in this process after a build. ``read_only``: DuckDB
        opens the file read-only (it fails while a run writes it)."""
        if self.target == "duckdb":
            import duckdb

            return duckdb.connect(str(self.duckdb_path), read_only=read_only)
        con = self.pg_connect()
        con.autocommit = True
        return con

    @contextmanager
    def held_open(self, duckdb_config: dict | None = None):
        """DuckDB: the warehouse file open in this process for the duration (the extract), with one
        connection that every dlt pipeline in it shares (``dlt_destination``). dlt opens the file
        itself whenever its connection pool is empty and closes it when the pool empties again:
        several times a job (state, schema, load), and every open reads the catalog and every
        close checkpoints the file (scale 1: about 0.9 s of a 3.4 s extract). While held, the
        other connections of this process (``connect``) share the same open database, and
        closing them checkpoints nothing; the file is checkpointed and closed once, at the end,
        before dbt opens it. ``duckdb_config``: DuckDB's global settings for the whole hold (dlt's
        memory_limit and threads), so the run's own queries before dlt's first load keep to the
        budget too. A file that cannot be opened now (another process holds its lock) is not held:
        dlt then opens it itself, and its retries and its error say why, as without the hold.
        PostgreSQL: nothing to hold."""
        if self.target != "duckdb":
            yield
            return
        import duckdb

        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        key = str(self.duckdb_path)
        try:
            con = duckdb.connect(key)
        except duckdb.Error:
            con = None
        if con is None:
            yield
            return
        try:
            for name, value in (duckdb_config or {}).items():
                con.execute(f"SET GLOBAL {name} = '{value}'")
            _HELD[key] = con
            yield
        finally:
            _HELD.pop(key, None)
            con.close()

    def dlt_destination(self, duckdb_config: dict | None = None):
        """dlt's destination; ``duckdb_config``: DuckDB global settings (memory_limit, threads)."""
        import dlt

        if self.target == "duckdb":
            from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            held = _HELD.get(str(self.duckdb_path))   # the file held open for the extract, or its path
            return dlt.destinations.duckdb(DuckDbCredentials(held if held is not None else str(self.duckdb_path),
                                                             global_config=duckdb_config))
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        c = self.pg
        creds = PostgresCredentials()
        creds.database, creds.username, creds.host, creds.port = c["database"], c["user"], c["host"], c["port"]
        creds.password = c["password"]  # may be empty (trust or peer auth): dlt needs it set, not None
        creds.connect_timeout = 15
        return dlt.destinations.postgres(credentials=creds)

    def check(self, create: bool = False) -> None:
        """Fail early and clearly when the warehouse is unreachable (optionally create the PG database)."""
        if self.target == "duckdb":
            parent = self.duckdb_path.parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseError(f"cannot create the folder {parent} for the DuckDB warehouse: {exc.strerror}.") from None
            return
        import psycopg2

        c = self.pg
        try:
            self.pg_connect().close()
            return
        except psycopg2.OperationalError as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "connection failed"
            if create and "does not exist" in msg:
                self.create_database()
                return
            raise WarehouseError(
                f"the PostgreSQL warehouse at {c['host']}:{c['port']} (database {c['database']}, user {c['user']}) "
                f"is unreachable: {msg}. Set DW_HOST, DW_PORT, DW_USER, DW_PASSWORD and DW_DATABASE, "
                f"or run `python run_etl.py setup --target postgres` to create the database.") from None

    def analyze(self, tables: list[str]) -> float:
        """Planner statistics for the raw tables a load just wrote (``schema.table`` names).

        PostgreSQL has none for a freshly loaded table until autovacuum reaches it (right
        after a bulk load that is too late; on a server without autovacuum, never), and
        without them it plans the staging views' joins as if each table held one row.
        ``ANALYZE`` samples a bounded number of rows, so this costs well under a second per
        table at any size. DuckDB keeps its statistics as it writes: nothing to do.
        Returns the seconds spent."""
        import time

        if self.target != "postgres" or not tables:
            return 0.0
        from psycopg2 import sql

        t0 = time.monotonic()
        con = self.pg_connect()
        con.autocommit = True
        try:
            with con.cursor() as cur:
                for name in tables:
                    schema, table = name.split(".", 1)
                    cur.execute("select to_regclass(%s) is not null", (sql.Identifier(schema, table).as_string(cur),))
                    if cur.fetchone()[0]:
                        cur.execute(sql.SQL("analyze {}").format(sql.Identifier(schema, table)))
        finally:
            con.close()
        return time.monotonic() - t0

    def create_database(self, name: str | None = None) -> bool:
        """Create a PostgreSQL database on the warehouse server if it is missing; True if created."""
        import psycopg2
        from psycopg2 import sql

        c = self.pg
        name = name or c["database"]
        try:
            con = self.pg_connect("postgres")
        except psycopg2.OperationalError as exc:
            raise WarehouseError(f"the PostgreSQL server at {c['host']}:{c['port']} is unreachable: "
                                 f"{str(exc).strip().splitlines()[0]}") from None
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (name,))
                if cur.fetchone():
                    return False
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
                return True
        finally:
            con.close()
