"""Ingestion through the real path: demo sources -> dlt -> DuckDB / PostgreSQL raw schemas."""
from __future__ import annotations

import json
import re
import os
import signal
import time
from pathlib import Path

import pytest

from ingest import catalog
from ingest.sources.sql_tables import block_width


def _latest_metrics(project) -> dict:
    runs = sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"))
    return json.loads(runs[-1].read_text())


def _cursor_max(project) -> dict[str, str]:
    out = {}
    for t in catalog.tables():
        if t.cursor:
            out[t.name + "@" + t.system] = project.source_query(t.system, f'select max("{t.cursor}") from "{t.name}"')[0][0]
    return out


def test_raw_tables_equal_sources_then_incremental_loads_only_changes(project):
    project.generate(scale=0.2)
    proc = project.run("ingest")
    assert "Extract" in proc.stdout
    assert project.raw_counts() == project.source_counts()
    lines = project.csv_line_counts()
    assert project.raw_csv_counts() == lines
    assert lines["transacciones_tienda"] > 100

    before = _cursor_max(project)
    pos_before = lines["transacciones_tienda"]
    changes = project.evolve(step=1)
    assert changes
    proc = project.run("ingest")
    loaded = _latest_metrics(project)["tables"]

    # exactly the new and updated rows were read from every incremental table
    for t in catalog.tables():
        key = f"raw_{t.system}.{t.name}"
        if t.cursor:
            old = before[t.name + "@" + t.system]
            expected = project.source_query(
                t.system, f'select count(*) from "{t.name}" where "{t.cursor}" > ' + (
                    "%s" if False else f"'{old}'"))[0][0]
            assert loaded[key] == expected, f"{key}: loaded {loaded[key]}, changed in source {expected}"
    assert loaded["raw_orocommerce.oro_order"] > 0
    assert project.raw_counts() == project.source_counts()
    # POS: only the appended lines and the new file
    new_lines = project.csv_line_counts()
    assert loaded["raw_csv.transacciones_tienda"] == new_lines["transacciones_tienda"] - pos_before > 0
    assert project.raw_csv_counts() == new_lines

    # updated values arrived (not only new keys)
    src = dict(project.source_query("orocommerce", "select id, updated_at from oro_order"))
    raw = dict(project.warehouse_query("select id, cast(updated_at as varchar) from raw_orocommerce.oro_order "
                                       "where _deleted_at is null"))  # evolve's deleted orders: marked, kept
    assert {k: str(v)[:19] for k, v in src.items()} == {k: str(v)[:19] for k, v in raw.items()}
    marked = project.warehouse_query("select id from raw_orocommerce.oro_order where _deleted_at is not null order by id")
    assert [r[0] for r in marked] == changes["deleted"]["orocommerce"]["oro_order"]

    # a run with no source change loads nothing from incremental tables
    project.run("ingest")
    loaded = _latest_metrics(project)["tables"]
    for t in catalog.tables():
        if t.cursor:
            assert loaded[f"raw_{t.system}.{t.name}"] == 0
    assert loaded["raw_csv.transacciones_tienda"] == 0


def _wait_for_chunks(proc, checkpoint, at_least: int, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            doc = json.loads(checkpoint.read_text())
            if sum(t.get("chunk", 0) for t in doc["tables"].values()) >= at_least:
                return True
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.05)
    return False


def test_sigkill_at_any_point_then_rerun_gives_exactly_the_source(project):
    """Kill a real ingest subprocess with SIGKILL at several points; the reruns resume, no row lost or doubled."""
    project.generate(scale=0.3)
    project.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0})
    checkpoint = project.tmp / "checkpoints" / "orocommerce.checkpoint"
    outputs = []
    # kill points: during start-up / first extract, then after 1, 3 and 8 more committed slices
    for kill in ("time:1.5", "chunks:1", "chunks:3", "chunks:8", "time:0.3"):
        proc = project.popen("ingest")
        kind, val = kill.split(":")
        if kind == "time":
            time.sleep(float(val))
        else:
            done = 0
            if checkpoint.exists():
                doc = json.loads(checkpoint.read_text())
                done = sum(t.get("chunk", 0) for t in doc["tables"].values())
            _wait_for_chunks(proc, checkpoint, done + int(val))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        outputs.append(out)
    final = project.run("ingest")
    outputs.append(final.stdout)
    assert any("Resuming" in o for o in outputs[1:]), "a rerun after a kill must say where it resumes"
    assert project.raw_counts() == project.source_counts()
    assert project.raw_csv_counts() == project.csv_line_counts()
    sums_src = project.source_query("orocommerce", "select sum(value * quantity) from oro_order_line_item")[0][0]
    sums_raw = project.warehouse_query("select sum(value * quantity) from raw_orocommerce.oro_order_line_item")[0][0]
    assert round(float(sums_src), 2) == round(float(sums_raw), 2)


