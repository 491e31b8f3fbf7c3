"""Databases that go away mid-run (issue 9 item 6), PostgreSQL, real subprocesses: the source
database stops accepting connections during ingestion, then the warehouse database during the
dbt build. Each time the run retries per batch.max_retries / retry_delay, then stops with a
non-zero exit and one paragraph naming the database, no traceback; once the database is back
the next run resumes (raw equals the sources, nothing duplicated) and the warehouse builds."""
from __future__ import annotations

import os
import signal
import time

import pytest

from conftest import EtlProject, pg_admin, require_pg


def _wait_for(proc, needle: str, timeout: float = 300.0) -> str:
    """Read the run's console until a line holds ``needle``; returns what was read."""
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
        seen = _wait_for(proc, needle)
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

    # 2. the next run resumes the extraction; the warehouse goes away during the dbt build
    code, out = _run_while_away(project, "== 3/5 Dimensions ==", dw, timeout=600)
    assert code not in (0, None), out[-3000:]
    assert "building: attempt 1 of 3 failed" in out and "building: attempt 2 of 3 failed" in out, out[-3000:]
    summary = out[out.index("== Summary =="):]
    assert "  failure " in summary and f'database "{dw}"' in summary and "Traceback" not in out, out[-3000:]

    # 3. both back: the run completes, raw equals the sources, nothing duplicated
    done = project.run("run")
    assert "SUCCESS" in done.stdout, done.stdout[-3000:]
    assert project.raw_counts() == project.source_counts()
