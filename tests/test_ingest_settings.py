"""Each `batch` and `recovery` setting changes what the ingestion really does."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ingest import catalog
from ingest.config import load_config
from ingest.logs import setup_logging
from ingest.pipeline import MIN_CHUNK, IngestError, Job
from ingest.sources.sql_tables import SourceError
from ingest.warehouse import Warehouse


def _job(p, system: str = "orocommerce", **batch) -> Job:
    p.write_config(batch={"max_retries": 0, "retry_delay": 0, **batch})
    cfg = load_config(p.config_path, root=p.tmp)
    setup_logging(cfg.log_dir)
    import os

    os.environ["PUNTAFINA_DUCKDB_PATH"] = p.env["PUNTAFINA_DUCKDB_PATH"]
    return Job(system, cfg, Warehouse("duckdb", p.tmp))


@pytest.fixture
def small(duck_project):
    duck_project.generate(scale=0.1)
    return duck_project


def test_chunk_size_sets_the_slices(small):
    job = _job(small, chunk_size=250)
    res = job.run(full=False, resume=True)
    n = small.source_counts("orocommerce")["raw_orocommerce.oro_order_line_item"][0]
    assert n > 500
    # ceil(n / 250) slices, plus one empty slice when n divides evenly
    assert res.tables["oro_order_line_item"].chunks in (-(-n // 250), n // 250 + 1)
    doc = json.loads((small.tmp / "checkpoints" / "orocommerce.checkpoint").read_text())
    assert doc["tables"]["oro_order_line_item"]["rows"] == n
    assert small.raw_counts("orocommerce") == small.source_counts("orocommerce")
    # every slice after a table's first was read ahead, while the round before it loaded
    assert job.read_ahead.hits == sum(max(0, p.chunks - 1) for p in res.tables.values()) > 0


def test_a_read_ahead_is_used_only_for_the_slice_it_was_read_for():
    """A retried round asks for the same chunk again, a memory-halved one for fewer rows, a new
    cycle starts at chunk 0: none of them takes a slice read ahead for another; a read that
    failed is not handed out (the round reads again, with its own retries and errors)."""
    from ingest.pipeline import ReadAhead

    class Reader:
        def read(self, table, after, limit):
            if after == ["boom"]:
                raise SourceError("connection reset by peer")
            return {"after": after, "limit": limit}

    table = catalog.get("orocommerce", "oro_order")
    ahead = ReadAhead(Reader(), workers=2)
    try:
        ahead.start(table, {"cycle": 3, "chunk": 2, "after": [10]}, 500)
        assert ahead.take(table, {"cycle": 3, "chunk": 2, "after": [10]}, 500) == {"after": [10], "limit": 500}
        assert ahead.take(table, {"cycle": 3, "chunk": 2, "after": [10]}, 500) is None  # taken once
        for other in ({"cycle": 3, "chunk": 1}, {"cycle": 4, "chunk": 2}):
            ahead.start(table, {"cycle": 3, "chunk": 2, "after": [10]}, 500)
            assert ahead.take(table, other, 500) is None
        ahead.start(table, {"cycle": 3, "chunk": 2, "after": [10]}, 500)
        assert ahead.take(table, {"cycle": 3, "chunk": 2}, 250) is None  # the chunk size was halved
        ahead.start(table, {"cycle": 3, "chunk": 5, "after": ["boom"]}, 500)
        assert ahead.take(table, {"cycle": 3, "chunk": 5, "after": ["boom"]}, 500) is None
        assert ahead.hits == 1
    finally:
        ahead.close()


def test_retries_with_delay_then_success(small, monkeypatch):
    job = _job(small, max_retries=2, retry_delay=0.4)
    real = job.reader.read
    failures = {"left": 2}

    def flaky(table, after, limit):
        if table.name == "oro_order" and failures["left"]:
            failures["left"] -= 1
            raise SourceError("connection reset by peer")
        return real(table, after, limit)

    monkeypatch.setattr(job.reader, "read", flaky)
    t0 = time.monotonic()
    res = job.run(full=False, resume=True)
    assert res.retries == 2
    assert time.monotonic() - t0 >= 0.8  # two waits of retry_delay
    assert small.raw_counts("orocommerce") == small.source_counts("orocommerce")


def test_retries_exhausted_is_a_clear_error(small, monkeypatch):
    job = _job(small, max_retries=1, retry_delay=0)

    def down(table, after, limit):
        raise SourceError("server closed the connection unexpectedly")

    monkeypatch.setattr(job.reader, "read", down)
    with pytest.raises(IngestError, match="after 2 attempt.*server closed the connection"):
        job.run(full=False, resume=True)


def test_timeout_interrupts_a_blocked_read(small):
    job = _job(small, timeout=1)
    lock = sqlite3.connect(small.demo.commerce)
    lock.execute("begin exclusive")  # readers now wait on the lock
    try:
        t0 = time.monotonic()
        with pytest.raises(IngestError, match="batch.timeout"):
            job.run(full=False, resume=True)
        assert time.monotonic() - t0 < 10
    finally:
        lock.rollback()
        lock.close()


def test_max_workers_bounds_parallel_reads(small, monkeypatch):
    for workers, expect_parallel in ((1, False), (3, True)):
        job = _job(small, max_workers=workers)
        real = job.reader.read
        active, peak, guard = [0], [0], threading.Lock()

        def slow(table, after, limit, real=real):
            with guard:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                time.sleep(0.05)
                return real(table, after, limit)
            finally:
                with guard:
                    active[0] -= 1

        monkeypatch.setattr(job.reader, "read", slow)
        job.run(full=True, resume=True)
        assert peak[0] <= workers
        assert (peak[0] > 1) == expect_parallel, (workers, peak[0])


def test_max_memory_halves_the_chunk(small, capsys):
    job = _job(small, chunk_size=4000, max_memory_mb=1)
    job.run(full=False, resume=True)
    # halved after a round over the limit: the load's round, then (1 MB is always exceeded) the
    # deletion check's round of the incremental tables, down to no less than MIN_CHUNK
    assert MIN_CHUNK <= job.chunk_size <= 2000
    assert "over batch.max_memory_mb (1 MB): chunk size 4,000 -> 2,000 rows" in capsys.readouterr().out
    assert small.raw_counts("orocommerce") == small.source_counts("orocommerce")


def test_checkpoints_off_loads_each_table_in_one_piece(small):
    small.write_config(batch={"chunk_size": 100}, recovery={"enable_checkpoints": False})
    out = small.run("ingest", "--sources", "orocommerce").stdout
    assert not (small.tmp / "checkpoints" / "orocommerce.checkpoint").exists()
    assert "chunk    1:" in out and "chunk    2:" not in out
    assert small.raw_counts("orocommerce") == small.source_counts("orocommerce")


def test_json_logs_and_log_files(small):
    small.write_config(monitoring={"log_format": "json"})
    small.run("ingest", "--sources", "orocrm")
    etl = list((small.tmp / "logs" / "etl").glob("ETLOrchestrator_*.log"))
    audit = list((small.tmp / "logs" / "audit").glob("audit_*.log"))
    assert etl and audit and (small.tmp / "logs" / "errors").is_dir()
    records = [json.loads(line) for line in audit[0].read_text().splitlines()]
    assert any("orocrm_sales_opportunity" in r["message"] for r in records)
    assert all({"ts", "level", "message"} <= set(r) for r in records)
    # the ETL log: fields, not the console's padded text
    lines = [json.loads(line) for line in etl[0].read_text().splitlines()]
    run_id = json.loads(sorted((small.tmp / "reports" / "runs").glob("*.json"))[-1].read_text())["run_id"]
    chunks = [r for r in lines if r.get("table") == "raw_orocrm.orocrm_sales_opportunity"]
    assert chunks and all({"run_id", "phase", "table", "rows", "chunk", "level"} <= set(r) for r in chunks), chunks
    assert chunks[-1]["run_id"] == run_id and chunks[-1]["phase"].startswith("Extract") and chunks[-1]["rows"] > 0
    assert "  " not in chunks[-1]["message"]
    done = [r for r in lines if r.get("source") == "orocrm" and "duration_s" in r]
    assert done and done[-1]["rows"] > 0


def test_strategy_full_reloads_all(small):
    small.run("ingest", "--sources", "orocrm")
    small.write_config(loading={"strategy": "full"})
    small.run("ingest", "--sources", "orocrm")
    runs = sorted((small.tmp / "reports" / "runs").glob("*.json"))
    loaded = json.loads(runs[-1].read_text())["tables"]
    assert loaded["raw_orocrm.orocrm_sales_opportunity"] == small.source_counts("orocrm")[
        "raw_orocrm.orocrm_sales_opportunity"][0]


def test_resume_off_discards_the_interrupted_cycle(small):
    import os
    import signal

    small.generate(scale=0.3)
    small.write_config(batch={"chunk_size": 200})
    ck = small.tmp / "checkpoints" / "orocommerce.checkpoint"
    proc = small.popen("ingest", "--sources", "orocommerce")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if ck.exists() and sum(t.get("chunk", 0) for t in json.loads(ck.read_text())["tables"].values()) > 40:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    small.write_config(batch={"chunk_size": 200}, recovery={"resume_on_failure": False})
    out = small.run("ingest", "--sources", "orocommerce").stdout
    assert "Resuming" not in out
    assert "starting over" in out or "discarding" in out
    assert small.raw_counts("orocommerce") == small.source_counts("orocommerce")


def test_csv_malformed_lines_are_kept_and_structure_errors_are_clear(small):
    pos = small.tmp / "inputs" / "ventas" / "transacciones_tienda.csv"
    with pos.open("a", encoding="utf-8") as fh:
        fh.write("T-BAD,1,2026-01-01 10:00:00,S01\n")  # too few fields
    small.run("ingest", "--sources", "csv")
    bad = small.warehouse_query("select _rechazo, _contenido from raw_csv.transacciones_tienda "
                                "where _contenido like 'T-BAD%'")
    assert bad and "campos" in bad[0][0]
    assert small.raw_csv_counts() == small.csv_line_counts()
    suc = small.tmp / "inputs" / "maestros" / "sucursales.csv"
    before = small.warehouse_query("select count(*) from raw_csv.sucursales")
    suc.write_text("codigo,nombre\nS01,Centro\n", encoding="utf-8")
    # an unusable file is one clear error; the other files load and the job goes on (exit 1: partial)
    proc = small.run("ingest", "--sources", "csv", expect=1)
    out = proc.stdout + proc.stderr
    assert "sucursales.csv" in out and "tipo, ciudad, departamento" in out and "Traceback" not in out
    assert small.warehouse_query("select count(*) from raw_csv.sucursales") == before


def test_checkpoints_read_like_the_old_system_and_reset_reloads_a_job(small):
    """data/checkpoints/<job>.checkpoint: job_name, chunk_id, timestamp, total_processed,
    total_failed (for the job and each table) beside the detail a resume uses; `run_etl.py
    reset JOB` makes the job's next run reload every table from scratch, without duplicates."""
    small.run("ingest", "--sources", "orocrm")
    path = small.tmp / "checkpoints" / "orocrm.checkpoint"
    doc = json.loads(path.read_text())
    assert {"job_name", "chunk_id", "timestamp", "total_processed", "total_failed", "status"} <= set(doc)
    sources = small.source_counts("orocrm")
    assert doc["job_name"] == "orocrm" and doc["status"] == "done" and doc["total_failed"] == 0
    assert doc["total_processed"] == sum(n for n, _ in sources.values())
    table = doc["tables"]["orocrm_sales_opportunity"]
    assert table["job_name"] == "orocrm.orocrm_sales_opportunity" and table["chunk_id"] >= 1
    assert table["total_processed"] == sources["raw_orocrm.orocrm_sales_opportunity"][0]
    assert "after" in table, "the resume detail stays"

    def extracted() -> int:
        runs = sorted((small.tmp / "reports" / "runs").glob("*.json"), key=lambda q: q.stat().st_mtime)
        return json.loads(runs[-1].read_text())["records_extracted"]

    small.run("ingest", "--sources", "orocrm")
    assert extracted() == 0, "nothing changed: nothing is reloaded"
    out = small.run("reset", "orocrm").stdout
    assert "reset orocrm: its next run reloads every table from scratch" in out
    assert (small.tmp / "checkpoints" / "orocrm.reset").exists()
    assert not (small.tmp / "checkpoints" / "orocommerce.reset").exists()
    assert "reset requested" in small.run("status").stdout
    out = small.run("ingest", "--sources", "orocrm").stdout
    assert "reset requested" in out
    assert extracted() == sum(n for n, _ in sources.values())
    assert small.raw_counts("orocrm") == sources, "a reload never duplicates"
    assert not (small.tmp / "checkpoints" / "orocrm.reset").exists(), "the request is done"
    assert json.loads(path.read_text())["reset_requested"] is False



