"""Shared fixtures: throwaway ETL projects on DuckDB and PostgreSQL.

PostgreSQL tests need a server (default 127.0.0.1:5432, user postgres; override with
PUNTAFINA_TEST_PG_HOST/PORT/USER/PASSWORD). Without one they skip with that reason, except
in CI (CI=true), where a missing server fails them: CI must test both warehouses.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import catalog  # noqa: E402

# Under pytest-xdist (`dev.py test` runs one worker per core), each worker's dbt writes a
# target/ of its own: two dbt processes sharing one target/ read each other's half-written
# manifest and partial-parse files. (A project that sets DBT_TARGET_PATH keeps its own.)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER and "DBT_TARGET_PATH" not in os.environ:
    os.environ["DBT_TARGET_PATH"] = str(ROOT / "target" / f"pytest-{_WORKER}")

# The slowest modules first (each builds warehouses; minutes on a 2-core machine), so the
# xdist workers take them at once and end together instead of one finishing a long module alone.
_SLOW_FIRST = ("test_warehouse_e2e", "test_databases_go_away", "test_publish", "test_lint", "test_build_plan", "test_run_lock",
               "test_csv_values", "test_source_contracts", "test_privilege_privacy", "test_benchmarks")
_ADAPTER_PARAM = re.compile(r"\[(duckdb|postgres)\b")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(_SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__.rsplit(".", 1)[-1], len(rank)))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: without xdist there is nothing to schedule
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadscope`, one unit per test module and warehouse: the tests of a module whose
    parameters start with an adapter (`test_x[duckdb]`, `test_x[postgres-...]`) form one unit
    per adapter, the others one unit per module. Module-scoped fixtures (a warehouse built once
    for the module's tests) are then built once, and the DuckDB and PostgreSQL halves of a
    module run side by side. (`--dist loadgroup` cannot do this with pytest 9.2: xdist 3.8
    rewrites a node id attribute pytest no longer reads.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleAndWarehouse(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            adapter = _ADAPTER_PARAM.search(nodeid)
            return f"{module}:{adapter.group(1)}" if adapter else module

    return ModuleAndWarehouse(config, log)

PG = {
    "host": os.environ.get("PUNTAFINA_TEST_PG_HOST", "127.0.0.1"),
    "port": int(os.environ.get("PUNTAFINA_TEST_PG_PORT", "5432")),
    "user": os.environ.get("PUNTAFINA_TEST_PG_USER", "postgres"),
    "password": os.environ.get("PUNTAFINA_TEST_PG_PASSWORD", ""),
}
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_reason() -> str | None:
    try:
        import psycopg2

        con = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
        con.close()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG['host']}:{PG['port']} ({str(exc).strip().splitlines()[0]})"


_PG_REASON = _pg_reason()


def require_pg() -> None:
    if _PG_REASON is None:
        return
    if IN_CI:
        pytest.fail(f"{_PG_REASON}: in CI (CI=true) the PostgreSQL tests must run, not skip")
    pytest.skip(f"{_PG_REASON}; PostgreSQL tests skipped (they always run in CI)")


def pg_admin(sql: str, dbname: str = "postgres", user: str | None = None):
    """Runs one statement (autocommit) as the test superuser, or as ``user`` (same password)."""
    import psycopg2

    con = psycopg2.connect(dbname=dbname, **(PG | {"user": user} if user else PG), connect_timeout=5)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        con.close()


def drop_pg_database(name: str) -> None:
    pg_admin(f"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{name}'")
    pg_admin(f'drop database if exists "{name}"')


def pg_url(db: str) -> str:
    auth = PG["user"] + (":" + PG["password"] if PG["password"] else "")
    return f"postgresql://{auth}@{PG['host']}:{PG['port']}/{db}"


def _pk_expr(table) -> str:
    """One portable expression per primary key (SQLite has no row-value count distinct)."""
    return " || ':' || ".join(f'cast("{c}" as varchar)' for c in table.primary_key)


class EtlProject:
    """A throwaway installation: its own demo sources, inputs, warehouse, state and logs."""

    def __init__(self, tmp: Path, target: str):
        self.tmp = tmp
        self.target = target
        self.key = uuid.uuid4().hex[:8]
        self.config_path = tmp / "etl_config.yaml"
        self.env = dict(os.environ)
        self.env.update(DO_NOT_TRACK="1", RUNTIME__DLTHUB_TELEMETRY="false", PYTHONUNBUFFERED="1")
        self.pg_databases: list[str] = []
        if target == "duckdb":
            self.env["PUNTAFINA_DUCKDB_PATH"] = str(tmp / "warehouse.duckdb")
            from ingest.demo import DemoTarget

            self.demo = DemoTarget(kind="sqlite", commerce=tmp / "demo" / "orocommerce.sqlite",
                                   crm=tmp / "demo" / "orocrm.sqlite", inputs_dir=tmp / "inputs")
            self.urls = {"orocommerce": f"sqlite:///{self.demo.commerce}", "orocrm": f"sqlite:///{self.demo.crm}"}
        else:
            require_pg()
            from ingest.demo import DemoTarget

            dw, com, crm = (f"pf_{self.key}_{x}" for x in ("dw", "commerce", "crm"))
            self.pg_databases = [dw, com, crm]
            self.env.update(DW_HOST=PG["host"], DW_PORT=str(PG["port"]), DW_USER=PG["user"],
                            DW_PASSWORD=PG["password"], DW_DATABASE=dw)
            pg_admin(f'create database "{dw}"')
            self.demo = DemoTarget.postgres(PG["host"], PG["port"], PG["user"], PG["password"],
                                            commerce_db=com, crm_db=crm, inputs_dir=tmp / "inputs")
            self.urls = {"orocommerce": pg_url(com), "orocrm": pg_url(crm)}
        self.write_config()

    # -- configuration and commands
    def write_config(self, **sections) -> Path:
        cfg = {
            "sources": {"orocommerce": {"url": self.urls["orocommerce"]}, "orocrm": {"url": self.urls["orocrm"]},
                        "csv": {"path": str(self.tmp / "inputs")}, "demo_dir": str(self.tmp / "demo")},
            "batch": {"chunk_size": 50000, "max_retries": 0, "retry_delay": 0},
            "monitoring": {"log_dir": str(self.tmp / "logs"), "report_dir": str(self.tmp / "reports")},
            "recovery": {"checkpoint_dir": str(self.tmp / "checkpoints")},
        }
        for name, values in sections.items():
            cfg.setdefault(name, {}).update(values)
        self.config_path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        return self.config_path

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, str(ROOT / "run_etl.py"), *args, "--config", str(self.config_path),
                "--target", self.target]

    def run(self, *args: str, expect: int | None = 0, timeout: int = 900) -> subprocess.CompletedProcess:
        proc = subprocess.run(self.cmd(*args), env=self.env, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)
        if expect is not None and proc.returncode != expect:
            raise AssertionError(f"{' '.join(args)} exited {proc.returncode}, expected {expect}\n"
                                 f"--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.cmd(*args), env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=ROOT)

    # -- data
    def generate(self, scale: float = 0.2, seed: int = 7) -> dict:
        from ingest.demo import generate

        return generate(self.demo, scale=scale, seed=seed)

    def evolve(self, step: int = 1, seed: int = 7) -> dict:
        from ingest.demo import evolve

        return evolve(self.demo, step=step, seed=seed)

    def warehouse_query(self, sql: str) -> list[tuple]:
        if self.target == "duckdb":
            import duckdb

            con = duckdb.connect(self.env["PUNTAFINA_DUCKDB_PATH"], read_only=True)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        return pg_admin(sql, dbname=self.env["DW_DATABASE"])

    def source_query(self, system: str, sql: str) -> list[tuple]:
        """One statement on a demo source, committed (as pg_admin's autocommit): its rows, if any."""
        if self.target == "duckdb":
            import sqlite3

            path = self.demo.commerce if system == "orocommerce" else self.demo.crm
            con = sqlite3.connect(path)
            try:
                rows = con.execute(sql).fetchall()
                con.commit()
                return rows
            finally:
                con.close()
        return pg_admin(sql, dbname=self.urls[system].rsplit("/", 1)[1])

    def source_execute(self, system: str, sql: str) -> None:
        """Change a demo source (committed), as its application would."""
        self.source_query(system, sql)

    def source_counts(self, system: str | None = None) -> dict[str, tuple[int, int]]:
        out = {}
        for t in catalog.tables(system):
            sql = f'select count(*), count(distinct {_pk_expr(t)}) from "{t.name}"'
            out[f"raw_{t.system}.{t.name}"] = tuple(self.source_query(t.system, sql)[0])
        return out

    def raw_counts(self, system: str | None = None) -> dict[str, tuple[int, int]]:
        """Rows and keys of each raw table, without the rows marked deleted in the source."""
        out = {}
        for t in catalog.tables(system):
            sql = f"select count(*), count(distinct {_pk_expr(t)}) from raw_{t.system}.{t.name}" + (
                " where _deleted_at is null" if t.cursor else "")
            out[f"raw_{t.system}.{t.name}"] = tuple(self.warehouse_query(sql)[0])
        return out

    def csv_line_counts(self) -> dict[str, int]:
        from ingest.sources.csv_files import CSV_FILES, files_for

        out = {}
        for spec in CSV_FILES.values():
            n = 0
            for path in files_for(spec, self.tmp / "inputs"):
                with path.open("rb") as fh:
                    n += sum(1 for _ in fh) - 1
            out[spec.name] = n
        return out

    def raw_csv_counts(self) -> dict[str, int]:
        from ingest.sources.csv_files import CSV_FILES

        out = {}
        for name in CSV_FILES:
            rows = self.warehouse_query(
                f"select count(*), count(distinct _source_file || ':' || cast(_source_line as varchar)) "
                f"from raw_csv.{name}")
            n, distinct = rows[0]
            assert n == distinct, f"raw_csv.{name}: {n} rows but {distinct} distinct (file, line) keys"
            out[name] = n
        return out

    def close(self) -> None:
        for db in self.pg_databases:
            try:
                drop_pg_database(db)
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass


DW_TABLES = 25  # 20 dimensions, 5 facts


def dw_tables(project, schema: str = "dw") -> list[str]:
    return [r[0] for r in project.warehouse_query(
        f"select table_name from information_schema.tables where table_schema = '{schema}' "
        "and table_name not like '%\\_\\_%' escape '\\' and table_name <> 'publicacion_pendiente' "
        "order by table_name")]


def _row_hash(target: str) -> str:
    return "sum(hash(t))" if target == "duckdb" else "sum(hashtext(t::text)::numeric)"


def dw_fingerprint_sql(target: str, tables: list[str], schema: str = "dw") -> str:
    """One statement (one snapshot): row count and content hash of each table."""
    parts = [f"(select count(*) from {schema}.{t}), (select {_row_hash(target)} from {schema}.{t} as t)"
             for t in tables]
    return "select " + ", ".join(parts)


def dw_fingerprint(project, schema: str = "dw") -> tuple:
    """The content of the published marts (or of ``schema``), to compare runs: equal tuples, equal tables."""
    tables = dw_tables(project, schema)
    assert len(tables) == DW_TABLES, tables
    return tuple(str(v) for v in project.warehouse_query(dw_fingerprint_sql(project.target, tables, schema))[0])


def wait_for_line(proc, needle: str, timeout: float = 300.0) -> str:
    """Read a run's console (``EtlProject.popen``) until a line holds ``needle``; returns what was read."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the run ended before {needle!r}:\n{''.join(seen)[-3000:]}")
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"no {needle!r} within {timeout:.0f} s")


@pytest.fixture(params=["duckdb", "postgres"])
def project(request, tmp_path):
    proj = EtlProject(tmp_path, request.param)
    yield proj
    proj.close()


@pytest.fixture
def duck_project(tmp_path):
    proj = EtlProject(tmp_path, "duckdb")
    yield proj
    proj.close()
