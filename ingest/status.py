"""`python run_etl.py status`: where the warehouse stands, read-only and in a few seconds.

- the last runs recorded in ``audit.etl_runs`` (status, start, duration, rows, failures);
- every checkpointed job: each source table's load state from its dlt pipeline state (the
  state a resume uses), done or resumable from chunk N;
- freshness: when each source system last loaded, and for tables with an update cursor the
  newest cursor value loaded;
- what the next run would do with what is already loaded (ingest/build_state.py): build
  everything, the descendants of the changed raw tables, or nothing.

Nothing is taken or written: no run lock, DuckDB opened read-only (a run in progress keeps
the file; status then says so and shows what the checkpoints say).
"""
from __future__ import annotations

import datetime as dt
import json

from ingest.config import Config
from ingest.pipeline import SYSTEMS, reset_marker, table_states
from ingest.warehouse import Warehouse

LAST_RUNS = 8


def _query(con, sql: str) -> list[tuple] | None:
    try:
        cur = con.cursor()
        cur.execute(sql)
        return cur.fetchall()
    except Exception:  # noqa: BLE001 - a table that does not exist yet
        if hasattr(con, "rollback"):
            try:
                con.rollback()
            except Exception:  # noqa: BLE001
                pass
        return None


def _load_time(load_id: str) -> str:
    try:
        return dt.datetime.fromtimestamp(float(load_id), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError):
        return str(load_id)


def report(cfg: Config, wh: Warehouse, log) -> int:
    from ingest import build_state
    from ingest.orchestrator import PENDING_MODELS_SQL, build_plan, rebuild_requested

    log.info(f"PuntaFina ETL  status  target {wh.target}: {wh.describe()}")
    con = None
    try:
        if wh.target == "duckdb" and not wh.duckdb_path.is_file():
            log.info("\n  the warehouse does not exist yet: `python run_etl.py` extracts the sources and builds it")
        else:
            con = wh.connect(read_only=True)
    except Exception as exc:  # noqa: BLE001 - a run holds the DuckDB file, or the server is down
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.info(f"\n  the warehouse cannot be read now ({first[:200]}); a run may be writing it. "
                 f"What the checkpoints say follows.")

    log.info("\n== Last runs (audit.etl_runs) ==")
    rows = _query(con, "select run_id, command, status, started_at, duration_s, records_extracted, "
                       f"records_failed, errors_json from audit.etl_runs order by started_at desc limit {LAST_RUNS}") \
        if con is not None else None
    if not rows:
        log.info("  no run recorded yet")
    for run_id, command, status, started, secs, extracted, failed, errors in rows or []:
        n_err = 0
        if errors:
            try:
                n_err = len(json.loads(errors))
            except ValueError:
                n_err = 0
        log.info(f"  {str(started)[:19]:<19}  {command:<8} {str(status).upper():<8} {float(secs or 0):>8.1f} s"
                 f"  {int(extracted or 0):>10,} rows  {int(failed or 0):>6,} failed records"
                 + (f"  {n_err} error(s)" if n_err else "") + f"  ({run_id})")

    log.info("\n== Checkpointed jobs (the state a resume uses) ==")
    all_states = {system: table_states(system, cfg, wh) for system in SYSTEMS}  # read once, used below
    resumable: list[str] = []
    for system in SYSTEMS:
        states = all_states[system]
        if not states:
            log.info(f"  {system:<12} never loaded")
            continue
        done = [n for n, s in states.items() if s.get("done")]
        pending = {n: s for n, s in states.items() if not s.get("done")}
        rows_total = sum(int(s.get("rows", 0)) for s in states.values())
        log.info(f"  {system:<12} {len(done)} table(s) done, {len(pending)} resumable; {rows_total:,} rows in the "
                 f"current cycles")
        if reset_marker(cfg, system).exists():
            log.info(f"    reset requested (`run_etl.py reset`): the next run reloads every {system} table from scratch")
        for name, s in sorted(pending.items()):
            resumable.append(f"{system}.{name}")
            log.info(f"    {name:<34} resumable from chunk {int(s.get('chunk', 0)) + 1} "
                     f"({int(s.get('rows', 0)):,} rows of this cycle loaded, started {s.get('started', '?')})")

    log.info("\n== Freshness ==")
    for system in SYSTEMS:
        last = _query(con, f"select max(load_id) from raw_{system}._dlt_loads where status = 0") \
            if con is not None else None
        when = _load_time(last[0][0]) if last and last[0][0] else "never"
        log.info(f"  {system:<12} last load {when}")
        if system == "csv":
            continue
        states = all_states[system]
        cursors = [(n, s["after"][0]) for n, s in sorted(states.items())
                   if isinstance(s.get("after"), list) and s["after"] and len(s["after"]) > 1]
        newest = sorted(cursors, key=lambda c: str(c[1]))[-3:]
        if newest:
            log.info("    newest update cursor loaded: " + ", ".join(f"{n} {str(v)[:19]}" for n, v in reversed(newest)))

    pending = _query(con, PENDING_MODELS_SQL) \
        if con is not None else None
    log.info("\n== Published (dw, what readers query) ==")
    if pending is None:
        log.info("  nothing built yet")
    elif pending[0][0]:
        log.info(f"  {pending[0][0]} model(s) built in dw_build but not published: the last build did not pass every "
                 "check, so dw shows the last run that did; the next run that passes publishes them")
    else:
        log.info("  dw shows the last build (every check passed)")

    log.info("\n== The next run ==")
    rebuild = rebuild_requested(cfg, wh)
    if rebuild:
        log.info(f"  rebuilds the warehouse from scratch: {rebuild} (every source table reloaded, staging, "
                 "snapshots and dw_build rebuilt, then published to dw)")
    if resumable:
        log.info(f"  resumes {len(resumable)} interrupted table load(s): {', '.join(resumable[:6])}"
                 + (" …" if len(resumable) > 6 else ""))
    log.info("  extracts what changed in the sources since the last load (tables with an update cursor: new and "
             "updated rows; the others only if their fingerprint moved, and only the blocks that moved "
             "where their keys are integers)")
    if con is not None:
        con.close()
        con = None
        try:
            versions = {f"{system}.{n}": int(st.get("version", 0))
                        for system, states in all_states.items() for n, st in sorted(states.items())}
            plan, _ = build_plan(cfg, wh, False, None, read_only=True, versions=versions)
            log.info(f"  then, with what is loaded now: {plan.reason}")
            if plan.tables:
                log.info(f"    changed: {', '.join(plan.tables[:8])}" + (" …" if len(plan.tables) > 8 else ""))
        except Exception as exc:  # noqa: BLE001
            log.info(f"  the build plan cannot be read now ({exc})")
    else:
        log.info(f"  the build plan is recorded in {build_state.TABLE} (unreadable now)")
    return 0
