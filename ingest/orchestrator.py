"""The ETL run: preflight checks, extract (dlt), transform (dbt), summary and run metrics."""
from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ingest.config import Config
from ingest.logs import get_logger
from ingest.warehouse import Warehouse, WarehouseError

PHASES_RUN = ("Extract (dlt -> raw)", "Validate and populate (staging)", "Dimensions", "Facts", "Final checks")
# dbt builds and tests the marts in dw_build; readers query dw, published from it in one transaction
# by the last dbt invocation of a run when every check passed (macros/publicacion.sql)
BUILD_SCHEMA, PUBLISHED_SCHEMA = "dw_build", "dw"
PENDING_TABLE = f"{BUILD_SCHEMA}.publicacion_pendiente"   # one row per model written since the last publish
PENDING_MODELS_SQL = f"select count(distinct modelo) from {PENDING_TABLE}"   # models waiting to be published
DW_SCHEMAS = ("staging", "snapshots", BUILD_SCHEMA, PUBLISHED_SCHEMA, "audit")


class PreflightError(Exception):
    """Something the run needs is missing or unreachable: nothing was written."""


@dataclass
class RunMetrics:
    run_id: str
    command: str
    target: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    status: str = "running"
    records_extracted: int = 0
    records_rejected: int = 0
    records_quarantined: int = 0
    records_deleted: int = 0     # raw rows marked deleted (_deleted_at): their keys are gone from the source
    records_failed: int = 0      # rejected lines + quarantined rows + failing rows of failed checks
    failing_rows: int = 0        # rows returned by the checks that failed (error severity)
    nodes_built: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    success_rate: float = 0.0
    tables: dict = field(default_factory=dict)
    reports: list = field(default_factory=list)
    quarantine: dict = field(default_factory=dict)  # raw_<system>.<table> -> reason -> source rows
    dw_rows: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    peak_memory_mb: float = 0.0
    cpu_percent: float = 0.0
    build_plan: str = ""         # what the transform built and why (ingest/build_state.py)
    relations: list = field(default_factory=list)  # [schema, name] of every relation the build wrote
    # {phase, start_s, duration_s, status}: the run page's timeline; a build (one dbt invocation of
    # the four layers) is followed by its layers' spans, each with layer_of (not phases of their own)
    phases: list = field(default_factory=list)
    rejected: dict = field(default_factory=dict)  # raw_<system>.<table> -> malformed lines kept in _rechazo
    deleted: dict = field(default_factory=dict)  # raw_<system>.<table> -> rows this run marked deleted
    deletes_checked: list = field(default_factory=list)  # raw_<system>.<table> whose deletion check completed
    published: str = ""          # what became of dw this run (write-audit-publish): published, or why not
    publish_s: float = 0.0       # the publish's own time (the last invocation's on-run-end hook)


_CLOCKS: dict[str, float] = {}  # run_id -> monotonic start (phases' offsets)


def _phase(log, n: int | str, total: int, title: str, metrics: RunMetrics | None = None,
           name: str | None = None) -> None:
    """Prints the phase's header and opens its entry in the run metrics, under ``name`` (default
    ``title``)."""
    from ingest.logs import set_context

    set_context(phase=name or title)   # the log records' phase and the progress bar's label
    log.info(f"\n== {n}/{total} {title} ==")
    if metrics is not None:
        end_phase(metrics, "ok")
        t0 = _CLOCKS.setdefault(metrics.run_id, time.monotonic())
        metrics.phases.append({"phase": name or title, "start_s": round(time.monotonic() - t0, 2), "duration_s": 0.0,
                               "status": "running"})


def end_phase(m: RunMetrics, status: str) -> None:
    """Closes the phase in progress (if any) with ``status``: ok, failed or skipped."""
    if m.phases and m.phases[-1]["status"] == "running":
        p = m.phases[-1]
        p["duration_s"] = round(time.monotonic() - _CLOCKS.get(m.run_id, time.monotonic()) - p["start_s"], 2)
        p["status"] = status


def demo_missing(cfg: Config, wh: Warehouse, selected: list[str]) -> bool:
    """True when a selected source is the demo and the demo sources do not exist yet."""
    from ingest.pipeline import demo_source_url

    systems = [s for s in ("orocommerce", "orocrm") if s in selected and cfg["sources"][s]["url"] == "demo"]
    if not systems:
        return False
    if wh.target == "duckdb":
        return any(not Path(demo_source_url(s, cfg, wh)[len("sqlite:///"):]).is_file() for s in systems)
    import psycopg2

    try:
        con = wh.pg_connect("postgres")
    except psycopg2.OperationalError:
        return False  # the preflight reports the unreachable server
    try:
        with con.cursor() as cur:
            cur.execute("select count(*) from pg_database where datname = any(%s)", ([f"{s}_demo" for s in systems],))
            return cur.fetchone()[0] < len(systems)
    finally:
        con.close()


def preflight(cfg: Config, wh: Warehouse, systems: list[str]) -> None:
    """Check every source (reachable, and holding every table the catalog reads) and the
    warehouse before anything is written."""
    from ingest import catalog
    from ingest.pipeline import source_url
    from ingest.sources.sql_tables import SourceError, make_reader

    for system in systems:
        if system == "csv":
            if not cfg.csv_dir.is_dir():
                raise PreflightError(f"sources.csv.path: the folder {cfg.csv_dir} does not exist "
                                     f"(run `python run_etl.py setup --demo` for demo inputs, or point it at your exports).")
            continue
        url = source_url(system, cfg, wh)
        try:
            reader = make_reader(url, min(cfg.batch["timeout"], 15), cfg.root)
            reader.check()
            missing = reader.missing_tables(catalog.tables(system))
        except SourceError as exc:
            raise PreflightError(f"sources.{system}.url: {exc}") from None
        if missing:
            shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
            raise PreflightError(f"sources.{system}.url: {reader.where()} lacks {len(missing)} of the "
                                 f"{len(catalog.tables(system))} tables the catalog reads ({shown}); nothing was "
                                 f"loaded. Point the URL at the {system} database"
                                 + (" or run `python run_etl.py setup --demo` to regenerate the demo sources."
                                    if cfg["sources"][system]["url"] == "demo" else "."))
    try:
        wh.check()
    except WarehouseError as exc:
        raise PreflightError(str(exc)) from None