# Runs run_etl.py with dlt's "job done" marker replaced by a SIGKILL for the first job of the tables in
# PF_KILL_TABLES: the process dies after the warehouse committed the job's rows, before dlt recorded it.
KILL_AFTER_COMMIT = """
import os, runpy, signal, sys
from dlt.common.storages.load_package import PackageStorage
tables = os.environ["PF_KILL_TABLES"].split(",")
save = PackageStorage.save_pending_transition
def kill_after_commit(self, load_id, file_name, state, failed_message=None):
    if state == "completed" and file_name.split(".")[0] in tables:
        os.kill(os.getpid(), signal.SIGKILL)
    return save(self, load_id, file_name, state, failed_message)
PackageStorage.save_pending_transition = kill_after_commit
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_kill_after_a_slice_commits_and_before_dlt_records_it_loads_the_slice_once(project):
    """The window a random kill rarely hits (once in about 9 CI runs): the rows of a job are committed,
    dlt's marker is not written, and the resumed load runs the job again. A replace slice (a table
    without cursor: dlt does not truncate again on resume) and a merge slice (its staging copy) are
    killed there in turn; each rerun removes the package's rows first, and raw equals the source."""
    project.generate(scale=0.2)
    project.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0})
    args = ("ingest", "--sources", "orocommerce")
    outputs = [_killed_after_commit(project, tables, *args).stdout
               for tables in ("oro_price_product", "oro_order_line_item")]
    final = project.run(*args).stdout

    def undone(out: str) -> str:  # the tables whose unrecorded slice a resume removed first
        return " ".join(ln for ln in out.splitlines() if "may have been written already" in ln)

    assert "oro_price_product" in undone(outputs[1]), outputs[1]
    assert "oro_order_line_item" in undone(final), final
    assert project.raw_counts("orocommerce") == project.source_counts("orocommerce")
    sums_src = project.source_query("orocommerce", "select sum(value * quantity) from oro_order_line_item")[0][0]
    sums_raw = project.warehouse_query("select sum(value * quantity) from raw_orocommerce.oro_order_line_item")[0][0]
    assert round(float(sums_src), 2) == round(float(sums_raw), 2)


def test_which_slices_are_appended():
    """After a reload cycle's first (replace) slice: a table without cursor appends; one with a cursor
    appends only in a full cycle whose start is recorded, while every row is older than that start less
    a day; the first slice, a partial reload (ranges), a deletion step and an incremental cycle merge."""
    import datetime as dt

    import pyarrow as pa

    from ingest.pipeline import Job, Plan

    plain, dated = catalog.get("orocommerce", "oro_price_product"), catalog.get("orocommerce", "oro_order")
    start = dt.datetime(2026, 12, 7, 12, 0)
    full = {"chunk": 2, "full": True, "started_utc": start.isoformat()}

    def rows(*stamps):
        return pa.table({dated.cursor: pa.array(list(stamps), pa.timestamp("us"))})

    old, recent = start - dt.timedelta(days=2), start - dt.timedelta(hours=2)
    appendable = Job._appendable
    assert appendable(Plan(plain.name, False, ["id"], {"chunk": 1}), plain, pa.table({"id": [1]}))
    assert not appendable(Plan(plain.name, False, ["id"], {"chunk": 0}), plain, pa.table({"id": [1]}))
    assert not appendable(Plan(plain.name, False, ["id"], {"chunk": 1, "ranges": [[1, 9, 5]]}), plain,
                          pa.table({"id": [1]}))
    assert not appendable(Plan(plain.name, False, ["id"], {"chunk": 1}, deletes=True), plain, pa.table({"id": [1]}))
    assert appendable(Plan(dated.name, True, ["id"], full), dated, rows(old, old))
    assert not appendable(Plan(dated.name, True, ["id"], full), dated, rows(old, recent))
    assert not appendable(Plan(dated.name, True, ["id"], full), dated, rows(old, None))
    assert not appendable(Plan(dated.name, True, ["id"], {**full, "full": False}), dated, rows(old))
    assert not appendable(Plan(dated.name, True, ["id"], {"chunk": 2, "full": True}), dated, rows(old))


