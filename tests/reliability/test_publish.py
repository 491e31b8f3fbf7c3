"""Readers see whole runs (issue 9 item 4): write-audit-publish. dbt builds and tests the marts
in the private schema dw_build; `dw`, which readers query, changes only when a run's every check
has passed, in one transaction, by the changes since the last publish (macros/publicacion.sql).

- DuckDB: a failed check, and a kill during the dimensions, the facts and the final checks,
  each leave every `dw` table equal to the last good run, content hash for content hash; the
  next good run publishes what the failed runs built too (dw then equals dw_build).
- PostgreSQL: a reader polling `dw` during a killed run sees only the last good run, and during
  a run that completes sees the last good run, then the new one, never a mix (the counts and
  content hashes of all 25 tables in one statement, one snapshot).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, EtlProject, dw_fingerprint, dw_fingerprint_sql, dw_tables, require_pg, wait_for_line


def _run_killed_at(project, needle: str) -> str:
    """Starts a `run`, kills it (SIGKILL) as soon as its console shows ``needle``."""
    proc = project.popen("run")
    try:
        seen = wait_for_line(proc, needle)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
    return seen


def _failing_copy(project, tmp: Path) -> Path:
    """The project with one more check, on fact_ventas, that fails whatever the data: a run of this
    copy builds the dimensions and the facts in dw_build and then fails in the facts phase."""
    copy = tmp / "proyecto_con_control_fallido"
    for part in ("models", "macros", "seeds", "snapshots", "tests", "ingest", ".dlt"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("dbt_project.yml", "profiles.yml", "run_etl.py"):
        shutil.copy(ROOT / name, copy / name)
    (copy / "tests" / "singular" / "control_que_falla.sql").write_text(
        "-- fails on purpose (tests/reliability/test_publish.py)\n"
        "select venta_key from {{ ref('fact_ventas') }} limit 1\n", encoding="utf-8")
    return copy


@pytest.fixture
def duck(tmp_path):
    p = EtlProject(tmp_path, "duckdb")
    p.env["DBT_TARGET_PATH"] = str(tmp_path / "dbt_target")
    yield p
    p.close()


# one scheduling unit per adapter (tests/conftest.py): the two tests run side by side under xdist
@pytest.mark.parametrize("adapter", ["duckdb"])
def test_a_failed_check_or_a_kill_leaves_dw_as_the_last_good_run(duck, tmp_path, adapter):
    project = duck
    project.generate(scale=0.1)
    project.run("run")
    good = dw_fingerprint(project)
    assert dw_fingerprint(project, "dw_build") == good
    project.evolve(1)

    # a check fails in the facts phase: dw_build holds the new dimensions and facts, dw does not
    copy = _failing_copy(project, tmp_path)
    proc = subprocess.run([sys.executable, str(copy / "run_etl.py"), "run", "--config", str(project.config_path),
                           "--target", "duckdb"], env=project.env, capture_output=True, text=True, timeout=900,
                          cwd=copy)
    assert proc.returncode == 1, proc.stdout[-4000:]
    assert "control_que_falla" in proc.stdout and "FAILED" in proc.stdout, proc.stdout[-4000:]
    assert dw_fingerprint(project, "dw_build") != good, "the failing run built nothing: the test proves nothing"
    assert dw_fingerprint(project) == good, "a failed check changed dw"

    # killed at each layer of the build of what changed (one dbt invocation): dw stays the last good run
    for needle in ("== 2-5/5 ", "model     dim_", "model     fact_", "model     audit_"):
        seen = _run_killed_at(project, needle)
        assert needle in seen
        assert dw_fingerprint(project) == good, f"a run killed at {needle!r} changed dw"

    # the next good run publishes everything the failed and killed runs built, with its own work
    done = project.run("run")
    assert "SUCCESS" in done.stdout, done.stdout[-3000:]
    published = dw_fingerprint(project)
    assert published != good
    assert published == dw_fingerprint(project, "dw_build")
    pending = project.warehouse_query("select count(*) from dw_build.publicacion_pendiente")[0][0]
    leftovers = project.warehouse_query("select count(*) from information_schema.tables "
                                        "where table_schema = 'dw_build' and table_name like '%\\_\\_%' escape '\\'")
    assert (pending, leftovers[0][0]) == (0, 0), "a publish leaves no pending change and no delta table"


class Poller(threading.Thread):
    """Reads the fingerprint of every dw table in one statement, over and over, until stopped."""

    def __init__(self, project, tables: list[str]):
        super().__init__(daemon=True)
        import psycopg2

        self.con = psycopg2.connect(dbname=project.env["DW_DATABASE"], host=project.env["DW_HOST"],
                                    port=project.env["DW_PORT"], user=project.env["DW_USER"],
                                    password=project.env["DW_PASSWORD"])
        self.con.autocommit = True
        self.sql = dw_fingerprint_sql("postgres", tables)
        self.seen: list[tuple] = []
        self.errors: list[str] = []
        self.halt = threading.Event()

    def run(self):
        cur = self.con.cursor()
        while not self.halt.is_set():
            try:
                cur.execute(self.sql)
                state = tuple(str(v) for v in cur.fetchone())
                if not self.seen or self.seen[-1] != state:
                    self.seen.append(state)
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(str(exc))
            time.sleep(0.02)
        self.con.close()

    def stop(self) -> tuple[list[tuple], list[str]]:
        self.halt.set()
        self.join(timeout=60)
        return self.seen, self.errors


@pytest.fixture
def pg(tmp_path):
    require_pg()
    p = EtlProject(tmp_path, "postgres")
    p.env["DBT_TARGET_PATH"] = str(tmp_path / "dbt_target")
    yield p
    p.close()


@pytest.mark.parametrize("adapter", ["postgres"])
def test_a_reader_polling_postgres_never_sees_half_a_run(pg, adapter):
    project = pg
    project.generate(scale=0.1)
    project.run("run")
    tables = dw_tables(project)
    good = dw_fingerprint(project)
    project.evolve(1)

    # a run killed during the facts: the reader only ever sees the last good run
    reader = Poller(project, tables)
    reader.start()
    _run_killed_at(project, "model     fact_")
    seen, errors = reader.stop()
    assert not errors, errors[:3]
    assert seen == [good], f"a reader saw {len(seen)} states during a killed run"

    # a run that completes: the last good run, then the new one, nothing in between
    reader = Poller(project, tables)
    reader.start()
    done = project.run("run")
    time.sleep(0.3)
    seen, errors = reader.stop()
    assert "SUCCESS" in done.stdout, done.stdout[-3000:]
    new = dw_fingerprint(project)
    assert new != good
    assert not errors, errors[:3]
    assert seen == [good, new], f"a reader saw {len(seen)} states: " + ", ".join(
        "the last good run" if s == good else "the new run" if s == new else "a mixed state" for s in seen)