def extract(cfg: Config, wh: Warehouse, systems: list[str], full: bool, metrics: RunMetrics,
            meanwhile: Callable[[], object] | None = None, at_once: bool = True) -> bool:
    """Extracts each system into raw_<system>; False when one could not be extracted. A DuckDB
    warehouse stays open for the whole extract (Warehouse.held_open), and closes before dbt
    opens it. ``meanwhile``: work of this process that does not touch the warehouse (a `run`'s
    dbt parse, dbt_runner.prepare): where the extract can run in a child process
    (``_extract_in_child``) the two run at once, each on a core; elsewhere the extract runs
    here and ``meanwhile`` is left to the build (dbt parses when it first runs). ``at_once``
    False: ``meanwhile`` is wanted only if the extract loads rows (a build that depends on
    what it finds), so it starts when the first slice with rows is committed."""
    if meanwhile is not None and _can_fork(wh):
        return _extract_in_child(cfg, wh, systems, full, metrics, meanwhile, at_once)
    return _extract_here(cfg, wh, systems, full, metrics)


def _extract_here(cfg: Config, wh: Warehouse, systems: list[str], full: bool, metrics: RunMetrics) -> bool:
    import gc

    from ingest.budget import Budget

    with wh.held_open(Budget.of(cfg).dlt_duckdb_config()):
        try:
            return _extract_systems(cfg, wh, systems, full, metrics)
        finally:
            gc.collect()  # dlt's pipelines and their DuckDB handles go before the file closes


def _can_fork(wh: Warehouse) -> bool:
    """A child process for the extract: on Linux (fork, and a child that dies with its parent),
    with the DuckDB file open nowhere in this process (each process must open it itself: a
    DuckDB database open here would be the child's too, a copy of it), from a process
    running no Python thread but its main one (a fork copies only the calling thread: a lock
    another one held, the logging module's say, would stay locked in the child). Progress
    bars draw from a thread: they pause for the check (``_extract_in_child`` resumes them in
    the child, then here); when the fork is not taken they resume at once. The native
    threads Arrow starts on import (jemalloc's background thread) are fork-safe: Arrow and
    jemalloc reset them in the child."""
    import sys
    import threading

    from ingest import progress as progress_bars

    if not sys.platform.startswith("linux") or not hasattr(os, "fork") or _file_open(wh):
        return False
    bars = progress_bars.current()
    if bars is not None:
        bars.pause()
    if threading.active_count() == 1:
        return True
    if bars is not None:
        bars.resume()
    return False


def _file_open(wh: Warehouse) -> bool:
    """Whether this process has the DuckDB warehouse (or its WAL) open now: held for an extract
    (Warehouse.held_open) or left open by any other connection."""
    if wh.target != "duckdb":
        return False
    path = str(wh.duckdb_path.resolve())
    names = {path, path + ".wal"}
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return True   # cannot tell: not safe to fork
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") in names:
                return True
        except OSError:
            continue
    return False


# run_id -> peak RSS (MB) of the run's processes while the extract ran in a child (finish_metrics)
_OVERLAP_PEAK_MB: dict[str, float] = {}


def _extract_in_child(cfg: Config, wh: Warehouse, systems: list[str], full: bool, metrics: RunMetrics,
                      meanwhile: Callable[[], object], at_once: bool = True) -> bool:
    """The extract in a forked child while this process does ``meanwhile``. The child is the
    extract exactly as ``_extract_here`` runs it (same slices, state and commits, its console
    and log lines written by itself) and sends back the run metrics it filled in. It dies
    with this process (``PR_SET_PDEATHSIG``): a kill of the run kills its extract too, which
    resumes as after any kill. A child that ends without its metrics (killed, out of memory)
    is an error of the extract: the slices it committed stay, the next run resumes. With
    ``at_once`` False ``meanwhile`` starts when the child says it committed rows (``_news``)."""
    import pickle
    import resource
    import signal
    import threading
    import traceback

    from ingest import progress as progress_bars

    prepared()  # one preparation at a time
    log = get_logger("ingest")
    bars = progress_bars.current()   # paused by _can_fork
    _import_shared(wh)
    _flush_output()
    read_end, write_end = os.pipe()
    news_read, news_write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: the extract, then its metrics down the pipe
        code = 1
        try:
            os.close(read_end)
            os.close(news_read)
            global _NEWS_FD
            _NEWS_FD = news_write
            _die_with_parent(signal.SIGKILL, parent)
            try:
                if bars is not None:  # the child draws the extract's bars, then leaves them on screen
                    bars.resume()
                try:
                    out = {"ok": _extract_here(cfg, wh, systems, full, metrics), "metrics": metrics}
                finally:
                    if bars is not None:
                        bars.pause()
                code = 0
            except KeyboardInterrupt:
                out, code = {"interrupted": True}, 130
            except BaseException as exc:  # noqa: BLE001 - raised again by the parent
                out = {"error": exc, "trace": traceback.format_exc()}
            out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            try:
                data = pickle.dumps(out)
            except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
                data = pickle.dumps({"error": RuntimeError(out.get("trace", "the extract failed")),
                                     "peak_mb": out["peak_mb"]})
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
        finally:
            _flush_output()
            os._exit(code)
    os.close(write_end)
    os.close(news_write)
    # meanwhile runs in a thread of this process (started after the fork: the child has none),
    # which may outlive the extract (``prepared`` waits for it); this thread waits for the child
    def start() -> None:
        global _PREPARING
        if _PREPARING is None:
            _PREPARING = threading.Thread(target=_prepare, args=(meanwhile,), name="prepare-build")
            _PREPARING.start()

    if at_once:
        start()
    try:
        data = _read_child(read_end, news_read, start)
        _, status = os.waitpid(pid, 0)
    except BaseException:  # Ctrl-C (or an error) here: the child stops too, at its next commit
        _stop_child(pid)
        raise
    finally:
        if bars is not None:
            bars.resume()
    out = pickle.loads(data) if data else None
    if out is not None:  # this process's peak so far (its memory while the child ran) and the child's
        _OVERLAP_PEAK_MB[metrics.run_id] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + out["peak_mb"]
    if out is not None and "metrics" in out:
        for name, value in vars(out["metrics"]).items():
            setattr(metrics, name, value)
        return out["ok"]
    if out is not None and out.get("interrupted"):
        raise KeyboardInterrupt
    if out is not None and "error" in out:
        raise out["error"]
    how = (f"was killed by signal {os.WTERMSIG(status)} ({signal.Signals(os.WTERMSIG(status)).name})"
           if os.WIFSIGNALED(status) else f"exited with code {os.WEXITSTATUS(status)}")
    message = (f"the extract process {how} before it finished (out of memory? see batch.max_memory_mb); "
               "the slices it committed are kept and the next run resumes from them")
    log.error(f"  {message}")
    metrics.errors.append(message)
    return False