def test_a_first_load_appends_its_slices_and_a_day_of_changes_merges(project):
    """Through dlt into the warehouse: the first load of a table runs as a full cycle (replace, then
    appended slices: dlt's staging copy of the table is never written); the next day's slices merge on
    the key; raw equals the source after each."""
    project.generate(scale=0.2)
    project.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0})
    args = ("ingest", "--sources", "orocommerce")
    staged = ("select count(*) from information_schema.tables where table_schema = 'raw_orocommerce_staging' "
              "and table_name = 'oro_order_line_item'")
    # tables over 100 rows count as large for the deletion check (checked every check_every_days)
    project.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0},
                         deletes={"small_table_rows": 100})
    project.run(*args)
    assert project.source_counts("orocommerce")["raw_orocommerce.oro_order_line_item"][0] > 2 * 400
    assert project.warehouse_query(staged)[0][0] == 0
    assert project.raw_counts("orocommerce") == project.source_counts("orocommerce")
    # a full cycle read every row since its start: the table counts as checked for deletions then,
    # without walking its keys again right after
    state = json.loads((project.tmp / "checkpoints" / "orocommerce.checkpoint").read_text())["tables"]
    line_items = state["oro_order_line_item"]
    assert "raw_orocommerce.oro_order_line_item" not in _latest_metrics(project)["deletes_checked"]
    assert line_items["deletes_checked"] == line_items["started_utc"]
    assert line_items["deletes_keys"] == line_items["rows"]
    project.evolve(1)
    gone = project.source_query("orocommerce", "select min(id) from oro_order_line_item")[0][0]
    _source_exec(project, "orocommerce", f"delete from oro_order_line_item where id = {gone}")
    project.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0})  # every run again
    project.run(*args)
    assert project.warehouse_query(staged)[0][0] == 1
    assert project.raw_counts("orocommerce") == project.source_counts("orocommerce")
    assert _raw_marks(project, "oro_order_line_item")[gone] is True  # the next check still finds it


def _killed_after_commit(project, tables: str, *args: str):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_COMMIT, *project.cmd(*args)[1:]],
                          env={**project.env, "PF_KILL_TABLES": tables}, capture_output=True, text=True,
                          timeout=600, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == -signal.SIGKILL, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


