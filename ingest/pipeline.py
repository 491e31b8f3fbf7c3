"""The ingestion runner: dlt pipelines that load sources into raw schemas in resumable slices.

One dlt pipeline per source system (``orocommerce``, ``orocrm``, ``csv``), dataset
``raw_<system>``. Work proceeds in rounds: each round is one ``pipeline.run()`` that takes
the next slice (at most ``batch.chunk_size`` rows) of every table not finished yet. The
slice's rows and the table's new position travel in the same dlt load package, so the
position is committed exactly when the rows are: a run killed at any moment loses at most
the round in flight, and the next run resumes from the last committed slice.

- Tables with an update cursor merge on the primary key; their keyset position persists
  across runs, so a run loads only new and updated rows.
- Tables without one are replaced: a *cycle* starts with a ``replace`` slice and goes on
  with ``append`` slices until the table is read to the end (keyset on the primary key: each
  key comes once into the truncated table). A killed cycle is resumed, not restarted. The
  first load of a table with a cursor, and ``--full-refresh``, are such cycles too; their
  slices are appended while every row is older than the cycle's start (a row updated since
  comes again later in cursor order, and that slice merges).
- A slice replayed after a kill never duplicates: before a pending package is loaded again,
  the rows of its jobs that may have been committed without dlt recording it are deleted
  (``Job._undo_unmarked_copies``).
- CSV files are read from the byte offset where the last slice ended. The POS files
  (``transacciones_tienda*.csv``) are incremental: new files and new lines only. Before the
  first round every file's header is checked (``csv_files.read_header``): an unusable file
  (empty, a required column missing, …) is one error naming it; the other files load and the
  run goes on. A table with an unusable file is never truncated: its reload (a non-incremental
  table, or ``--full-refresh``) is skipped this run and its raw rows from the last load stay.
  With ``sources.csv.on_error: fail`` the first unusable file or rejected line stops the job.

Reading and loading overlap: when a table's slice has been read, its next slice is read in the
background (``ReadAhead``, at most ``batch.max_workers`` reads at once) while dlt normalizes and
loads the round. The read-ahead lives only in memory: a kill still loses at most the round in
flight, and a round that fails (and is retried) reads its slice again. A SQL slice holds each
primary key once (keyset pagination), so the merge loads it without dlt's deduplication pass.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest import budget as memory_budget
from ingest import catalog
from ingest.config import Config
from ingest.logs import get_logger
from ingest.sources import csv_files
from ingest.sources import sql_tables
from ingest.sources.sql_tables import SliceReader, SourceError, last_keys, make_reader
from ingest.warehouse import Warehouse

SYSTEMS = ("orocommerce", "orocrm", "csv")
MIN_CHUNK = 1000
# an update cursor later than now + this is "in the future" (clock skew of a day is tolerated)
FUTURE_TOLERANCE = 86400
DELETED_AT = "_deleted_at"  # raw column of incremental tables: when the row's key was found gone from the source
# dlt job files that copy rows into a table (the others: "sql" follow-up jobs, such as a merge)
COPY_FORMATS = frozenset({"parquet", "jsonl", "typed-jsonl", "insert_values", "csv"})
MARK_BATCH = 1000           # keys per query when the rows to mark are read back from raw

os.environ.setdefault("DO_NOT_TRACK", "1")
# dlt's settings are in .dlt/config.toml beside the project, found from any working directory
os.environ.setdefault("DLT_PROJECT_DIR", str(Path(__file__).resolve().parents[1]))


class IngestError(Exception):
    """Ingestion failed for a reason worth one clear paragraph (source down, bad file, …)."""


@dataclass
class TableProgress:
    table: str
    rows: int = 0          # rows loaded by this run
    chunks: int = 0        # slices committed by this run
    total_rows: int = 0    # rows loaded in the current cycle (including earlier runs when resumed)
    cycle_chunk: int = 0   # slices committed in the current cycle
    resumed_from: int | None = None
    rejected: int = 0
    expected: int | None = None  # rows left to read when the run started (progress bars; None: not counted)
    quarantined: dict = field(default_factory=dict)  # reason -> source rows quarantined by this run
    unchanged: bool = False  # no update cursor, and its fingerprint says the source did not move
    deleted: int = 0       # raw rows this run marked deleted (_deleted_at): their keys are gone from the source
    deletes_checked: bool = False  # this run completed a deletion check of the table


@dataclass
class JobResult:
    system: str
    tables: dict[str, TableProgress] = field(default_factory=dict)
    rounds: int = 0
    retries: int = 0
    seconds: float = 0.0
    input_errors: list = field(default_factory=list)    # unusable CSV files: errors, but the run goes on
    input_warnings: list = field(default_factory=list)  # CSV tables not reloaded, lines re-decoded
    warnings: list = field(default_factory=list)  # schema drift, quarantined rows
    errors: list = field(default_factory=list)    # tables that could not be read (the others were)
    versions: dict = field(default_factory=dict)  # table -> its raw table's version (see table_versions)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def demo_source_url(system: str, cfg: Config, wh: Warehouse) -> str:
    """The demo source for a system: SQLite files for DuckDB, databases on the warehouse server for PostgreSQL."""
    if wh.target == "postgres":
        return wh.pg_url(f"{system}_demo")
    return "sqlite:///" + str(cfg.resolve(cfg["sources"]["demo_dir"]) / f"{system}.sqlite")


def source_url(system: str, cfg: Config, wh: Warehouse) -> str:
    url = cfg["sources"][system]["url"]
    return demo_source_url(system, cfg, wh) if url == "demo" else url


# ------------------------------------------------------------------ table plans
@dataclass
class Plan:
    """What the next slice of one table does."""
    name: str
    incremental: bool
    primary_key: list[str]
    state: dict  # the table's committed slice state (a copy; the resource writes the new one)
    deletes: bool = False  # a step of the table's deletion check (Job._delete_slices), not a load slice

    @property
    def write_disposition(self) -> str:
        # the first slice of a replace cycle truncates the table; every other slice merges
        if self.deletes or self.state.get("ranges"):
            return "merge"
        if self.state.get("chunk", 0) == 0 and (not self.incremental or self.state.get("full")):
            return "replace"
        return "merge"


def _new_cycle(prev: dict | None, incremental: bool, full: bool) -> dict:
    keep = {} if (prev is None or full or not incremental) else {
        k: prev[k] for k in ("after", "files") if k in prev}
    if prev and "version" in prev:  # never reset: the build plan compares it with the last build's
        keep["version"] = prev["version"]
    # the deletion check's schedule survives every cycle; a check in progress survives an incremental
    # cycle (it resumes), not a reload (the truncated table has no rows left to mark)
    for k in ("deletes_checked", "deletes_keys") + (() if full else ("deletes",)):
        if prev and k in prev:
            keep[k] = prev[k]
    # a first load is a full one: its first slice truncates (or creates) the table
    return {"cycle": (prev or {}).get("cycle", 0) + 1, "chunk": 0, "rows": 0, "done": False,
            "full": bool(full or prev is None), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "started_utc": _utc_now().isoformat(), **keep}


def _moved_ranges(prev: dict | None, blocks: tuple[int, dict, str] | None) -> list | None:
    """The ranges of the block column to reload, ``[low, high, source rows]`` in key order: the
    blocks whose row count or hash sum differs from the last complete load's (``state["blocks"]``,
    same width), adjacent blocks joined. None when the table is to be reloaded whole: no blocks
    recorded (a table loaded before blocks existed), another width, a moved block of null or
    negative keys, or more than half the table's rows moved (one pass over it is cheaper)."""
    last = (prev or {}).get("blocks")
    if not blocks or not prev or not prev.get("done") or not last or last.get("width") != blocks[0]:
        return None
    width, new, _ = blocks
    old = last.get("sums") or {}
    moved = [b for b in set(old) | set(new) if old.get(b) != new.get(b)]
    if not moved or not all(b.isdigit() for b in moved):
        return None

    def rows(sig: str | None) -> int:
        return int(sig.split(":")[0]) if sig else 0

    total = sum(rows(v) for v in new.values())
    if sum(rows(new.get(b)) + rows(old.get(b)) for b in moved) > max(total, 1) / 2:
        return None
    ranges: list[list[int]] = []
    for b in sorted(int(b) for b in moved):
        lo, n = b * width, rows(new.get(str(b)))
        if ranges and ranges[-1][1] == lo:
            ranges[-1][1] += width
            ranges[-1][2] += n
        else:
            ranges.append([lo, lo + width, n])
    return ranges