_PREPARING = None  # the thread doing ``meanwhile`` of the last extract in a child
_NEWS_FD: int | None = None  # in an extract's child: where it says that it committed rows


def _news() -> None:
    """In an extract's child: tell the run, once, that a slice with rows was committed (its
    build is then certain: ``at_once`` False starts ``meanwhile``)."""
    global _NEWS_FD
    if _NEWS_FD is not None:
        try:
            os.write(_NEWS_FD, b"n")
            os.close(_NEWS_FD)
        except OSError:
            pass
        _NEWS_FD = None


def _read_child(result_fd: int, news_fd: int, on_news: Callable[[], None]) -> bytes:
    """The child's result (all it writes to ``result_fd`` until it closes it); ``on_news``
    when it writes to ``news_fd``."""
    import select

    chunks, open_fds = [], [result_fd, news_fd]
    try:
        while result_fd in open_fds:
            for fd in select.select(open_fds, [], [])[0]:
                got = os.read(fd, 1 << 16)
                if fd == news_fd and got:
                    on_news()
                elif got:
                    chunks.append(got)
                if not got:
                    open_fds.remove(fd)
    finally:
        for fd in (result_fd, news_fd):
            try:
                os.close(fd)
            except OSError:
                pass
    return b"".join(chunks)


def prepared() -> None:
    """Wait for the work ``extract`` started beside its child (the dbt parse): the steps after
    the extract (the build plan) would otherwise share the interpreter with it."""
    global _PREPARING
    if _PREPARING is not None:
        _PREPARING.join()
        _PREPARING = None


def _prepare(meanwhile: Callable[[], object]) -> None:
    t0 = time.monotonic()
    try:
        meanwhile()
        get_logger("ingest").debug(f"  prepared the build during the extract in {time.monotonic() - t0:.1f} s")
    except Exception as exc:  # noqa: BLE001 - whatever it prepares is prepared again when needed
        get_logger("ingest").debug(f"  preparing the build during the extract failed: {exc}")


def _import_shared(wh: Warehouse) -> None:
    """Import, before the fork, what both processes need: dlt and the warehouse's dlt destination
    (the child extracts with them; this process reads the tables' versions with them after).
    Imported in the child only, this process would import them again (a no-change run: 0.4 s)."""
    import dlt  # noqa: F401

    wh.dlt_destination()


def _flush_output() -> None:
    """Console and log buffers written out before a fork (or a child's exit): nothing printed twice."""
    import logging
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    from ingest.logs import LOGGER

    for handler in logging.getLogger().handlers + logging.getLogger(LOGGER).handlers:
        try:
            handler.flush()
        except (OSError, ValueError):
            pass