def test_the_extract_opens_the_duckdb_file_once(small, monkeypatch):
    """orchestrator.extract holds the warehouse open (Warehouse.held_open): dlt loads through that
    one connection instead of opening the file whenever its connection pool empties (each open
    reads the catalog, each close checkpoints the file), the rows arrive, and the file is closed
    at the end (another configuration opens it). Without the hold, dlt opens it itself."""
    import contextlib

    import duckdb

    from ingest import orchestrator as orch

    p = small
    _job(p)   # the config, the logs and the warehouse path
    cfg = load_config(p.config_path, root=p.tmp)
    wh = Warehouse("duckdb", p.tmp)
    real_connect = duckdb.connect

    def extract(hold: bool) -> list[str]:
        """The full extract of both Oro systems; the opens of the warehouse file by dlt (its
        connection pool passes `config`, the run's own connections do not)."""
        by_dlt: list[str] = []

        def counting_connect(database=":memory:", *args, **kwargs):
            if str(database) == str(wh.duckdb_path) and "config" in kwargs:
                by_dlt.append(str(database))
            return real_connect(database, *args, **kwargs)

        with monkeypatch.context() as m:
            m.setattr(duckdb, "connect", counting_connect)
            if not hold:
                m.setattr(Warehouse, "held_open", lambda self, duckdb_config=None: contextlib.nullcontext())
            assert orch.extract(cfg, wh, ["orocommerce", "orocrm"], True, orch.new_metrics("ingest", "duckdb"))
        return by_dlt

    with wh.held_open({"memory_limit": "70MiB", "threads": 1}):   # the budget's settings, for every connection
        con = wh.connect()
        try:
            settings = con.execute("select current_setting('memory_limit'), current_setting('threads')").fetchone()
        finally:
            con.close()
    assert settings == ("70.0 MiB", 1), settings
    assert len(extract(hold=False)) >= 2, "dlt opens the file itself when nothing holds it"
    assert extract(hold=True) == [], "dlt opened the warehouse file although the extract held it open"
    con = duckdb.connect(str(wh.duckdb_path), config={"threads": 1})   # closed: another configuration opens it
    con.close()
    for system in ("orocommerce", "orocrm"):
        assert p.raw_counts(system) == p.source_counts(system)


def test_a_warehouse_file_locked_by_another_process_is_a_clear_error(small):
    """Another process holds the DuckDB file (a DuckDB CLI, a BI tool): the extract does not hold it
    (Warehouse.held_open steps aside) and each job fails with one line naming the lock, after its
    retries, as before the hold; no traceback."""
    import subprocess
    import sys

    p = small
    p.write_config(batch={"max_retries": 1, "retry_delay": 0})
    p.run("ingest", "--sources", "csv")   # the warehouse file exists
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(120)", p.env["PUNTAFINA_DUCKDB_PATH"]],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = p.run("ingest", "--sources", "orocommerce", expect=1, timeout=300)
    finally:
        holder.kill()
        holder.wait()
    assert "Traceback" not in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-3000:]
    assert "orocommerce:" in proc.stdout and "Could not set lock on file" in proc.stdout, proc.stdout[-3000:]
