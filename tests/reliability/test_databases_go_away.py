"""Databases that go away mid-run (issue 9 item 6), PostgreSQL, real subprocesses: the source
database stops accepting connections during ingestion, then the warehouse database during the
dbt build. Each time the run retries per batch.max_retries / retry_delay, then stops with a
non-zero exit and one paragraph naming the database, no traceback; once the database is back
the next run resumes (raw equals the sources, nothing duplicated) and the warehouse builds. When
the warehouse goes away during the facts of a later run, dw stays the last good run until the
next run publishes (write-audit-publish, tests/reliability/test_publish.py)."""
from __future__ import annotations

import os
import signal

import pytest

from conftest import EtlProject, dw_fingerprint, pg_admin, require_pg, wait_for_line


def _away(db: str) -> None:
    pg_admin(f'alter database "{db}" allow_connections false')
    pg_admin(f"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{db}'")


def _back(db: str) -> None:
    pg_admin(f'alter database "{db}" allow_connections true')


def _run_while_away(project, needle: str, db: str, timeout: float) -> tuple[int | None, str]:
    """Starts a `run`, makes ``db`` go away once the console shows ``needle``, brings it back
    when the run has ended; returns the run's exit code and console."""
    proc = project.popen("run")
    try:
        seen = wait_for_line(proc, needle)
        _away(db)
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
        _back(db)
    return proc.returncode, seen + out


@pytest.fixture
def project(tmp_path):
    require_pg()
    p = EtlProject(tmp_path, "postgres")
    try:
        p.env["DBT_TARGET_PATH"] = str(tmp_path / "dbt_target")
        yield p
    finally:
        for db in p.pg_databases:
            _back(db)
        p.close()


def test_source_then_warehouse_go_away_and_the_next_run_resumes(project):
    project.generate(scale=0.05)
    project.write_config(batch={"chunk_size": 50, "max_retries": 2, "retry_delay": 1})
    commerce, dw = project.pg_databases[1], project.pg_databases[0]

    # 1. the OroCommerce database goes away while its tables are being extracted
    code, out = _run_while_away(project, "chunk    2:", commerce, timeout=300)
    assert code not in (0, None), out[-3000:]
    assert "attempt 1 of 3 failed" in out and "attempt 2 of 3 failed" in out, out[-3000:]
    assert commerce in out and "Traceback" not in out, out[-3000:]

    # 1b. the next run resumes the extraction; the warehouse goes away while slices are loaded into it
    code, out = _run_while_away(project, "chunk    ", dw, timeout=300)
    assert code not in (0, None), out[-3000:]
    assert "attempt 1 of 3 failed" in out and "attempt 2 of 3 failed" in out, out[-3000:]
    assert dw in out and "Traceback" not in out, out[-3000:]

    # 2. the next run resumes the extraction; the warehouse goes away during the dbt build
    code, out = _run_while_away(project, "model     dim_", dw, timeout=600)
    assert code not in (0, None), out[-3000:]
    assert "building: attempt 1 of 3 failed" in out and "building: attempt 2 of 3 failed" in out, out[-3000:]
    summary = out[out.index("== Summary =="):]
    assert "  failure " in summary and f'database "{dw}"' in summary and "Traceback" not in out, out[-3000:]

    # 3. both back: the run completes, raw equals the sources, nothing duplicated
    done = project.run("run")
    assert "SUCCESS" in done.stdout, done.stdout[-3000:]
    assert project.raw_counts() == project.source_counts()

    # 4. a day of changes; the warehouse goes away while the facts are built: the run stops, and
    # dw is still the last good run (write-audit-publish), table for table
    good = dw_fingerprint(project)
    project.evolve(1)
    code, out = _run_while_away(project, "model     fact_", dw, timeout=600)
    assert code not in (0, None), out[-3000:]
    assert dw_fingerprint(project) == good, "dw changed while the warehouse went away mid-build"

    # 5. back: the next run builds the changes and publishes them
    done = project.run("run")
    assert "SUCCESS" in done.stdout and "published: dw shows this run" in done.stdout, done.stdout[-3000:]
    assert dw_fingerprint(project) != good
    assert dw_fingerprint(project) == dw_fingerprint(project, "dw_build")