def _die_with_parent(sig: int, parent: int) -> None:
    """This (child) process gets ``sig`` when its parent (pid ``parent``) dies (Linux prctl
    PR_SET_PDEATHSIG)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, int(sig), 0, 0, 0) != 0:  # PR_SET_PDEATHSIG = 1
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the prctl took effect
        os._exit(1)


def _stop_child(pid: int) -> None:
    import signal

    try:
        os.kill(pid, signal.SIGINT)
        for _ in range(600):  # up to a minute for the slice in flight to commit or roll back
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _extract_systems(cfg: Config, wh: Warehouse, systems: list[str], full: bool, metrics: RunMetrics) -> bool:
    from ingest import progress as progress_bars
    from ingest.pipeline import IngestError, Job
    from ingest.sources.csv_files import CsvStructureError

    log = get_logger("ingest")
    ok = True
    for system in systems:
        log.info(f"  {system} -> raw_{system}")
        printed: dict[str, int] = {}

        def on_round(result, printed=printed):
            if result.rows:
                _news()
            bars = progress_bars.current()
            for name, prog in result.tables.items():
                if bars is not None and not prog.unchanged:
                    bars.table(f"{system}.{name}", prog.expected, prog.rows)
                if prog.rows and printed.get(name) != prog.rows:
                    printed[name] = prog.rows
                    log.info(f"    {name:<34} chunk {prog.cycle_chunk:>4}: {prog.total_rows:>12,} rows",
                             extra={"data": {"table": f"raw_{system}.{name}", "rows": prog.total_rows,
                                             "chunk": prog.cycle_chunk}})
        try:
            job = Job(system, cfg, wh)
            job.count_rows = progress_bars.current() is not None
            res = job.run(full=full, resume=cfg.raw["recovery"]["resume_on_failure"], on_round=on_round)
        except (IngestError, CsvStructureError) as exc:
            log.error(f"  {system}: {exc}")
            metrics.errors.append(f"{system}: {exc}")
            ok = False
            continue
        # unusable CSV files: already logged (errors log) by the job; errors, but the rest loaded and the run goes on
        metrics.errors.extend(f"{system}: {e}" for e in res.input_errors)
        for w in res.input_warnings:
            log.warning(f"    WARNING {w}")
            metrics.warnings.append(f"{system}: {w}")
        for warning in res.warnings:
            log.warning(f"    WARNING {warning}")
            metrics.warnings.append(warning)
        for error in res.errors:  # a table that cannot be read: an error; the other tables loaded, the run goes on
            log.error(f"  {error}")
            metrics.errors.append(error)
        quarantined = 0
        for name, p in res.tables.items():
            if p.quarantined:
                metrics.quarantine[f"raw_{system}.{name}"] = dict(p.quarantined)
                quarantined += sum(p.quarantined.values())
        metrics.records_quarantined += quarantined
        deleted = 0
        for name, p in res.tables.items():
            if p.deleted:
                log.info(f"    {name:<34} {p.deleted:,} row(s) deleted in the source: marked _deleted_at in raw",
                         extra={"data": {"table": f"raw_{system}.{name}", "rows": p.deleted}})
                metrics.deleted[f"raw_{system}.{name}"] = p.deleted
                deleted += p.deleted
            if p.deletes_checked:
                metrics.deletes_checked.append(f"raw_{system}.{name}")
        metrics.records_deleted += deleted
        unchanged = [n for n, p in res.tables.items() if p.rows == 0]
        rejected = sum(p.rejected for p in res.tables.values())
        log.info(f"    {system}: {res.rows:,} rows in {len(res.tables) - len(unchanged)} table(s) "
                 f"({len(unchanged)} unchanged), {res.rounds} round(s), {res.seconds:.1f} s"
                 + (f", {res.retries} retry(ies)" if res.retries else "")
                 + (f", {rejected:,} malformed line(s) kept in _rechazo" if rejected else "")
                 + (f", {quarantined:,} source row(s) quarantined" if quarantined else "")
                 + (f", {deleted:,} deleted in the source" if deleted else ""),
                 extra={"data": {"source": system, "rows": res.rows, "duration_s": round(res.seconds, 2)}})
        metrics.records_extracted += res.rows
        bars = progress_bars.current()
        if bars is not None:
            for name, p in res.tables.items():
                if not p.unchanged:
                    bars.table_done(f"{system}.{name}")
        metrics.records_rejected += rejected
        metrics.rejected.update({f"raw_{system}.{n}": p.rejected for n, p in res.tables.items() if p.rejected})
        metrics.tables.update({f"raw_{system}.{n}": p.rows for n, p in res.tables.items()})
        del job
    return ok


# The layers of a build, in the order of the phases of a full build (PHASES_RUN after the extract)
LAYERS = PHASES_RUN[1:]
# A build is the four layers in one dbt invocation (transform_steps): its console title -> its name
# in the run metrics, where each layer's entry follows it with layer_of
ALL_STEP = "Validate and populate, dimensions, facts, final checks: everything, in one dbt build"
ALL_PHASE = "Build everything"
CHANGED_STEP = "Validate and populate, dimensions, facts, final checks: what changed, in one dbt build"
CHANGED_PHASE = "Build what changed"
# with sources.csv.on_error: fail, the staging layer is built and checked first, alone
ALL_AFTER_STAGING = "Dimensions, facts, final checks: everything else, in one dbt build"
CHANGED_AFTER_STAGING = "Dimensions, facts, final checks: what else changed, in one dbt build"
ONE_BUILD = {ALL_STEP: ALL_PHASE, CHANGED_STEP: CHANGED_PHASE,
             ALL_AFTER_STAGING: "Build everything after staging",
             CHANGED_AFTER_STAGING: "Build what changed after staging"}


def transform_steps(select: str | None, changes: list[str] | None = None,
                    rebuild_incremental: bool = False, staging_first: bool = False) -> list[tuple[str, list[str]]]:
    """The dbt invocations of a run. ``changes`` (dbt selectors, from ingest.build_state.plan):
    None builds everything (ALL_STEP), a list what reads those changes (CHANGED_STEP), each in ONE
    dbt invocation of the four layers (staging, dimensions, facts, final checks) in dbt's own order:
    a failed check skips what descends from it, and dw is published only when every node passed.
    One invocation instead of one per layer: each invocation paid dbt's start (1-2 s), and the
    barrier at the end of each layer left a core idle while its longest chain ran (a day of changes
    at scale 100: the dbt part 66 -> 42 s; a full build at scale 1: 15.1-17.5 -> 13.9-16.1 s wall,
    the same nodes and checks; benchmarks/README.md). ``select``: that selection, alone.
    ``rebuild_incremental``: with --full-refresh, so the incremental staging tables, the incremental
    intermediate models (int_fact_ventas_oro) and the facts are rebuilt from what they read (a build
    of everything because the project changed, or its last build is unknown: what they hold was
    written by other code or variables; the models that cannot be rebuilt keep their rows,
    full_refresh=false; the dimensions and audits are tables, rebuilt either way).
    ``staging_first`` (sources.csv.on_error: fail, which stops the build at the first CSV line
    rejected in staging, before any dimension or fact is written): the staging layer (seeds,
    staging, snapshots and their checks) is a dbt invocation of its own, and the rest the next
    one, which a failed staging check skips; each test runs once, in the invocation that builds
    the last of its parents (indirect selection "buildable")."""
    if select:
        return [("Transform (selected)", ["build", "--select", select])]
    if changes == []:
        return []
    rebuild = ["--full-refresh"] if rebuild_incremental else []
    if not staging_first:
        if changes is not None:
            return [(CHANGED_STEP, ["build", "--select", *changes])]
        return [(ALL_STEP, ["build", *rebuild])]
    staged = ["resource_type:seed", "path:models/staging", "path:snapshots"]
    buildable = ["--indirect-selection", "buildable"]
    if changes is None:
        first, rest, title = staged, [], ALL_AFTER_STAGING
    else:   # each change's staging part (intersections), then the rest of its descendants
        first, rest, title = [f"{c},{s}" for c in changes for s in staged], ["--select", *changes], CHANGED_AFTER_STAGING
    return [(LAYERS[0], ["build", "--select", *first, *buildable, *rebuild]),
            (title, ["build", *rest, "--exclude", *staged, *buildable, *rebuild])]


def _layer(node, nodes: dict) -> int | None:
    """The layer (index in LAYERS) a dbt node belongs to: staging (seeds, snapshots, staging
    models and the tests of sources), dimensions, facts (models/dimensions, models/facts, with
    their intermediate models), final checks (the rest); a test in the layer of its latest
    parent among ``nodes`` (unique_id -> node), else of the file that defines it; None for the
    project's hooks (on-run-start, the publish on-run-end): the build's own, in no layer."""
    path = str(getattr(node, "original_file_path", "") or "")
    if node.resource_type == "operation":
        return None
    if node.resource_type == "test":
        parents = [nodes[u] for u in node.depends_on.nodes if u in nodes]
        if parents:
            return max(_layer(p, nodes) for p in parents)
    if node.resource_type in ("seed", "snapshot") or path.startswith("models/staging/"):
        return 0
    if path.startswith("models/dimensions/"):
        return 1
    if path.startswith("models/facts/"):
        return 2
    return 3


def layer_summary(results: list, phase_start_s: float, wall_start: float) -> list[dict]:
    """What one dbt build of several layers did, per layer: nodes built, nodes by status, and
    the layer's span (its first node's start to its last node's end, seconds from the run's
    start: ``phase_start_s`` is the invocation's offset, ``wall_start`` its time.time())."""
    layers: list[dict] = [{"phase": name, "built": 0, "counts": {}, "start": None, "end": None, "failed": False}
                          for name in LAYERS]
    nodes = {r.node.unique_id: r.node for r in results}
    for r in results:
        index = _layer(r.node, nodes)
        if index is None:
            continue
        layer = layers[index]
        status = str(r.status)
        if r.node.resource_type in ("model", "snapshot", "seed") and status == "success":
            layer["built"] += 1
        layer["counts"][status] = layer["counts"].get(status, 0) + 1   # as DbtResult.counts
        layer["failed"] = layer["failed"] or status in ("error", "fail")
        for t in getattr(r, "timing", []) or []:
            if t.started_at and t.completed_at:
                a = phase_start_s + t.started_at.timestamp() - wall_start
                b = phase_start_s + t.completed_at.timestamp() - wall_start
                layer["start"] = a if layer["start"] is None else min(layer["start"], a)
                layer["end"] = b if layer["end"] is None else max(layer["end"], b)
    return [lay for lay in layers if lay["start"] is not None]