def _range_group(state: dict, limit: int) -> list:
    """The ranges one package of a partial reload takes: from the first, while their source rows
    stay within ``limit`` (always at least one)."""
    group, n = [], 0
    for r in state.get("ranges") or []:
        if group and n + r[2] > limit:
            break
        group.append(r)
        n += r[2]
    return group


class ReadAhead:
    """The next slice of each table, read in the background while the current round loads.

    A read is keyed by the slice it is for (the table's cycle and chunk number, and its row
    limit): the next round takes it only when it asks for exactly that slice, so a retried round
    (same chunk as before), a chunk size halved by the memory guard or a new cycle reads afresh.
    A read that failed is dropped and redone by the round itself, with its retries and errors."""

    def __init__(self, reader: SliceReader, workers: int):
        self.reader = reader
        self.workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[str, tuple[tuple, Future]] = {}
        self._lock = threading.Lock()
        self.hits = 0

    @staticmethod
    def _key(state: dict, limit: int) -> tuple:
        return state.get("cycle"), state.get("chunk"), limit

    def start(self, table, state: dict, limit: int) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="read-ahead")
        future = self._pool.submit(self.reader.read, table, state.get("after"), limit)
        with self._lock:
            old = self._pending.pop(table.name, None)
            self._pending[table.name] = (self._key(state, limit), future)
        if old:
            old[1].cancel()

    def take(self, table, state: dict, limit: int):
        with self._lock:
            entry = self._pending.pop(table.name, None)
        if entry is None:
            return None
        key, future = entry
        if key != self._key(state, limit):
            future.cancel()
            return None
        try:
            data = future.result()
        except Exception:  # noqa: BLE001 - the round reads it again and handles the error
            return None
        self.hits += 1
        return data

    def empty(self, table, state: dict, limit: int) -> bool:
        """Whether the slice read ahead for exactly this slice came back without a row (it is then
        dropped). False when there is none, it is for another slice, or it failed: the round reads it."""
        with self._lock:
            entry = self._pending.get(table.name)
        if entry is None or entry[0] != self._key(state, limit):
            return False
        try:
            if entry[1].result().num_rows:
                return False
        except Exception:  # noqa: BLE001 - the round reads it again and handles the error
            return False
        self.take(table, state, limit)
        return True

    def close(self) -> None:
        """Drops what was read ahead and waits for reads in progress (the job is over)."""
        with self._lock:
            self._pending.clear()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class Job:
    """One source system's dlt pipeline and its tables."""

    def __init__(self, system: str, cfg: Config, wh: Warehouse, chunk_size: int | None = None):
        self.system = system
        self.cfg = cfg
        self.wh = wh
        self.log = get_logger("ingest")
        self.audit = get_logger("audit")
        self.chunk_size = chunk_size or cfg.batch["chunk_size"]
        self.checkpoints = cfg.raw["recovery"]["enable_checkpoints"]
        if not self.checkpoints:
            self.chunk_size = 2 ** 31 - 1  # checkpoints off: each table in one package, no resume
        # batch.max_workers and batch.max_memory_mb: workers, DuckDB's limits, slice bytes (ingest/budget.py)
        self.budget = memory_budget.export(cfg)
        self._row_bytes: dict[str, float] = {}  # table -> Arrow bytes per row of its last slice
        try:  # dlt imports pandas lazily inside the parallel extract threads, where two threads can meet
            import pandas  # noqa: F401  a half-initialised module; importing it once here first avoids that
        except ImportError:
            pass
        self.reader: SliceReader | None = None
        self.read_ahead: ReadAhead | None = None
        self.count_rows = False  # count each table's rows to read first (progress bars on a terminal)
        self._csv_inputs: dict[str, list[tuple[Path, str, csv_files.Header]]] = {}
        self._csv_errors: list[str] = []
        self._csv_warnings: list[str] = []
        self.quarantined: dict[str, dict[str, int]] = {}  # table -> reason -> rows (this run)
        self._discarded: set[str] = set()  # tables a discarded interrupted load wrote to (_finish_pending)
        if system != "csv":
            self.reader = make_reader(source_url(system, cfg, wh), cfg.batch["timeout"], cfg.root)
            self.read_ahead = ReadAhead(self.reader, self.budget.workers)
            self.tables = {t.name: t for t in catalog.tables(system)}
        else:
            self.tables = csv_files.CSV_FILES
        self.pipeline = self._pipeline()

    # -- dlt plumbing
    def _pipeline(self):
        return dlt_pipeline(self.system, self.cfg, self.wh, self.budget.dlt_duckdb_config())

    def _table_states(self) -> dict[str, dict]:
        return _slice_states(self.pipeline)

    def _resource(self, plan: Plan):
        import dlt

        # a partial reload's package: the next ranges, the same ones for its rows and its merge's delete
        group = _range_group(plan.state, self._slice_rows(plan.name)) if plan.state.get("ranges") else None
        if self.system == "csv":
            gen = self._csv_slices(plan)
        elif plan.deletes:
            gen = self._delete_slices(plan)
        elif group:
            gen = self._range_slices(plan, group)
        else:
            gen = self._sql_slices(plan)
        disposition = plan.write_disposition
        if disposition == "merge" and self.system != "csv":
            # keyset slices of a table with a primary key hold each key once: no dedup pass in the merge
            disposition = {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}
            scope = self._merge_scope(plan, group)
            if scope:
                disposition["destination_scope"] = scope
        return dlt.resource(gen, name=plan.name, primary_key=plan.primary_key,
                            write_disposition=disposition, parallelized=True,
                            columns=self._column_hints(plan.name))

    def _column_hints(self, name: str) -> dict:
        """Timestamps stay naive UTC (as Oro stores them), not shifted into a session time zone."""
        if self.system == "csv":
            return {}
        hints = {c.name: {"data_type": "timestamp", "timezone": False, "precision": 6}
                 for c in self.tables[name].columns if c.type.startswith("timestamp")}
        for col in self.reader.drift.get(name, ()):  # dropped from the source: loaded as null
            hints.setdefault(col, {})["nullable"] = True
        if self.tables[name].incremental:  # the deletion mark (null on every loaded row)
            hints[DELETED_AT] = {"data_type": "timestamp", "timezone": False, "precision": 6, "nullable": True}
        return hints

    def _merge_scope(self, plan: Plan, group: list | None) -> str | None:
        """The raw rows a merge slice of a table fingerprinted by blocks replaces (dlt's
        ``destination_scope``: the merge deletes them, then inserts the slice, in one transaction):
        the ranges of the blocks it reloads, or in a reload cycle every row after the slice's start
        (the rows of the slice if a replay loaded them already). dlt keeps a table's scope in its
        schema, so every merge of such a table states its own. None for the other tables: their
        merge deletes the slice's keys."""
        table = self.tables.get(plan.name)
        if plan.deletes or table is None or sql_tables.block_column(table) is None:
            return None
        if group:
            return sql_tables.range_condition(sql_tables.block_column(table), [r[:2] for r in group])
        after = plan.state.get("after")
        return sql_tables.keyset_scope(table, after) if after is not None else "1 = 1"

    def _range_slices(self, plan: Plan, group: list):
        """One package of a partial reload (a table fingerprinted by blocks whose content moved in
        a few blocks only, ``_moved_ranges``): every source row of the next ranges (at most one
        slice's rows by the source's block counts, at least one range) replaces raw's rows of those
        ranges (``_merge_scope``), rows the source deleted included; the ranges left travel in the
        state committed with the rows, so a killed reload resumes with the ranges not loaded."""
        import dlt

        table = self.tables[plan.name]

        def slices():
            st = dlt.current.resource_state()
            s = dict(plan.state)
            checked = self._screen(table, self.reader.read(table, None, 0, ranges=[r[:2] for r in group]))
            # an empty slice still runs the merge: the ranges' raw rows are deleted
            yield checked.rows if checked.rows.num_rows else self._empty(checked.rows)
            yield from self._quarantined(table.name, checked)
            s["version"] = s.get("version", 0) + 1  # committed with the rows (see table_versions)
            s["ranges"] = s["ranges"][len(group):]
            s["chunk"] += 1
            s["rows"] += checked.rows.num_rows
            s["last_rows"] = checked.rows.num_rows
            s["done"] = not s["ranges"]
            if s["done"]:
                s.pop("ranges")
            st["slices"] = s

        return slices

    def _sql_slices(self, plan: Plan):
        import dlt

        table = self.tables[plan.name]
        reader, size = self.reader, self._slice_rows(plan.name)

        def slices():
            st = dlt.current.resource_state()
            s = dict(plan.state)
            data = self.read_ahead.take(table, s, size)
            if data is None:
                data = reader.read(table, s.get("after"), size)
            checked = self._screen(table, data)
            if table.incremental:  # a loaded row is not deleted: a key back in the source loses its old mark
                checked.rows = _with_deleted_at(checked.rows, None)
            first_ever = s.get("after") is None and s["chunk"] == 0
            if checked.rows.num_rows:
                yield self._appended(checked.rows) if self._appendable(plan, table, checked.rows) else checked.rows
            elif plan.write_disposition == "replace" or first_ever:
                yield self._empty(checked.rows)  # an empty first slice still creates (or truncates) the raw table
            if checked.rows.num_rows or plan.write_disposition == "replace" or first_ever:
                s["version"] = s.get("version", 0) + 1  # committed with the rows (see table_versions)
            yield from self._quarantined(table.name, checked)
            if checked.position.num_rows:
                s["after"] = last_keys(checked.position, table)
            elif data.num_rows >= size:
                raise SourceError(f"{table.name}: a whole slice of {data.num_rows:,} rows has a null primary key or "
                                  f"a future {table.cursor}; the table cannot be paginated", transient=False)
            s["chunk"] += 1
            s["rows"] += checked.rows.num_rows
            s["last_rows"] = checked.rows.num_rows
            # rows with a future cursor sort last: the slice that meets one ends the table for this run
            s["done"] = data.num_rows < size or sql_tables.FUTURE in checked.counts
            if s["done"] and s.get("full") and s.get("started_utc") and table.incremental:
                # a full cycle truncated the table and read every row since its start: what the source
                # deleted before that start is not in raw, so the table counts as checked then
                # (deletes.check_every_days from there; a small table is checked every run anyway)
                s.pop("deletes", None)
                s["deletes_checked"] = s["started_utc"]
                s["deletes_keys"] = s["rows"]
            st["slices"] = s
            if not s["done"]:  # the next slice is read while this round is normalized and loaded
                self.read_ahead.start(table, s, self._slice_rows(table.name))

        return slices

    @staticmethod
    def _appendable(plan: Plan, table, rows) -> bool:
        """Whether a slice is appended instead of merged on its keys (no staging copy, no merge):
        a slice after the first of a reload cycle (its first one, ``replace``, truncated the
        table). A table without cursor is read in primary-key order, so each key comes once in
        the cycle. A table with one is read in cursor order: a row updated while the cycle reads
        comes again, later, with a newer cursor, and the slice that holds it must merge (its
        delete takes the older copy). So its slice is appended only when every row's cursor is
        older than the cycle's start, less a day of clock difference between source and ETL (the
        tolerance of future cursors); a cycle recorded before the start time was kept merges. A
        replayed appended slice is undone first (``_undo_unmarked_copies``)."""
        s = plan.state
        if plan.write_disposition != "merge" or plan.deletes or s.get("ranges") or not s.get("chunk"):
            return False
        if not table.incremental:
            return True
        if not s.get("full") or not s.get("started_utc") or not table.cursor:
            return False
        import pyarrow.compute as pc

        cursor = rows.column(table.cursor)
        if cursor.null_count:
            return False
        newest = pc.max(cursor).as_py()
        limit = dt.datetime.fromisoformat(s["started_utc"]) - dt.timedelta(seconds=FUTURE_TOLERANCE)
        try:
            return newest is not None and newest < limit
        except TypeError:  # a cursor that is not a timestamp: merged
            return False

    @staticmethod
    def _appended(rows):
        """The slice, marked for dlt to append to the table (this package only)."""
        import dlt

        return dlt.mark.with_hints(rows, dlt.mark.make_hints(write_disposition="append"))

    def _screen(self, table, data):
        """A slice as read, measured (its bytes a row size the next slices) and screened by the
        row contracts (``sql_tables.screen``: null keys, future cursors, JSON that does not parse)."""
        self._measure(table.name, data)
        horizon = (dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
                   + dt.timedelta(seconds=FUTURE_TOLERANCE))
        # PostgreSQL's jsonb cannot hold text that does not parse: only SQLite sources are checked
        return sql_tables.screen(data, table, horizon, self.reader.dialect == "sqlite")

    def _quarantined(self, name: str, checked):
        """The slice's quarantined rows, if any, for its load package (``_quarantine``), counted
        by reason for the run's report."""
        if checked.quarantine:
            yield self._quarantine(checked.quarantine)
            counts = self.quarantined.setdefault(name, {})
            for reason, n in checked.counts.items():
                counts[reason] = counts.get(reason, 0) + n

    def _quarantine(self, rows: list[dict]):
        """Quarantined source rows travel in the slice's own load package (committed with it), to
        raw_<system>._cuarentena, merged on a hash of table, reason and row (a row seen again on a
        later run is one row)."""
        import dlt
        import pyarrow as pa

        data = pa.Table.from_pylist(rows, schema=sql_tables.quarantine_schema())
        hints = dlt.mark.make_hints(table_name=sql_tables.QUARANTINE_TABLE, write_disposition="merge",
                                    primary_key="_cuarentena_id")
        return dlt.mark.with_hints(data, hints, create_table_variant=True)

    # -- deletions (incremental SQL tables: the others are reloaded whole, so a deleted row leaves with the reload)
    def _quick_deletes(self, plans: dict, states: dict) -> set[str]:
        """The tables whose load just finished and whose deletion check is due and done here,
        without a package (``_checked_without_a_package``), on one warehouse connection."""
        due = [n for n, p in plans.items() if not p.deletes and states.get(n, {}).get("done")
               and self._deletes_due(n, states.get(n, {}))]
        if not due:
            return set()
        con = self.wh.connect()
        try:
            return {n for n in due if self._checked_without_a_package(n, states.get(n, {}), con)}
        finally:
            con.close()

    def _deletes_due(self, name: str, state: dict) -> bool:
        """Whether the table's deletion check runs this run (after its load): a check in progress
        always resumes; else a table never checked, or holding at most deletes.small_table_rows rows
        at its last check, every run; a larger one when deletes.check_every_days have passed."""
        conf = self.cfg["deletes"]
        table = self.tables.get(name)
        if self.reader is None or table is None or not table.incremental or not conf["enabled"]:
            return False
        if not _integer_key(table):
            return False  # text keys sort by collation, which may differ between source and warehouse
        if state.get("deletes"):
            return True
        last = state.get("deletes_checked")
        if last is None or int(state.get("deletes_keys", 0)) <= conf["small_table_rows"]:
            return True
        return _utc_now() - dt.datetime.fromisoformat(last) >= dt.timedelta(days=conf["check_every_days"])

    def _delete_slices(self, plan: Plan):
        """One step of a table's deletion check, committed like a slice (resumable, its marks and its
        position in one load package). The step walks the primary keys from the last position: the
        next ``chunk_size`` unmarked raw keys, and the source's keys up to the last of them (at most
        ``chunk_size``; when the source fills them first, the step ends at its last key). A raw key in
        that range that the source lacks was deleted there: its raw row is written again with
        ``_deleted_at`` = the check's start (UTC), and the table's version rises (the build plan
        rebuilds what reads it). Memory: two key slices and the marked rows, whatever the table's size."""
        import dlt

        table = self.tables[plan.name]
        size = self.chunk_size

        def slices():
            st = dlt.current.resource_state()
            s = dict(plan.state)
            walk = dict(s.get("deletes") or {"after": None, "started": _utc_now().isoformat(sep=" ", timespec="seconds"),
                                             "keys": 0, "marked": 0})
            in_range, gone, upto = self._walk_step(table, walk["after"], size)
            if gone:
                yield self._marked_rows(table, gone, dt.datetime.fromisoformat(walk["started"]))
                s["version"] = s.get("version", 0) + 1  # committed with the marks (see table_versions)
            walk["keys"] += len(in_range)
            walk["marked"] += len(gone)
            if upto is None:  # the walk passed the last raw key: the check is complete
                s.pop("deletes", None)
                s["deletes_checked"] = walk["started"]
                s["deletes_keys"] = walk["keys"]
                s["deletes_marked"] = walk["marked"]
            else:
                walk["after"] = list(upto)
                s["deletes"] = walk
            s["last_deleted"] = len(gone)
            st["slices"] = s

        return slices

    def _walk_step(self, table, after: list | None, size: int, con=None) -> tuple[list, list, tuple | None]:
        """One step of the key walk from ``after``: the next ``size`` unmarked raw keys and the
        source's keys up to the last of them (at most ``size``; when the source fills them first, the
        step ends at its last key). Returns the raw keys of the step's range, those of them the
        source lacks (deleted there), and where the step ended (None: past the last raw key, the
        walk is complete). ``con``: a warehouse connection to read raw on (else one of its own)."""
        raw = self._raw_keys(table, after, size, con)
        upto = raw[-1] if len(raw) >= size else None
        src = self.reader.keys(table, after, None if upto is None else list(upto), size) if raw else []
        if len(src) >= size and (upto is None or src[-1] < upto):
            upto = src[-1]
        in_range = [k for k in raw if upto is None or k <= upto]
        present = set(src)
        return in_range, [k for k in in_range if k not in present], upto

    def _raw_relation(self, table) -> str:
        return f'"raw_{self.system}"."{table.name}"'  # names from the catalog (code), quoted

    def _raw_keys(self, table, after: list | None, limit: int, con=None) -> list[tuple]:
        """The next ``limit`` primary keys of the raw table's unmarked rows after ``after``
        (on ``con``, a warehouse connection, or one of its own)."""
        sql = sql_tables.key_query(table, self._raw_relation(table), after, None, limit, "postgres",
                                   f'"{DELETED_AT}" is null')
        own = con is None
        con = self.wh.connect() if own else con
        try:
            cur = con.cursor()
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            if own:
                con.close()

    def _checked_without_a_package(self, name: str, state: dict, con) -> bool:
        """The deletion check of a small table that lost nothing, done without a dlt package: when
        the table's last check is recorded and no walk is in progress, its keys are compared here,
        step by step (``_walk_step``: at most ``chunk_size`` keys a side in memory), up to
        deletes.small_table_rows keys; nothing gone means nothing to mark and no state to change
        (the recorded schedule only matters for large tables), so the check costs the key reads
        instead of a load package per step (a run with no change checks every small table). A key
        gone, a first check, or a table past small_table_rows takes the committed path (which
        walks again from the start, marking what is gone)."""
        if state.get("deletes") or state.get("deletes_checked") is None:
            return False
        limit = int(self.cfg["deletes"]["small_table_rows"])
        size = min(self.chunk_size, limit + 1)
        after, seen = None, 0
        while True:
            in_range, gone, upto = self._walk_step(self.tables[name], after, size, con)
            seen += len(in_range)
            if gone or seen > limit:
                return False
            if upto is None:
                return True
            after = list(upto)

    def _marked_rows(self, table, keys: list[tuple], deleted_at: dt.datetime):
        """The raw rows of ``keys`` as they are (the catalog's columns, typed as a slice), with
        ``_deleted_at`` set: merged on the primary key, they replace the rows with their marked copy."""
        import pyarrow as pa

        cols = ", ".join(f'cast("{c.name}" as text) as "{c.name}"' if c.type.lower() in sql_tables.JSON_TYPES
                         else f'"{c.name}"' for c in table.columns)
        pk = ", ".join(f'"{k}"' for k in table.primary_key)
        rows: list[tuple] = []
        con = self.wh.connect()
        try:
            cur = con.cursor()
            for i in range(0, len(keys), MARK_BATCH):
                part = keys[i:i + MARK_BATCH]
                values = ", ".join("(" + ", ".join(sql_tables._literal(v, "postgres") for v in k) + ")" for k in part)
                cur.execute(f"select {cols} from {self._raw_relation(table)} where ({pk}) in ({values})")
                rows.extend(cur.fetchall())
        finally:
            con.close()
        schema = catalog.arrow_schema(table)
        data = pa.Table.from_arrays([pa.array([r[i] for r in rows], fld.type) for i, fld in enumerate(schema)],
                                    schema=schema)
        return _with_deleted_at(data, deleted_at)

    def _ensure_deleted_column(self, names) -> None:
        """Every incremental raw table has ``_deleted_at``, so staging can rely on it: a table
        created before deletions were tracked (or that no slice has reached since) gets it here,
        empty; dlt, which compares its schema with the tables, then sees it and adds nothing."""
        names = [n for n in names if self.tables[n].incremental]
        if self.reader is None or not names:
            return
        p = "?" if self.wh.target == "duckdb" else "%s"
        con = self.wh.connect()
        try:
            cur = con.cursor()
            cur.execute(f"select table_name, column_name from information_schema.columns where table_schema = {p}",
                        (f"raw_{self.system}",))
            have: dict[str, set] = {}
            for tname, cname in cur.fetchall():
                have.setdefault(tname, set()).add(cname)
            for name in names:
                if name in have and DELETED_AT not in have[name]:
                    cur.execute(f'alter table {self._raw_relation(self.tables[name])} add column "{DELETED_AT}" timestamp')
                    self.log.info(f"  {self.system}.{name}: column {DELETED_AT} added to the raw table "
                                  f"(deletions are tracked from now on)")
        finally:
            con.close()

    def _csv_precheck(self, states: dict[str, dict], full: bool) -> set[str]:
        """Check every CSV file's header once per run; returns the tables not to reload this run.

        An unusable file is logged as an error naming it and left out (its state untouched, so it
        is read once fixed); a table with one is not truncated (see the module docstring)."""
        csv_cfg = self.cfg["sources"]["csv"]
        root, fail = self.cfg.csv_dir, csv_cfg["on_error"] == "fail"
        keep: set[str] = set()
        for name, spec in self.tables.items():
            usable, bad = [], []
            known = states.get(name, {}).get("files", {})
            for path in csv_files.files_for(spec, root):
                rel = path.relative_to(root).as_posix()
                try:
                    header = csv_files.read_header(path, spec, csv_cfg["encoding"], known.get(rel))
                except csv_files.CsvStructureError as exc:
                    msg = str(exc).replace(str(path), rel)
                    if fail:
                        raise IngestError(f"{msg} (sources.csv.on_error is fail: the run stops at the first "
                                          f"unusable file)") from None
                    self.log.error(f"  {msg}")
                    self._csv_errors.append(msg)
                    bad.append(rel)
                    continue
                usable.append((path, rel, header))
                note = f"{rel}: {header.describe()}"
                if header.encoding != "UTF-8" or header.delimiter != ",":
                    self.log.info(f"    {note}")
                else:
                    self.audit.info(note)
            self._csv_inputs[name] = usable
            if bad and name in states and (not spec.incremental or full):
                keep.add(name)
                self._csv_warnings.append(
                    f"raw_csv.{name} is not reloaded this run (its rows from the last load stay) because "
                    f"{', '.join(bad)} cannot be used")
        return keep

    def _csv_slices(self, plan: Plan):
        import dlt
        import pyarrow as pa

        spec: csv_files.CsvSpec = self.tables[plan.name]
        size = self._slice_rows(plan.name)
        inputs = self._csv_inputs.get(plan.name, [])
        fail = self.cfg["sources"]["csv"]["on_error"] == "fail"

        def slices():
            st = dlt.current.resource_state()
            s = dict(plan.state)
            files = {k: dict(v) for k, v in s.get("files", {}).items()}
            budget, n, rejected = size, 0, 0
            parts = []
            for path, rel, header in inputs:
                stat = path.stat()
                f, note = csv_files.resume_point(files.get(rel), header, stat.st_size)
                if note:
                    self.log.warning(f"  {rel}: {note}")
                final = not spec.incremental or time.time() - stat.st_mtime >= csv_files.SETTLE_SECONDS
                while budget > 0:
                    ch = csv_files.read_chunk(path, rel, spec, header, f["offset"], f["line"], budget, final=final)
                    if ch.first_reject and fail:
                        line, reason = ch.first_reject
                        raise csv_files.CsvRejectError(
                            f"{rel}, line {line}: {reason} (sources.csv.on_error is fail: the run stops at the "
                            f"first rejected line; fix the file, or set on_error: skip to keep such lines as rejects)")
                    f["offset"], f["line"] = ch.offset, ch.line
                    if ch.open:
                        f["open"] = ch.open
                    elif ch.table.num_rows:
                        f.pop("open", None)
                    if ch.fallback_lines:
                        shown = ", ".join(map(str, ch.fallback_lines[:5])) + ("…" if len(ch.fallback_lines) > 5 else "")
                        self._csv_warnings.append(f"{rel}: {len(ch.fallback_lines)} line(s) not valid UTF-8 read as "
                                                  f"Windows-1252 (line {shown})")
                    if ch.held_back:
                        self.log.info(f"    {rel}: the last line has no newline and the file changed less than "
                                      f"{csv_files.SETTLE_SECONDS:g} s ago; a later run reads it")
                    if ch.table.num_rows:
                        parts.append(ch.table)
                        budget -= ch.table.num_rows
                        n += ch.table.num_rows
                        rejected += ch.rejected
                    if ch.eof:
                        break
                files[rel] = f
                if budget <= 0:
                    break
            if parts:
                data = pa.concat_tables(parts)
                self._measure(plan.name, data)
                yield data
            elif plan.write_disposition == "replace" or (s["chunk"] == 0 and not s.get("files")):
                yield self._empty(pa.Table.from_pylist([], schema=csv_files.arrow_schema(spec)))
            if parts or plan.write_disposition == "replace" or (s["chunk"] == 0 and not s.get("files")):
                s["version"] = s.get("version", 0) + 1  # committed with the rows (see table_versions)
            s["files"] = files
            s["chunk"] += 1
            s["rows"] += n
            s["last_rows"] = n
            s["rejected"] = s.get("rejected", 0) + rejected
            s["done"] = budget > 0
            st["slices"] = s

        return slices

    def _slice_rows(self, name: str) -> int:
        """Rows of a table's next slice: chunk_size, or fewer when its rows are so wide that a slice
        would take more than its share of batch.max_memory_mb (ingest/budget.py)."""
        return self.budget.slice_rows(self.chunk_size, self._row_bytes.get(name), MIN_CHUNK)

    def _measure(self, name: str, data) -> None:
        if data.num_rows:
            self._row_bytes[name] = data.nbytes / data.num_rows

    def _empty(self, data):
        """An empty slice. PostgreSQL loads parquet through ADBC, which rejects a file without row
        groups, so an empty slice travels as CSV there (same table, same columns)."""
        import dlt

        if self.wh.target != "postgres":
            return data
        return dlt.mark.with_hints(data, dlt.mark.make_hints(file_format="csv"))

    # -- the run
    def run(self, full: bool, resume: bool, on_round: Callable[[JobResult], None] | None = None) -> JobResult:
        try:
            return self._run(full, resume, on_round)
        finally:
            if self.read_ahead is not None:
                self.read_ahead.close()

    def _run(self, full: bool, resume: bool, on_round: Callable[[JobResult], None] | None) -> JobResult:
        result = JobResult(self.system)
        started = time.monotonic()
        self._finish_pending(resume)
        reset = reset_marker(self.cfg, self.system)
        if reset.exists() and not full:
            self.log.info(f"  {self.system}: reset requested (`run_etl.py reset`): every table is reloaded from scratch")
            full = True
        states = self._table_states()
        self._write_checkpoint(states, result)  # the file always shows the real resume state, also after a kill
        keep = self._csv_precheck(states, full) if self.system == "csv" else set()
        plans: dict[str, Plan] = {}
        readable = self._check_tables(result)
        # the warehouse's first touch of this job: retried like a round (it may have gone away)
        self._with_retries(lambda: self._ensure_deleted_column(sorted(readable)),
                           f"preparing raw_{self.system} in the warehouse", result)
        for name, spec in self.tables.items():
            if name not in readable:
                continue
            if name in keep:  # an unusable file: the table is not reloaded (nor truncated) this run
                result.tables[name] = TableProgress(name)
                continue
            prev = states.get(name)
            incremental = spec.incremental
            pk = list(spec.primary_key) if self.system != "csv" else ["_source_file", "_source_line"]
            if name in self._discarded and not full:
                self.log.warning(f"  {self.system}.{name}: the discarded load had written to it; reloading it whole")
                full_table = True  # a new full cycle: its first slice truncates the table
            else:
                full_table = full
            if prev and not prev.get("done") and not full_table and resume:
                state = prev
                result.tables[name] = TableProgress(name, total_rows=prev.get("rows", 0),
                                                    resumed_from=prev.get("chunk", 0) + 1)
                self.log.info(f"  Resuming {self.system}.{name} from chunk {prev.get('chunk', 0) + 1} "
                              f"({prev.get('rows', 0):,} rows of this cycle already loaded)")
            else:
                if prev and not prev.get("done") and not resume:
                    self.log.warning(f"  {self.system}.{name}: an interrupted load is discarded "
                                     f"(recovery.resume_on_failure is false); starting over")
                fingerprint, blocks, ranges = None, None, None
                if not incremental:  # taken on a full load too: the next run compares with it
                    blocks = self._blocks(name, None if full_table else prev)
                    fingerprint = blocks[2] if blocks else self._fingerprint(name)
                    if (not full_table and fingerprint is not None and prev and prev.get("done")
                            and prev.get("fingerprint") == fingerprint):
                        result.tables[name] = TableProgress(name, total_rows=prev.get("rows", 0), unchanged=True)
                        continue  # the source did not move since the cycle that loaded it: nothing to reload
                    if not full_table and resume:
                        ranges = _moved_ranges(prev, blocks)
                state = _new_cycle(prev, incremental, full_table or (prev is not None and not resume and not prev.get("done")))
                if fingerprint is not None:
                    state["fingerprint"] = fingerprint
                if blocks:
                    state["blocks"] = {"width": blocks[0], "sums": blocks[1]}
                if ranges:  # only the blocks that moved are reloaded (_range_slices)
                    state["ranges"] = ranges
                    self.log.debug(f"  {self.system}.{name}: {len(ranges)} range(s) of "
                                   f"{sql_tables.block_column(spec)} moved; reloading those rows only")
                result.tables[name] = TableProgress(name)
            plans[name] = Plan(name, incremental, pk, state)
            if self.count_rows and self.reader is not None:
                result.tables[name].expected = (sum(r[2] for r in state["ranges"]) if state.get("ranges")
                                                 else self.reader.count(self.tables[name], state.get("after")))

        self._with_retries(lambda: self._skip_incremental_without_news(plans, states, result),
                           f"checking {self.system} for new rows", result)
        while plans:
            self._run_round(list(plans.values()), result)
            result.rounds += 1
            states = self._table_states()
            # reads the source and the warehouse outside any load: retried like a round (either may go away)
            quick = self._with_retries(lambda: self._quick_deletes(plans, states),
                                       f"checking {self.system} for deleted rows", result)
            for name in list(plans):
                s = states.get(name, {})
                prog = result.tables[name]
                if plans[name].deletes:  # a step of the deletion check
                    prog.deleted += int(s.get("last_deleted", 0))
                    if s.get("deletes"):
                        plans[name] = Plan(name, True, plans[name].primary_key, s, deletes=True)
                    else:
                        prog.deletes_checked = True
                        del plans[name]
                    continue
                done_rows = s.get("last_rows", 0)
                prog.rows += done_rows
                prog.chunks += 1
                prog.total_rows = s.get("rows", 0)
                prog.cycle_chunk = s.get("chunk", 0)
                prog.rejected = s.get("rejected", 0)
                if name in quick:  # loaded and checked in one step, nothing gone: no package
                    prog.deletes_checked = True
                    del plans[name]
                elif s.get("done") and self._deletes_due(name, s):  # loaded: now its deletion check
                    plans[name] = Plan(name, True, plans[name].primary_key, s, deletes=True)
                elif s.get("done"):
                    del plans[name]
                else:
                    plans[name] = Plan(name, plans[name].incremental, plans[name].primary_key, s)
            self._write_checkpoint(states, result)
            if on_round:
                on_round(result)
            self._memory_guard()
        if reset.exists() and not result.errors:
            reset.unlink()  # done: every table of the job was reloaded
            self._write_checkpoint(self._table_states(), result)
        result.seconds = time.monotonic() - started
        result.versions = {name: s.get("version", 0) for name, s in self._table_states().items()}
        result.input_errors = list(self._csv_errors)
        result.input_warnings = list(dict.fromkeys(self._csv_warnings))
        for name, counts in sorted(self.quarantined.items()):
            result.tables[name].quarantined = dict(counts)
            what = ", ".join(f"{n:,} {reason}" for reason, n in sorted(counts.items()))
            result.warnings.append(f"quarantine: {self.system}.{name}: {what} "
                                   f"(rows in raw_{self.system}.{sql_tables.QUARANTINE_TABLE})")
        for prog in result.tables.values():
            self.audit.info(f"loaded {self.system}.{prog.table}: {prog.rows} rows in {prog.chunks} chunk(s)"
                            + (f", {prog.rejected} rejected line(s)" if prog.rejected else ""))
            if prog.deletes_checked or prog.deleted:
                self.audit.info(f"deletes {self.system}.{prog.table}: {prog.deleted} row(s) marked {DELETED_AT}"
                                + (" (check complete)" if prog.deletes_checked else " (check continues next run)"))
        return result

    def _fingerprint(self, name: str) -> str | None:
        """The fingerprint of a table without an update cursor (SliceReader.fingerprint; for a CSV
        table, its usable files' names, sizes and content hashes), or None when it cannot be
        taken (the table is then reloaded, and the read reports what is wrong)."""
        if self.system == "csv":
            digest = hashlib.blake2b(digest_size=16)
            for path, rel, _header in self._csv_inputs.get(name, []):
                digest.update(f"{rel}\0{path.stat().st_size}\0".encode())
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        digest.update(block)
            return "csv:" + digest.hexdigest()
        try:
            return self.reader.fingerprint(self.tables[name])
        except SourceError as exc:
            self.log.debug(f"  {self.system}.{name}: no fingerprint ({exc}); reloading it")
            return None

    def _skip_incremental_without_news(self, plans: dict, states: dict, result: JobResult) -> None:
        """An incremental table with nothing new since its last complete cycle takes no part in the
        round: one row after the committed position of every such table is read before the round
        (``ReadAhead``, ``batch.max_workers`` reads at a time; one row, so the memory budget of the
        slices is untouched), and a table without one is done without a load package (nothing to
        load, and the committed state is already the one its cycle would end in). A round with no
        table left is not run at all, so a run with no change pays one small read a table, not dlt's
        extract, normalize and load of state-only packages (about 0.4-0.8 s a source). Its deletion
        check is scheduled as after a load. A first load, a reload or a resumed cycle always runs.
        The incremental CSV table (the point-of-sale files) likewise, when every one of its files is
        known, unchanged in its first bytes and read to its end (no new line). ``states``: the
        committed states the plans were made from (nothing is committed between)."""
        def continuing(plan: Plan) -> bool:  # a new cycle of an incremental table that has loaded before
            st = plan.state
            return (plan.incremental and not plan.deletes and plan.write_disposition == "merge"
                    and st.get("chunk", 0) == 0 and (st.get("after") is not None or bool(st.get("files"))))

        if self.system == "csv":  # the point-of-sale files: none grew, none is new or rewritten
            idle = {name: plan for name, plan in plans.items() if continuing(plan) and all(
                rel in plan.state["files"] and plan.state["files"][rel].get("digest") == header.digest
                and plan.state["files"][rel]["offset"] == path.stat().st_size
                for path, rel, header in self._csv_inputs.get(name, []))}
        elif self.read_ahead is not None:
            probed = [name for name, plan in plans.items() if continuing(plan) and plan.state.get("after") is not None]
            for name in probed:  # one row after the committed position: is there anything new?
                self.read_ahead.start(self.tables[name], plans[name].state, 1)
            idle = {}
            for name in probed:
                if self.read_ahead.empty(self.tables[name], plans[name].state, 1):
                    idle[name] = plans[name]
                else:  # news: the round reads its slice (only the one row was read here)
                    self.read_ahead.take(self.tables[name], plans[name].state, 1)
        else:
            return
        if not idle:
            return
        for name in idle:  # ``states``: the committed states, the last complete cycle of each table
            del plans[name]
            result.tables[name].total_rows = int(states.get(name, {}).get("rows", 0))
        quick = self._quick_deletes(idle, states)
        for name, plan in idle.items():
            s = states.get(name, {})
            if name in quick:
                result.tables[name].deletes_checked = True
            elif s.get("done") and self._deletes_due(name, s):
                plans[name] = Plan(name, True, plan.primary_key, s, deletes=True)

    def _blocks(self, name: str, prev: dict | None) -> tuple[int, dict, str] | None:
        """The block fingerprint of a table without an update cursor whose keys are integers
        (SliceReader.blocks), in the block width of its last complete load when it has one; None
        for other tables, or when it cannot be taken (the whole fingerprint is used instead)."""
        table = self.tables.get(name)
        if self.reader is None or table is None or sql_tables.block_column(table) is None:
            return None
        last = (prev or {}).get("blocks") if (prev or {}).get("done") else None
        try:
            return self.reader.blocks(table, (last or {}).get("width"))
        except SourceError as exc:
            self.log.debug(f"  {self.system}.{name}: no block fingerprint ({exc}); fingerprinting it whole")
            return None

    def _check_tables(self, result: JobResult) -> set[str]:
        """The tables that can be read. The reader checks each table's columns once per run: a
        dropped column is read as a typed null (a schema-drift warning); a missing table, key or
        cursor column is an error for that table, and the other tables still load."""
        if self.reader is None:
            return set(self.tables)
        ok = set()
        for name, table in self.tables.items():
            try:
                self._with_retries(lambda table=table: self.reader.check_columns(table),
                                   f"checking {self.system}.{name}")
            except IngestError as exc:
                cause = _root_cause(exc)
                if _transient(cause):
                    raise
                result.errors.append(f"{self.system}.{name}: {_describe(cause)}")
                continue
            ok.add(name)
            missing = self.reader.drift.get(name)
            if missing:
                result.warnings.append(
                    f"schema drift: {self.system}.{name}: column(s) {', '.join(missing)} missing in the source "
                    f"({self.reader.where()}); loaded as null")
                self._relax_not_null(table, [c for c in missing if not table.column(c).nullable])
            check = self.reader.check_columns(table)
            for col, declared, found in check.retyped:
                result.warnings.append(
                    f"schema drift: {self.system}.{name}: column {col} changed type in the source ({found}; the "
                    f"catalog reads {declared}): read and cast to {declared}, and a value that does not fit stops "
                    f"this table with the value named; update ingest/catalog.py if the change is meant")
        self._report_added_columns(result, ok)
        return ok

    def _report_added_columns(self, result: JobResult, tables: set[str]) -> None:
        """Columns a source table gained since the last run: a schema-drift warning naming them
        (they are not loaded: the catalog says what is read; add them there to load them). The
        columns seen are kept in <checkpoint_dir>/<system>.source_columns.json; the first run
        records them, and says at INFO how many are not read."""
        path = self.cfg.checkpoint_dir / f"{self.system}.source_columns.json"
        try:
            seen = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            seen = None
        now = dict(seen or {})
        for name in sorted(tables):
            extra = list(self.reader.check_columns(self.tables[name]).extra)
            before = None if seen is None else seen.get(name)
            if before is not None:
                added = [c for c in extra if c not in before]
                if added:
                    result.warnings.append(
                        f"schema drift: {self.system}.{name}: column(s) {', '.join(added)} added in the source "
                        f"({self.reader.where()}); not loaded (ingest/catalog.py lists what is read: add them "
                        f"there to load them); nothing downstream changes")
            elif extra:
                self.audit.info(f"{self.system}.{name}: {len(extra)} source column(s) the catalog does not read: "
                                f"{', '.join(extra)}")
            now[name] = extra
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            self.log.debug(f"  could not record the source columns in {path}: {exc}")

    def _relax_not_null(self, table, columns: list[str]) -> None:
        """A raw column created NOT NULL (the catalog's declaration) must take the nulls of a column
        dropped from the source: the constraint is dropped on the raw table, if it exists."""
        if not columns:
            return
        try:  # dlt's own schema too: it recreates its staging tables from it on every load
            schema = self.pipeline.default_schema
        except Exception:  # noqa: BLE001 - no schema yet (first run): nothing to relax
            schema = None
        if schema is not None and table.name in schema.tables:
            for col in columns:
                if col in schema.tables[table.name]["columns"]:
                    schema.tables[table.name]["columns"][col]["nullable"] = True
            self.pipeline.schemas.save_schema(schema)
        p = "?" if self.wh.target == "duckdb" else "%s"
        con = self.wh.connect()
        try:
            cur = con.cursor()
            for schema in (f"raw_{self.system}", f"raw_{self.system}_staging"):  # dlt merges through _staging
                cur.execute(f"select column_name from information_schema.columns where table_schema = {p} "
                            f"and table_name = {p} and is_nullable = 'NO'", (schema, table.name))
                existing = {r[0] for r in cur.fetchall()}
                for col in columns:  # names from the catalog (code), quoted
                    if col in existing:
                        cur.execute(f'alter table "{schema}"."{table.name}" alter column "{col}" drop not null')
        finally:
            con.close()

    def _drop_committed_extracts(self) -> None:
        """A kill between dlt's two commit steps of normalize (rename of the normalized package
        into load/normalized, then deletion of the extracted package; dlt logs "do not kill this
        process" there) leaves the package in both places, and normalizing it again fails on the
        rename. The rename is atomic, so the normalized copy is complete: the extracted one has
        been normalized already and is dropped (with any half-spooled copy in load/new)."""
        import shutil

        root = Path(self.pipeline.working_dir)
        done = {d.name for sub in ("normalized", "loaded") if (root / "load" / sub).is_dir()
                for d in (root / "load" / sub).iterdir()}
        for load_id in sorted(done):
            for stale in (root / "normalize" / "extracted" / load_id, root / "load" / "new" / load_id):
                if stale.is_dir():
                    shutil.rmtree(stale)
                    self.log.info(f"  {self.system}: package {load_id} was already normalized when the last run "
                                  f"stopped; its leftover copy {stale.relative_to(root)} is removed")

    def _finish_pending(self, resume: bool) -> None:
        p = self.pipeline
        if not p.has_pending_data:
            return
        self._drop_committed_extracts()
        if resume:
            self.log.info(f"  Resuming {self.system}: finishing the load interrupted last time")
            self._with_retries(lambda: (p.normalize(), self._undo_unmarked_copies(), p.load()),
                               "finishing the pending load")
        else:
            self.log.warning(f"  {self.system}: discarding the load interrupted last time "
                             f"(recovery.resume_on_failure is false); state restored from the warehouse")
            # what its jobs may have written stays in the warehouse (rows appended, a table truncated
            # by a first slice) while the restored state is older: those tables are reloaded whole
            packages = p._get_load_storage().normalized_packages
            self._discarded = {job.table_name for load_id in packages.list_packages()
                               for _, job in _copy_jobs(packages, load_id)}
            p.drop()
            self.pipeline = self._pipeline()
            self.pipeline.sync_destination()

    def _undo_unmarked_copies(self) -> None:
        """Before a pending package is loaded again: the rows of its copy jobs that may already be
        in the warehouse are removed, so the jobs load them once. dlt records a job's outcome
        (its "pending transition" marker) only after the destination committed the job's rows,
        and truncates a replaced table once per package (when the package starts). A kill between
        the commit and the marker leaves the rows in place and the job "started": the resumed
        load runs it again, and the rows are there twice (a replace slice: the table itself; a
        merge slice: its staging table, which the merge then inserts whole). Each such job's
        table loses its rows of this package (``_dlt_load_id``), in the table and in its staging
        copy (a package's rows are in one of the two until its merge, which runs only after every
        copy of the table is done), and the table's other copy jobs of the package, done or
        marked done, are queued again, since their rows went with the same delete. A job that dlt
        put back after an error (its retry count) is as unsure: the error may have come after
        the commit. dlt does not retry a job inside one load (``load.raise_on_max_retries = 1``
        in .dlt/config.toml): the round fails, and its retry (``_run_round``) comes here first.
        Every step can be interrupted and repeated: the jobs stay unmarked until dlt loads them
        again."""
        packages = self.pipeline._get_load_storage().normalized_packages
        for load_id in packages.list_packages():
            jobs: dict[str, list[tuple[str, str, bool]]] = {}  # table -> (folder, file, marked)
            for folder, job in _copy_jobs(packages, load_id):
                name = job.file_name()
                if folder == "new_jobs":  # never run (nothing to undo), or put back by a retry of dlt's
                    marked = job.retry_count == 0
                elif folder == "started_jobs":
                    marked = packages.load_pending_transition(load_id, name) is not None
                elif folder == "completed_jobs":
                    marked = True
                else:  # failed_jobs: dlt does not load them again
                    continue
                jobs.setdefault(job.table_name, []).append((folder, name, marked))
            unsure = sorted(t for t, js in jobs.items() if any(not marked for _, _, marked in js))
            if not unsure:
                continue
            self._delete_package_rows(load_id, unsure)
            for table in unsure:
                for folder, name, marked in jobs[table]:
                    if folder == "completed_jobs":
                        packages._move_job(load_id, "completed_jobs", "new_jobs", name)
                    elif marked:
                        packages.clear_pending_transition(load_id, name)
            self.log.info(f"  {self.system}: {', '.join(unsure)}: the slice loading when the last attempt stopped "
                          f"may have been written already; its rows are removed and loaded once")

    def _delete_package_rows(self, load_id: str, tables: list[str]) -> None:
        """Deletes the rows of package ``load_id`` from ``tables`` of raw_<system> and of dlt's
        staging copy raw_<system>_staging, where the table exists."""
        p = "?" if self.wh.target == "duckdb" else "%s"
        con = self.wh.connect()
        try:
            cur = con.cursor()
            for schema in (f"raw_{self.system}", f"raw_{self.system}_staging"):
                cur.execute(f"select table_name from information_schema.columns where table_schema = {p} "
                            f"and column_name = '_dlt_load_id'", (schema,))
                have = {r[0] for r in cur.fetchall()}
                for table in tables:
                    if table in have:  # names from dlt's package (the catalog's), quoted
                        cur.execute(f'delete from "{schema}"."{table}" where "_dlt_load_id" = {p}', (load_id,))
        finally:
            con.close()

    def _run_round(self, plans: list[Plan], result: JobResult) -> None:
        """One round: a slice of every table in ``plans``, in one load package. A retry after a
        failed attempt first looks for the attempt's package: dlt commits a package only when its
        extract is complete (every slice and the tables' new state), so a package left pending
        is this whole round, and loading it finishes the round. (Before 2026-12-07 the round was
        then extracted again from the same positions: harmless for a merge, a second copy for
        an appended slice.)"""
        def attempt():
            if self.pipeline.has_pending_data:  # the round's package, from an attempt that failed after its extract
                self.pipeline.normalize()
                self._undo_unmarked_copies()
                self.pipeline.load()
                return
            self.pipeline.run([self._resource(pl) for pl in plans], loader_file_format="parquet")

        self._with_retries(attempt, f"loading {self.system}", result)

    def _with_retries(self, fn, what: str, result: JobResult | None = None):
        retries, delay = self.cfg.batch["max_retries"], self.cfg.batch["retry_delay"]
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - classified below
                cause = _root_cause(exc)
                attempt += 1
                if attempt > retries or not _transient(cause):
                    raise IngestError(f"{what} failed"
                                      + (f" after {attempt} attempt(s)" if attempt > 1 else "")
                                      + f": {_describe(cause)}") from exc
                if result is not None:
                    result.retries += 1
                self.log.warning(f"  {what}: attempt {attempt} of {retries + 1} failed ({_describe(cause)}); "
                                 f"retrying in {delay:g} s")
                time.sleep(delay)

    def _write_checkpoint(self, states: dict, result: JobResult) -> None:
        if not self.checkpoints:
            return
        path = self.cfg.checkpoint_dir / f"{self.system}.checkpoint"
        path.parent.mkdir(parents=True, exist_ok=True)
        def failed(name: str, s: dict) -> int:  # rejected CSV lines, quarantined source rows (this run)
            return int(s.get("rejected", 0)) + sum(self.quarantined.get(name, {}).values())

        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        doc = {
            # the old system's documented fields, for the job and for each table
            "job_name": self.system,
            "chunk_id": sum(int(s.get("chunk", 0)) for s in states.values()),
            "timestamp": stamp,
            "total_processed": sum(int(s.get("rows", 0)) for s in states.values()),
            "total_failed": sum(failed(n, s) for n, s in states.items()),
            "status": "done" if all(s.get("done") for s in states.values()) else "resumable",
            "reset_requested": reset_marker(self.cfg, self.system).exists(),
            "warehouse": self.wh.target,
            "tables": {name: {"job_name": f"{self.system}.{name}", "chunk_id": int(s.get("chunk", 0)),
                              "timestamp": s.get("started", stamp), "total_processed": int(s.get("rows", 0)),
                              "total_failed": failed(name, s), "status": "done" if s.get("done") else "resumable"}
                       | {k: v for k, v in s.items() if k not in ("files", "blocks", "ranges")}
                       | ({"ranges_left": len(s["ranges"])} if s.get("ranges") else {}) | (
                {"files": {f: {"line": d["line"], "offset": d["offset"]} | (
                    {"unterminated_last_line": True} if d.get("open") else {}) for f, d in s["files"].items()}}
                if "files" in s else {}) for name, s in sorted(states.items())},
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
        tmp.replace(path)

    def _memory_guard(self) -> None:
        import psutil

        memory_budget.release()
        rss = psutil.Process().memory_info().rss / 2 ** 20
        limit = self.cfg.batch["max_memory_mb"]
        if rss > limit and self.chunk_size > MIN_CHUNK:
            new = max(MIN_CHUNK, self.chunk_size // 2)
            self.log.warning(f"  memory {rss:,.0f} MB is over batch.max_memory_mb ({limit:,} MB): "
                             f"chunk size {self.chunk_size:,} -> {new:,} rows")
            self.chunk_size = new


def _utc_now() -> dt.datetime:
    """Now in UTC, naive (as the raw timestamps), to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _integer_key(table) -> bool:
    """Keys the deletion check compares by value in key order: integers sort alike everywhere."""
    return all(table.column(k).type.lower() in ("integer", "bigint", "smallint") for k in table.primary_key)


def _with_deleted_at(data, deleted_at: dt.datetime | None):
    """``data`` with the column ``_deleted_at`` (all null, or all ``deleted_at``), replacing one it has."""
    import pyarrow as pa

    typ = pa.timestamp("us")
    col = pa.nulls(data.num_rows, typ) if deleted_at is None else pa.array([deleted_at] * data.num_rows, typ)
    if DELETED_AT in data.column_names:
        data = data.drop_columns([DELETED_AT])
    return data.append_column(pa.field(DELETED_AT, typ, nullable=True), col)


def _copy_jobs(packages, load_id: str) -> list:
    """(folder, parsed job file) of every job of a normalized load package that copies rows into
    one of the job's raw tables: not a follow-up ("sql", such as a merge), not dlt's own tables."""
    return [(folder, job) for folder, job in packages.list_all_jobs_with_states(load_id)
            if job.file_format in COPY_FORMATS and not job.table_name.startswith("_dlt")]


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    cur: BaseException | None = exc
    best = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, (SourceError, csv_files.CsvInputError, OSError)):
            return cur
        best = cur
        cur = cur.__cause__ or cur.__context__
    return best


def _transient(exc: BaseException) -> bool:
    """Worth retrying: a source, network or warehouse hiccup, not a bug or bad data."""
    if isinstance(exc, (csv_files.CsvInputError, TypeError, AttributeError, KeyError, NameError,
                        ValueError, ImportError)):
        return False
    if isinstance(exc, SourceError):
        return exc.transient and "does not exist" not in str(exc) and "does not fit" not in str(exc)
    text = str(exc).lower()
    if "no such table" in text or "no such column" in text or (
            ("relation " in text or "column " in text) and "does not exist" in text):
        return False  # a missing source table or column stays missing however often it is read
    return True


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:500]


def dlt_pipeline(system: str, cfg: Config, wh: Warehouse, duckdb_config: dict | None = None):
    """The dlt pipeline of one source system (its state lives under the checkpoint folder, per target)."""
    import dlt

    return dlt.pipeline(pipeline_name=f"puntafina_{system}",
                        pipelines_dir=str(cfg.checkpoint_dir / "dlt" / wh.target),
                        destination=wh.dlt_destination(duckdb_config), dataset_name=f"raw_{system}")


def _slice_states(pipeline) -> dict[str, dict]:
    src = pipeline.state.get("sources", {}).get(pipeline.pipeline_name, {})
    return {name: dict(res.get("slices", {})) for name, res in src.get("resources", {}).items()}


def table_states(system: str, cfg: Config, wh: Warehouse) -> dict[str, dict]:
    """Each table's committed slice state (its dlt resource state: what a resume uses), read
    from the system's pipeline without running it."""
    return _slice_states(dlt_pipeline(system, cfg, wh))


def table_versions(system: str, cfg: Config, wh: Warehouse) -> dict[str, int]:
    """Each raw table's version: a counter in the table's dlt state, raised by every slice that
    changes the raw table (rows loaded, or a reload's truncation) and committed in the same load
    package as those rows, so it is exact after any crash. The build plan (ingest/build_state.py)
    rebuilds what reads a table whose version moved since the last complete build."""
    return {name: int(s.get("version", 0)) for name, s in table_states(system, cfg, wh).items()}


def reset_marker(cfg: Config, system: str) -> Path:
    """``run_etl.py reset <job>`` leaves this file; the job's next run reloads every table from
    scratch (as ``--full-refresh`` would, for that job alone) and removes it when done."""
    return cfg.checkpoint_dir / f"{system}.reset"
