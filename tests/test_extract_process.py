"""A `run` extracts in a child process while it parses its dbt project (ingest/orchestrator.py,
extract): the child's metrics come back, its errors are raised in the run, a run killed kills
its extract, an extract killed is an error of the run, and the next run resumes either way."""
from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from conftest import wait_for_line


def _metrics():
    from ingest import orchestrator as orch

    return orch.new_metrics("run", "duckdb")


@pytest.fixture
def wh(tmp_path, monkeypatch):
    from ingest.warehouse import Warehouse

    monkeypatch.setenv("PUNTAFINA_DUCKDB_PATH", str(tmp_path / "wh.duckdb"))
    return Warehouse("duckdb", tmp_path)


def test_the_extract_runs_in_a_child_while_this_process_prepares_the_build(monkeypatch, wh):
    from ingest import orchestrator as orch

    def extract_here(cfg, wh, systems, full, metrics):  # stands in for the dlt extract: what it fills in
        metrics.records_extracted += 42
        metrics.tables["raw_csv.tipos_cambio"] = 42
        time.sleep(0.5)
        metrics.warnings.append(f"extracted by {os.getpid()}")
        metrics.warnings.append(str(time.monotonic()))  # its end (one clock for all processes on Linux)
        return True

    seen = {}

    def meanwhile():
        seen["pid"] = os.getpid()
        seen["during"] = time.monotonic()

    monkeypatch.setattr(orch, "_extract_here", extract_here)
    metrics = _metrics()
    assert orch._extract_in_child(None, wh, ["csv"], False, metrics, meanwhile) is True
    orch.prepared()
    assert metrics.records_extracted == 42 and metrics.tables == {"raw_csv.tipos_cambio": 42}
    child, child_end = int(metrics.warnings[0].rsplit(" ", 1)[1]), float(metrics.warnings[1])
    assert child != os.getpid() and seen["pid"] == os.getpid()
    assert seen["during"] < child_end - 0.2, "meanwhile must run while the child extracts, not after it"
    assert orch._OVERLAP_PEAK_MB.pop(metrics.run_id) > 0


def test_a_build_that_depends_on_the_extract_is_prepared_once_rows_are_committed(monkeypatch, wh):
    from ingest import orchestrator as orch

    def extract_here(cfg, wh, systems, full, metrics):
        time.sleep(0.5)
        if systems == ["csv"]:  # loads rows: says so once, then goes on
            metrics.warnings.append(str(time.monotonic()))
            orch._news()
            orch._news()
            time.sleep(0.5)
            metrics.warnings.append(str(time.monotonic()))
        return True

    started = []
    monkeypatch.setattr(orch, "_extract_here", extract_here)
    metrics = _metrics()
    assert orch._extract_in_child(None, wh, ["csv"], False, metrics,
                                  lambda: started.append(time.monotonic()), at_once=False)
    orch.prepared()
    news_at, end = (float(w) for w in metrics.warnings)
    assert len(started) == 1 and news_at < started[0] < end - 0.2, (news_at, started, end)
    started.clear()
    assert orch._extract_in_child(None, wh, ["orocrm"], False, _metrics(),
                                  lambda: started.append(time.monotonic()), at_once=False)
    orch.prepared()
    assert started == [], "an extract that loads nothing prepares no build"


def test_an_error_in_the_child_is_raised_in_the_run(monkeypatch, wh):
    from ingest import orchestrator as orch

    def extract_here(*_args):
        raise ValueError("a bug in the extract")

    monkeypatch.setattr(orch, "_extract_here", extract_here)
    with pytest.raises(ValueError, match="a bug in the extract"):
        orch._extract_in_child(None, wh, ["csv"], False, _metrics(), lambda: None)
    orch.prepared()


def _extract_child(proc, timeout: float = 60.0) -> psutil.Process:
    """The run's extract process: a fork of the run (the same command line). dbt may start
    multiprocessing's resource tracker beside it, another child, with a command line of its own."""
    run = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids = []
        for kid in run.children():
            try:
                if kid.cmdline() == run.cmdline():
                    kids.append(kid)
            except psutil.NoSuchProcess:
                pass
        if kids:
            assert len(kids) == 1, kids
            return kids[0]
        time.sleep(0.05)
    raise AssertionError("the run started no extract process")


@pytest.fixture
def slow_extract(duck_project):
    """A project whose extract takes many slices (time to act while it runs)."""
    duck_project.env["DBT_TARGET_PATH"] = str(duck_project.tmp / "dbt_target")
    duck_project.generate(scale=0.3)
    duck_project.write_config(batch={"chunk_size": 200, "max_retries": 0, "retry_delay": 0},
                              monitoring={"log_level": "DEBUG"})
    return duck_project


def test_a_killed_run_kills_its_extract_and_an_extract_killed_fails_the_run(slow_extract):
    project = slow_extract
    # 1. the run killed (kill -9): its extract process dies with it, mid-slice
    proc = project.popen("run")
    try:
        wait_for_line(proc, "chunk")
        child = _extract_child(proc)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        gone, alive = psutil.wait_procs([child], timeout=10)
        assert not alive, "the extract outlived its run"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
    # 2. the extract killed (as the kernel's OOM killer does): an error of the run, which says why
    proc = project.popen("run")
    try:
        seen = wait_for_line(proc, "chunk")
        _extract_child(proc).kill()
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
    out = seen + out
    assert proc.returncode == 1, out[-3000:]
    assert "the extract process was killed by signal 9 (SIGKILL) before it finished" in out, out[-3000:]
    assert "Transform skipped: the extract failed" in out and "Traceback" not in out
    # 3. the next run resumes and builds; it parsed the project while it extracted
    done = project.run("run")
    assert "Resuming" in done.stdout, done.stdout[-3000:]
    assert project.raw_counts() == project.source_counts()
    assert project.raw_csv_counts() == project.csv_line_counts()
    log = "".join(p.read_text() for p in (project.tmp / "logs" / "etl").glob("*.log"))
    assert "prepared the build during the extract" in log
    # 4. nothing changed, the same day: the build depends on the extract, which loads nothing,
    # so dbt is not parsed beside it
    before = log.count("prepared the build during the extract")
    again = project.run("run")
    assert "nothing changed since the last build" in again.stdout, again.stdout[-3000:]
    log = "".join(p.read_text() for p in (project.tmp / "logs" / "etl").glob("*.log"))
    assert log.count("prepared the build during the extract") == before
    # 5. a day of changes, the same day: parsed once the extract committed rows
    project.evolve(step=1)
    changed = project.run("run")
    assert "changed since the last build" in changed.stdout, changed.stdout[-3000:]
    log = "".join(p.read_text() for p in (project.tmp / "logs" / "etl").glob("*.log"))
    assert log.count("prepared the build during the extract") == before + 1


def test_no_fork_while_this_process_has_the_duckdb_file_open(tmp_path, monkeypatch):
    """A DuckDB database open in the run would be the child's too (a copy of it): no fork then."""
    import duckdb

    from ingest import orchestrator as orch
    from ingest.warehouse import Warehouse

    monkeypatch.setenv("PUNTAFINA_DUCKDB_PATH", str(tmp_path / "wh.duckdb"))
    wh = Warehouse("duckdb", tmp_path)
    con = duckdb.connect(str(wh.duckdb_path))
    con.execute("create table t as select 1 as x")
    assert orch._file_open(wh) and not orch._can_fork(wh)
    con.close()
    assert not orch._file_open(wh)
    assert not orch._file_open(Warehouse("postgres", tmp_path))