OUT_OF_SYNC = "schemas on this incremental model are out of sync"


def _out_of_sync(res) -> list[str]:
    """The incremental models of a failed dbt run whose table lacks (or has extra) columns."""
    return sorted(r.node.name for r in res.results
                  if str(r.status) == "error" and OUT_OF_SYNC in str(getattr(r, "message", "") or ""))


CONNECTION_LOST = ("connection to server", "could not connect", "server closed the connection",
                   "terminating connection", "not currently accepting connections", "connection refused",
                   "connection already closed", "could not set lock on file")


def _connection_lost(res) -> str | None:
    """The first failure of a dbt run that says the warehouse could not be reached, or None."""
    for failure in res.failures:
        if any(marker in failure.lower() for marker in CONNECTION_LOST):
            return failure.strip().splitlines()[0][:300]
    return None


def transform(cfg: Config, wh: Warehouse, steps, full: bool, metrics: RunMetrics, first_phase: int, total: int,
              publish: bool = True) -> bool:
    """Runs the dbt phases; ``publish``: whether the last one publishes dw when every check passed
    (write-audit-publish; not for `validate`, whose checks do not cover the marts)."""
    from ingest.dbt_runner import run_dbt

    log = get_logger()
    ok = True
    all_results: list = []
    for i, (title, args) in enumerate(steps):
        merged = title in ONE_BUILD   # the four layers in one invocation: phases 2-5 of 5
        _phase(log, f"{first_phase + i}-{total}" if merged else first_phase + i, total, title, metrics,
               ONE_BUILD.get(title))
        wall_start = time.time()
        if not ok:
            log.info("    skipped: an earlier step failed")
            end_phase(metrics, "skipped")
            continue
        phase = args + (["--full-refresh"] if full else [])
        last = publish and i == len(steps) - 1   # dw changes once, after the last invocation, when every check passed
        res = run_dbt(phase, cfg.root, wh.target, cfg.dbt_vars(), publish=last)
        resynced = [] if full or res.ok else _out_of_sync(res)
        if resynced:
            # a new version of the project changed the columns of an incremental model: rebuild the
            # phase from the sources once (raw keeps every row, so a full refresh gives what the
            # incremental path would have; models that cannot be rebuilt have full_refresh=false)
            log.warning(f"    {', '.join(resynced)}: the project changed the columns of this incremental "
                        "model (an upgrade); building again from the sources (--full-refresh)")
            phase = args + ["--full-refresh"]
            res = run_dbt(phase, cfg.root, wh.target, cfg.dbt_vars(), publish=last)
        retries, delay = cfg.batch["max_retries"], cfg.batch["retry_delay"]
        for attempt in range(1, retries + 1):
            lost = _connection_lost(res)
            if res.ok or lost is None:
                break
            # the warehouse went away (restart, failover, network): the build's nodes are
            # idempotent, so it runs again, per batch.max_retries / retry_delay
            log.warning(f"    building: attempt {attempt} of {retries + 1} failed ({lost}); "
                        f"retrying the build in {delay:g} s")
            time.sleep(delay)
            res = run_dbt(phase, cfg.root, wh.target, cfg.dbt_vars(), publish=last)   # as last run (a resync's full refresh too)
        built = sum(v for k, v in res.built.items() if k in ("model", "snapshot", "seed"))
        metrics.nodes_built += built
        metrics.tests_passed += res.counts.get("pass", 0)
        metrics.tests_warned += res.counts.get("warn", 0)
        metrics.tests_failed += res.counts.get("fail", 0) + res.counts.get("error", 0)
        metrics.failing_rows += sum(int(getattr(r, "failures", 0) or 0) for r in res.results
                                    if str(r.status) in ("fail", "error"))
        metrics.errors.extend(res.failures)
        metrics.warnings.extend(res.warnings)
        if not res.results and res.ok:
            log.info("    nothing to build here yet")
        else:
            log.info(f"    {_counts_line(built, res.counts)}")
        ok = ok and res.ok
        end_phase(metrics, "ok" if res.ok else "failed")
        if merged and res.results:
            _report_layers(log, metrics, res.results, wall_start)
        all_results.extend(res.results)
        metrics.relations += sorted({(r.node.schema, r.node.alias) for r in res.results
                                     if str(r.status) == "success" and r.node.resource_type in ("model", "seed", "snapshot")
                                     and getattr(r.node.config, "materialized", "") != "ephemeral"})
    if all_results:
        if publish:
            _publish_outcome(wh, metrics, all_results, ok)
        from ingest.reports import warehouse_row_counts, write_validation_reports

        built_dw = any(getattr(r.node, "schema", "") == BUILD_SCHEMA and str(r.status) == "success" for r in all_results)
        try:
            metrics.dw_rows = warehouse_row_counts(wh) if built_dw else {}
        except Exception as exc:  # noqa: BLE001
            log.warning(f"  could not count the warehouse rows: {exc}")

        try:
            paths = write_validation_reports(cfg.root, cfg.report_dir, wh, all_results)
            metrics.reports = [str(p) for p in paths]
            if paths:
                log.info(f"\n  validation reports: {len(paths)} JSON file(s) in {paths[0].parent}")
        except Exception as exc:  # noqa: BLE001 - reports must never hide the run's own result
            log.warning(f"  could not write the validation reports: {exc}")
    return ok