# Runs run_etl.py with the given table's PF_FAIL_AT-th load job failing with a transient error right
# after it ran (its rows committed): dlt puts it back, the load raises, and the ETL retries the round.
FAIL_AFTER_COMMIT = """
import os, runpy, sys
from dlt.common.destination.client import RunnableLoadJob
from dlt.common.destination.exceptions import DestinationTransientException
table, at = os.environ["PF_FAIL_TABLE"], int(os.environ["PF_FAIL_AT"])
seen = []
orig = RunnableLoadJob.run_managed
def run_managed(self, job_client, done_event, /):
    if os.path.basename(self._file_path).split(".")[0] == table and not self._file_path.endswith(".sql"):
        seen.append(self._file_path)
        if len(seen) == at:
            run = self.run
            def run_then_fail():
                run()
                raise DestinationTransientException("simulated: the connection dropped after the commit")
            self.run = run_then_fail
    return orig(self, job_client, done_event)
RunnableLoadJob.run_managed = run_managed
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_a_load_job_failing_after_its_commit_is_retried_without_a_second_copy(project):
    """A transient error after the warehouse committed an appended slice (the first load's second slice
    of a 1,211-row table in 400-row slices): dlt puts the job back and the round fails; the ETL's retry
    removes the package's rows of that table, loads the package, and goes on from its state (before, it
    also extracted the round again from the old positions: the slice appended twice)."""
    import subprocess
    import sys

    project.generate(scale=0.2)
    project.write_config(batch={"chunk_size": 400, "max_retries": 1, "retry_delay": 0})
    proc = subprocess.run([sys.executable, "-c", FAIL_AFTER_COMMIT,
                           *project.cmd("ingest", "--sources", "orocommerce")[1:]],
                          env={**project.env, "PF_FAIL_TABLE": "oro_order_line_item", "PF_FAIL_AT": "2"},
                          capture_output=True, text=True, timeout=600, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "simulated: the connection dropped after the commit" in proc.stdout, proc.stdout
    assert "oro_order_line_item: the slice loading when the last attempt stopped may have been written" in proc.stdout
    assert project.raw_counts("orocommerce") == project.source_counts("orocommerce")


def test_a_discarded_load_reloads_the_tables_it_wrote_to(duck_project):
    """recovery.resume_on_failure false: the interrupted package is dropped and the state restored from
    the warehouse, but what its jobs committed stays. Killed right after the first slice of a
    --full-refresh committed (the table truncated, one slice in it), the restored state says the table
    was loaded whole; the table must be reloaded, not continued from that state."""
    p = duck_project
    p.generate(scale=0.2)
    p.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0})
    args = ("ingest", "--sources", "orocommerce")
    p.run(*args)
    _killed_after_commit(p, "oro_order_line_item", *args, "--full-refresh")
    assert p.warehouse_query("select count(*) from raw_orocommerce.oro_order_line_item")[0][0] <= 400
    p.write_config(batch={"chunk_size": 400, "max_retries": 0, "retry_delay": 0},
                   recovery={"resume_on_failure": False})
    out = p.run(*args).stdout
    assert "oro_order_line_item: the discarded load had written to it; reloading it whole" in out, out
    assert p.raw_counts("orocommerce") == p.source_counts("orocommerce")


def test_an_unrecorded_slice_queues_its_tables_other_jobs_of_the_package_again(tmp_path):
    """A table with two files in one package, one loaded and recorded, one started without a marker:
    the package's rows of that table are deleted, so both jobs must load again (the recorded one back
    to new_jobs, a marked started one unmarked). A table whose jobs are all recorded is left alone."""
    import logging
    from types import SimpleNamespace

    from dlt.common.storages import FileStorage, PackageStorage

    from ingest.pipeline import Job

    load_id = "1796139073.254743"
    files = {"completed_jobs": ["t_a.1111.0.parquet", "t_b.3333.0.parquet"],
             "started_jobs": ["t_a.2222.0.parquet", "t_a.4444.0.parquet", "t_b.5555.0.parquet",
                              "t_a.6666.0.sql", "_dlt_pipeline_state.7777.0.jsonl"]}
    for folder, names in {**files, "new_jobs": [], ".pending_transitions": []}.items():
        (tmp_path / load_id / folder).mkdir(parents=True)
        for name in names:
            (tmp_path / load_id / folder / name).write_bytes(b"x")
    packages = PackageStorage(FileStorage(str(tmp_path)), "normalized")
    packages.save_pending_transition(load_id, "t_a.4444.0.parquet", "completed")
    packages.save_pending_transition(load_id, "t_b.5555.0.parquet", "completed")
    deleted = []
    fake = SimpleNamespace(system="orocommerce", log=logging.getLogger("test"),
                           pipeline=SimpleNamespace(_get_load_storage=lambda: SimpleNamespace(
                               normalized_packages=packages)),
                           _delete_package_rows=lambda lid, tables: deleted.append((lid, tables)))
    Job._undo_unmarked_copies(fake)
    assert deleted == [(load_id, ["t_a"])]
    assert sorted(os.listdir(tmp_path / load_id / "new_jobs")) == ["t_a.1111.0.parquet"]
    assert packages.load_pending_transition(load_id, "t_a.4444.0.parquet") is None
    assert packages.load_pending_transition(load_id, "t_b.5555.0.parquet") == ("completed", None)
    assert sorted(os.listdir(tmp_path / load_id / "completed_jobs")) == ["t_b.3333.0.parquet"]


def test_resume_message_names_the_chunk(duck_project):
    p = duck_project
    p.generate(scale=0.3)
    p.write_config(batch={"chunk_size": 300, "max_retries": 0, "retry_delay": 0})
    checkpoint = p.tmp / "checkpoints" / "orocommerce.checkpoint"
    proc = p.popen("ingest", "--sources", "orocommerce")
    assert _wait_for_chunks(proc, checkpoint, 40), "the run ended before the kill point"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    doc = json.loads(checkpoint.read_text())
    unfinished = {n: t["chunk"] for n, t in doc["tables"].items() if not t["done"]}
    assert unfinished
    status = p.run("status").stdout  # where the killed job stands: the tables a resume continues
    for name, chunk in unfinished.items():
        assert re.search(rf"{name}\s+resumable from chunk {chunk + 1}\b", status), status
    out = p.run("ingest", "--sources", "orocommerce").stdout
    for name, chunk in unfinished.items():
        assert f"Resuming orocommerce.{name} from chunk {chunk + 1}" in out, out
    assert p.raw_counts("orocommerce") == p.source_counts("orocommerce")


def test_full_refresh_reloads_everything_and_checkpoint_files(duck_project):
    p = duck_project
    p.generate(scale=0.1)
    p.run("ingest")
    p.run("ingest", "--full-refresh")
    loaded = _latest_metrics(p)["tables"]
    src = p.source_counts()
    for key, (n, _) in src.items():
        assert loaded[key] == n, key
    assert p.raw_counts() == src
    doc = json.loads((p.tmp / "checkpoints" / "orocrm.checkpoint").read_text())
    assert doc["tables"]["orocrm_sales_opportunity"]["done"] is True


def test_a_kill_between_normalize_commit_steps_is_recovered(tmp_path):
    """dlt's normalize renames the package into load/normalized, then deletes the extracted copy; a kill
    in between leaves both, and normalizing again fails ("Directory not empty", seen in CI). The
    extracted copy (and a half-spooled one in load/new) is dropped; the normalized package stays."""
    import logging
    from types import SimpleNamespace

    from ingest.pipeline import Job

    load_id = "1796139073.254743"
    for sub in ("load/normalized", "normalize/extracted", "load/new"):
        (tmp_path / sub / load_id).mkdir(parents=True)
        (tmp_path / sub / load_id / "job.parquet").write_bytes(b"x")
    (tmp_path / "normalize" / "extracted" / "1796139999.1").mkdir()  # not normalized yet: kept
    fake = SimpleNamespace(pipeline=SimpleNamespace(working_dir=str(tmp_path)), system="orocommerce",
                           log=logging.getLogger("test"))
    Job._drop_committed_extracts(fake)
    assert (tmp_path / "load" / "normalized" / load_id / "job.parquet").exists()
    assert not (tmp_path / "normalize" / "extracted" / load_id).exists()
    assert not (tmp_path / "load" / "new" / load_id).exists()
    assert (tmp_path / "normalize" / "extracted" / "1796139999.1").exists()



def _raw_marks(project, table: str) -> dict[int, bool]:
    """id -> whether raw marks the row deleted."""
    return {i: d is not None for i, d in project.warehouse_query(
        f"select id, _deleted_at from raw_orocommerce.{table}")}


def _source_exec(project, system: str, *statements: str) -> None:
    """Statements on a demo source database (SQLite file or PostgreSQL database), committed."""
    if project.target == "duckdb":
        import sqlite3

        con = sqlite3.connect(project.demo.commerce if system == "orocommerce" else project.demo.crm)
        try:
            for sql in statements:
                con.execute(sql)
            con.commit()
        finally:
            con.close()
    else:
        from conftest import pg_admin

        for sql in statements:
            pg_admin(sql, dbname=project.urls[system].rsplit("/", 1)[1])


def test_deletes_are_found_in_bounded_slices_and_marked_in_raw(project):
    """The deletion check walks the keys in slices of chunk_size (here 40 keys of hundreds): deletes at
    the first and last key, on both sides of slice borders, and a run longer than a slice all reach
    raw as _deleted_at, committed with a raised table version; the other rows stay unmarked; a key
    back in the source loses its mark; the schedule (deletes.small_table_rows, check_every_days,
    enabled) is honoured."""
    table = "oro_order_line_item"
    key = f"raw_orocommerce.{table}"
    project.generate(scale=0.05)
    project.write_config(batch={"chunk_size": 40})
    project.run("ingest", "--sources", "orocommerce")
    ids = [r[0] for r in project.source_query("orocommerce", f"select id from {table} order by id")]
    assert len(ids) > 150, len(ids)
    assert not any(_raw_marks(project, table).values())
    version = json.loads((project.tmp / "checkpoints" / "orocommerce.checkpoint").read_text())["tables"][table]["version"]
    gone = sorted({ids[0], ids[39], ids[40], ids[79], ids[80], ids[-1], *ids[100:146]})
    _source_exec(project, "orocommerce", f"create table keep_row as select * from {table} where id = {ids[40]}",
                 f"delete from {table} where id in ({', '.join(map(str, gone))})")
    project.run("ingest", "--sources", "orocommerce")
    metrics = _latest_metrics(project)
    assert metrics["deleted"] == {key: len(gone)}, metrics["deleted"]
    assert key in metrics["deletes_checked"]
    marks = _raw_marks(project, table)
    assert sorted(i for i, d in marks.items() if d) == gone
    assert len(marks) == len(ids)  # marked, not removed
    state = json.loads((project.tmp / "checkpoints" / "orocommerce.checkpoint").read_text())["tables"][table]
    assert state["deletes_keys"] == len(ids) and state["deletes_marked"] == len(gone) and "deletes" not in state
    assert state["version"] > version  # the build plan rebuilds what reads the table

    loads = project.warehouse_query("select count(*) from raw_orocommerce._dlt_loads")[0][0]
    project.run("ingest", "--sources", "orocommerce")  # nothing new: the next check marks nothing
    assert _latest_metrics(project)["deleted"] == {}
    # ... and without a load package: the table being small (under deletes.small_table_rows), its walk
    # over several slices of keys is done in memory (through packages: one per slice), and no
    # incremental table has a new row, so no round runs (before: one state-only package)
    assert project.warehouse_query("select count(*) from raw_orocommerce._dlt_loads")[0][0] == loads
    # a deleted key comes back (re-inserted, with a new update time): loaded again, its mark gone
    _source_exec(project, "orocommerce", f"insert into {table} select * from keep_row",
                 f"update {table} set updated_at = '2030-01-01 00:00:00' where id = {ids[40]}")
    project.run("ingest", "--sources", "orocommerce")
    marks = _raw_marks(project, table)
    assert marks[ids[40]] is False and sum(marks.values()) == len(gone) - 1

    # the schedule: a table over small_table_rows, checked less than check_every_days ago, waits
    project.write_config(batch={"chunk_size": 40}, deletes={"small_table_rows": 10, "check_every_days": 7})
    _source_exec(project, "orocommerce", f"delete from {table} where id = {ids[60]}")
    project.run("ingest", "--sources", "orocommerce")
    assert key not in _latest_metrics(project)["deletes_checked"]
    assert _raw_marks(project, table)[ids[60]] is False
    project.write_config(batch={"chunk_size": 40}, deletes={"enabled": False})
    project.run("ingest", "--sources", "orocommerce")
    assert _latest_metrics(project)["deletes_checked"] == []
    project.write_config(batch={"chunk_size": 40})  # the default: tables up to 100,000 rows, every run
    project.run("ingest", "--sources", "orocommerce")
    assert _raw_marks(project, table)[ids[60]] is True
    assert _latest_metrics(project)["deleted"] == {key: 1}


def _link_rows(project, where: str = "") -> tuple[list, list]:
    """The order-line link table's rows in the source and in raw, sorted (duplicates kept)."""
    sql = f"select order_id, line_item_id from {{}}oro_order_line_items {where} order by 1, 2"
    return ([tuple(r) for r in project.source_query("orocommerce", sql.format(""))],
            [tuple(r) for r in project.warehouse_query(sql.format("raw_orocommerce."))])