def _counts_line(built: int, counts: dict) -> str:
    """What a dbt build did, on one line: nodes built, then the nodes by status (dbt's)."""
    return (f"{built} built, {counts.get('pass', 0)} test(s) passed, {counts.get('warn', 0)} warned, "
            f"{counts.get('fail', 0)} failed, {counts.get('error', 0)} error(s), {counts.get('skipped', 0)} skipped")


def _report_layers(log, metrics: RunMetrics, results: list, wall_start: float) -> None:
    """After one dbt build of several layers: a line per layer (what it built and checked) and,
    in the run metrics, the layers as phases after the build's own (the run page draws them on
    its timeline, overlapping where dbt ran them side by side)."""
    build = metrics.phases[-1]
    for lay in layer_summary(results, build["start_s"], wall_start):
        log.info(f"    {lay['phase']:<32} {_counts_line(lay['built'], lay['counts'])}")
        metrics.phases.append({"phase": lay["phase"], "start_s": round(lay["start"], 2),
                               "duration_s": round(lay["end"] - lay["start"], 2),
                               "status": "failed" if lay["failed"] else build["status"], "layer_of": build["phase"]})


def _publish_outcome(wh: Warehouse, metrics: RunMetrics, results: list, ok: bool) -> None:
    """Says whether the build reached dw: the last invocation's on-run-end hook (macros/publicacion.sql)
    publishes only when every node passed, and leaves nothing pending when it did."""
    hook = [r for r in results if str(getattr(r.node, "unique_id", "")).endswith("-on-run-end-0")]
    metrics.publish_s = round(float(hook[-1].execution_time or 0), 2) if hook else 0.0
    try:
        con = wh.connect()
        try:
            cur = con.cursor()
            cur.execute(PENDING_MODELS_SQL)
            pending = int(cur.fetchone()[0])
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - no table yet: nothing was ever built into dw_build
        pending = None
    if ok and pending == 0:
        metrics.published = f"published: {PUBLISHED_SCHEMA} shows this run (one transaction, {metrics.publish_s:.1f} s)"
    else:
        metrics.published = (f"not published: {PUBLISHED_SCHEMA} still shows the last run whose every check passed"
                             + (f"; {pending} model(s) wait in {BUILD_SCHEMA} for the next run that passes"
                                if pending else ""))