def test_a_table_without_cursor_reloads_only_the_blocks_that_moved(project):
    """A table without an update cursor whose keys are integers (oro_order_line_items) is
    fingerprinted by blocks of its leading key: a day that adds, removes and rekeys a few rows
    reloads only the blocks that moved (a block the source emptied included), in packages of at
    most chunk_size rows, resumable after a SIGKILL; raw then equals the source row for row. A
    change to more than half the table reloads it whole, and dlt's stored merge scope of the
    partial reload never leaks into those merge slices (raw equals the source again)."""
    table, key = "oro_order_line_items", "raw_orocommerce.oro_order_line_items"
    project.generate(scale=0.5)
    batch = {"max_retries": 0, "retry_delay": 0}
    project.write_config(batch=batch, deletes={"enabled": False})  # not this test's subject: faster runs
    project.run("ingest", "--sources", "orocommerce")
    src, raw = _link_rows(project)
    assert src == raw and len(src) > 1000
    top = max(r[0] for r in src)
    width = block_width(top, len(src))  # the blocks of the first load
    orders = sorted({r[0] for r in src})
    # scattered changes: 2 orders lose their links, 1 is rekeyed, a block is emptied, and new
    # orders arrive past the largest key
    gone = orders[5:400:300]
    rekeyed = orders[500:501]
    emptied = (orders[700] // width * width, orders[700] // width * width + width)
    _source_exec(project, "orocommerce",
                 f"delete from {table} where order_id in ({', '.join(map(str, gone))})",
                 f"update {table} set line_item_id = line_item_id + 1000000 where order_id in "
                 f"({', '.join(map(str, rekeyed))})",
                 f"delete from {table} where order_id >= {emptied[0]} and order_id < {emptied[1]}",
                 *(f"insert into {table} (order_id, line_item_id) values ({top + 1 + i // 3}, {5000000 + i})"
                   for i in range(12)))
    src, _ = _link_rows(project)
    moved = {o // width for o in [*gone, *rekeyed, *range(top + 1, top + 5)]} | set(
        range(emptied[0] // width, emptied[1] // width))
    expected = sum(1 for r in src if r[0] // width in moved)
    assert 0 < expected < len(src) / 4

    # a partial reload in packages of at most 100 rows (a block each), killed after its second package
    project.write_config(batch={"chunk_size": 100, **batch}, deletes={"enabled": False})
    checkpoint = project.tmp / "checkpoints" / "orocommerce.checkpoint"
    proc = project.popen("ingest", "--sources", "orocommerce", "-v")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            state = json.loads(checkpoint.read_text())["tables"][table]
            if state.get("ranges_left") and state.get("chunk", 0) >= 2:
                break
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.02)
    assert proc.poll() is None, "the partial reload ended before the kill point"
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert re.search(rf"orocommerce\.{table}: \d+ range\(s\) of order_id moved", out), out[-3000:]
    out = project.run("ingest", "--sources", "orocommerce").stdout
    assert f"Resuming orocommerce.{table} from chunk" in out, out
    src, raw = _link_rows(project)
    assert raw == src
    state = json.loads(checkpoint.read_text())["tables"][table]
    assert state["done"] and "ranges_left" not in state
    # what the two runs loaded is the moved blocks' rows, not the table (a replayed package at most twice)
    assert state["rows"] <= expected + 200, (state["rows"], expected)

    # a run with no change loads nothing
    project.run("ingest", "--sources", "orocommerce")
    assert _latest_metrics(project)["tables"][key] == 0
    # one low block moves: its partial reload is the table's last merge, whose scope dlt keeps
    low = orders[1]
    _source_exec(project, "orocommerce", f"update {table} set line_item_id = line_item_id + 2000000 "
                                         f"where order_id = {low}")
    project.run("ingest", "--sources", "orocommerce")
    src, raw = _link_rows(project)
    assert raw == src and 0 < _latest_metrics(project)["tables"][key] <= sum(1 for r in src if r[0] // width == low // width)

    # more than half the table moved: reloaded whole, in keyset slices merged after a replace
    project.write_config(batch={"chunk_size": 300, **batch}, deletes={"enabled": False})
    _source_exec(project, "orocommerce", f"delete from {table} where order_id >= {orders[len(orders) // 3]}",
                 f"insert into {table} (order_id, line_item_id) values ({top + 100}, 7000000)")
    project.run("ingest", "--sources", "orocommerce")
    src, raw = _link_rows(project)
    assert _latest_metrics(project)["tables"][key] == len(src) > 300  # a replace slice, then merges
    assert raw == src