def rebuild_marker(cfg: Config, wh: Warehouse) -> Path:
    """Left by ``setup --demo`` when it replaces the demo sources with different ones (another
    scale or seed, or the original data over evolved sources): the warehouse holds rows of a
    source system that no longer exists, under the same primary keys. The next complete run
    of this target reloads every source table and rebuilds the warehouse from nothing
    (``rebuild_from_scratch``), then removes the file."""
    return cfg.checkpoint_dir / f"{wh.target}.rebuild"


def request_rebuild(cfg: Config, wh: Warehouse, reason: str) -> Path:
    path = rebuild_marker(cfg, wh)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"requested_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                "reason": reason}) + "\n", encoding="utf-8")
    return path


def rebuild_requested(cfg: Config, wh: Warehouse) -> str | None:
    """The reason of a pending rebuild, or None."""
    path = rebuild_marker(cfg, wh)
    if not path.is_file():
        return None
    try:
        return str(json.loads(path.read_text(encoding="utf-8")).get("reason") or "requested")
    except (ValueError, AttributeError):
        return "requested"


# what dbt builds again from raw; dw keeps the last published run until the rebuild is published
BUILT_SCHEMAS = tuple(s for s in DW_SCHEMAS if s not in ("audit", PUBLISHED_SCHEMA))


def rebuild_from_scratch(wh: Warehouse) -> None:
    """Drop what dbt built (staging, snapshots, dw) and the record of the last build: a
    ``--full-refresh`` alone keeps the snapshots' history and the models that cannot be
    rebuilt (``full_refresh=false``: ``fact_inventario``'s earlier days), which belong to the
    source system that was replaced. ``audit.etl_runs`` (the history of runs) is kept."""
    from ingest import build_state

    con = wh.connect()
    try:
        cur = con.cursor()
        for schema in BUILT_SCHEMAS:
            cur.execute(f"drop schema if exists {schema} cascade")
        # an empty build schema of this version (its table of pending publications, as the macro
        # preparar_publicacion creates it): the facts are rebuilt from the sources, not taken over
        # from dw as on a warehouse from before write-audit-publish (macros/publicacion.sql)
        cur.execute(f"create schema {BUILD_SCHEMA}")
        cur.execute(f"create table {PENDING_TABLE} (modelo varchar(128), modo varchar(16))")
        cur.execute("create schema if not exists audit")
        cur.execute(f"drop table if exists {build_state.TABLE}")
    finally:
        con.close()


def build_plan(cfg: Config, wh: Warehouse, full: bool, select: str | None, read_only: bool = False,
               versions: dict[str, int] | None = None):
    """What the transform builds (ingest/build_state.py) and the facts its record needs.
    ``versions`` (raw table -> version): when the caller has read the dlt states already."""
    from ingest import build_state
    from ingest.pipeline import SYSTEMS, table_versions

    if versions is None:
        versions = {f"{system}.{t}": v for system in SYSTEMS
                    for t, v in sorted(table_versions(system, cfg, wh).items())}
    code = build_state.code_fingerprint(cfg.root, cfg.dbt_vars(), wh.target)
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    if select:
        plan = build_state.Plan(f"the selection {select!r}, as asked")
    elif full:
        plan = build_state.Plan("--full-refresh: rebuilding everything from the sources")
    else:
        plan = build_state.plan(wh, code, versions, today, read_only)
    return plan, (code, versions, today)


def build_certain(cfg: Config, wh: Warehouse, full: bool, select: str | None) -> bool:
    """Whether this run's transform will build something, known before its extract: a full
    refresh, a selection, or a plan that builds whatever the extract finds
    (build_state.builds_anyway). False when it depends on what the extract loads."""
    from ingest import build_state

    if full or select:
        return True
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    try:
        return build_state.builds_anyway(wh, build_state.code_fingerprint(cfg.root, cfg.dbt_vars(), wh.target), today)
    except Exception:  # noqa: BLE001 - only an optimisation: the plan after the extract decides
        return False


def record_build(wh: Warehouse, metrics: RunMetrics, plan, facts) -> None:
    from ingest import build_state

    code, versions, today = facts
    try:
        build_state.record(wh, metrics.run_id, code, versions, today, metrics.relations,
                           keep_relations=not plan.everything)
    except Exception as exc:  # noqa: BLE001 - without the record the next run builds everything: slower, not wrong
        get_logger().warning(f"  could not record the build in {build_state.TABLE}: {exc}")


def new_metrics(command: str, target: str) -> RunMetrics:
    now = dt.datetime.now(dt.timezone.utc)
    m = RunMetrics(run_id=now.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6], command=command,
                   target=target, started_at=now.isoformat(timespec="seconds"))
    _CLOCKS[m.run_id] = time.monotonic()
    return m


def finish_metrics(m: RunMetrics, ok: bool, t0: float, cpu0) -> None:
    import psutil

    proc = psutil.Process()
    end_phase(m, "ok" if ok else "failed")
    m.finished_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    m.duration_s = round(time.monotonic() - t0, 2)
    # an input that could not be used at all (an empty or headless file, a table without its key) is an
    # error while the run still succeeds: everything else was done, but not all its work -> "partial"
    m.status = ("partial" if m.errors else "success") if ok else "failed"
    try:
        import resource

        m.peak_memory_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except ImportError:  # not on POSIX
        m.peak_memory_mb = round(proc.memory_info().rss / 2 ** 20, 1)
    # an extract in a child process: the two processes' peaks while it ran, added (an upper bound:
    # the pages they shared after the fork count twice)
    m.peak_memory_mb = round(max(m.peak_memory_mb, _OVERLAP_PEAK_MB.pop(m.run_id, 0.0)), 1)
    cpu = proc.cpu_times()

    def spent(t) -> float:  # this process and its finished children (the extract's)
        return t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)

    used = spent(cpu) - spent(cpu0)
    m.cpu_percent = round(100 * used / max(m.duration_s, 1e-6), 1)
    # records, not tests: 2 rejected lines out of 28,676 read 99.99 %, not 100 %
    m.records_failed = m.records_rejected + m.records_quarantined + m.failing_rows
    if m.records_extracted:
        good = max(m.records_extracted - m.records_failed, 0)
        m.success_rate = round(100.0 * good / m.records_extracted, 2)
        if m.records_failed and m.success_rate == 100.0:
            m.success_rate = 99.99  # a failed record never rounds up to a clean run
    else:
        m.success_rate = 100.0 if ok and not m.records_failed else 0.0


def write_metrics(cfg: Config, wh: Warehouse, m: RunMetrics) -> Path:
    """One JSON file per run under reports/runs/, and a row in audit.etl_runs."""
    out = cfg.report_dir / "runs" / f"etl_run_{m.run_id}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = m.__dict__
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    cols = ["run_id", "command", "target", "started_at", "finished_at", "duration_s", "status",
            "records_extracted", "records_failed", "success_rate", "tables", "errors", "warnings",
            "peak_memory_mb", "cpu_percent"]
    vals = [doc[c] if c not in ("tables", "errors", "warnings") else json.dumps(doc[c], ensure_ascii=False)
            for c in cols]
    ddl = ("create table if not exists audit.etl_runs (run_id varchar primary key, command varchar, target varchar, "
           "started_at timestamp, finished_at timestamp, duration_s double precision, status varchar, "
           "records_extracted bigint, records_failed bigint, success_rate double precision, tables_json text, "
           "errors_json text, warnings_json text, peak_memory_mb double precision, cpu_percent double precision)")
    ins = ("insert into audit.etl_runs (run_id, command, target, started_at, finished_at, duration_s, status, "
           "records_extracted, records_failed, success_rate, tables_json, errors_json, warnings_json, "
           "peak_memory_mb, cpu_percent) values (" + ", ".join(["{p}"] * len(cols)) + ")")
    vals[3] = vals[3].replace("+00:00", "")
    vals[4] = vals[4].replace("+00:00", "")
    param = "?" if wh.target == "duckdb" else "%s"
    try:
        con = wh.connect()
        try:
            cur = con.cursor()
            cur.execute("create schema if not exists audit")
            cur.execute(ddl)
            cur.execute(ins.format(p=param), vals)  # both connections autocommit
        finally:
            con.close()
    except Exception as exc:  # noqa: BLE001 - metrics must never hide the run's own result
        get_logger().warning(f"could not record the run in audit.etl_runs: {exc}")
    try:
        from ingest import run_page

        run_page.write(cfg.report_dir, doc)
    except Exception as exc:  # noqa: BLE001 - the page must never hide the run's own result
        get_logger().warning(f"could not write the run page: {exc}")
    return out


def summary(log, m: RunMetrics, metrics_file: Path) -> None:
    from ingest.logs import SUMMARY

    log = get_logger(SUMMARY[len("puntafina."):])  # shown on the console with --quiet too
    log.info("\n== Summary ==")
    log.info(f"  status       {m.status.upper()}  ({m.duration_s:.1f} s, peak memory {m.peak_memory_mb:,.0f} MB)")
    log.info(f"  extracted    {m.records_extracted:,} rows" +
             (f" ({m.records_rejected:,} malformed CSV lines kept for review)" if m.records_rejected else "")
             + (f"; {m.records_quarantined:,} source row(s) quarantined (raw_*._cuarentena)"
                if m.records_quarantined else ""))
    if m.deletes_checked or m.records_deleted:
        log.info(f"  deletes      {m.records_deleted:,} source row(s) found deleted, marked _deleted_at in raw "
                 f"({len(m.deletes_checked)} table(s) checked; staging and the facts leave them out)")
    if m.warnings:
        log.info(f"  warnings     {len(m.warnings)} (schema drift, quarantined rows, warned tests; see the run metrics)")
    log.info(f"  built        {m.nodes_built} dbt nodes (models, snapshots, seeds)"
             + (f"; plan: {m.build_plan}" if m.build_plan else ""))
    if m.dw_rows:
        dims = {k: v for k, v in m.dw_rows.items() if k.startswith("dim_")}
        facts = {k: v for k, v in m.dw_rows.items() if k.startswith("fact_")}
        log.info(f"  warehouse    dw: {len(dims)} dimensions ({sum(dims.values()):,} rows), "
                 f"{len(facts)} facts ({sum(facts.values()):,} rows)")
        for name, n in facts.items():
            log.info(f"                 {name:<24} {n:>12,} rows")
    if m.published:
        log.info(f"  dw           {m.published}")
    log.info(f"  checks       {m.tests_passed} passed, {m.tests_warned} warned, {m.tests_failed} failed")
    log.info(f"  records      success rate {m.success_rate:.2f} % ({m.records_failed:,} failed: rejected lines, "
             f"quarantined rows, rows failing a check)")
    for e in m.errors[:20]:
        log.info(f"  failure      {e}")
    if len(m.errors) > 20:
        log.info(f"  …and {len(m.errors) - 20} more (see logs/errors/)")
    def shown(path: Path):
        return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path

    log.info(f"  run metrics  {shown(metrics_file)}")
    from ingest.run_page import page_path

    page = page_path(metrics_file.parent, m.run_id)
    if page.exists():
        log.info(f"  run page     {shown(page)}")
