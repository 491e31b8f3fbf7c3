#!/usr/bin/env python3
"""What a pipeline run costs, by scale and target: full run, rebuild, no-change run, a day of changes.

    .venv/bin/python benchmarks/run_cost.py --scale 1 --target duckdb
    .venv/bin/python benchmarks/run_cost.py --scale 1 10 --target duckdb postgres   # PostgreSQL at 127.0.0.1:5432
    .venv/bin/python benchmarks/run_cost.py --scale 10 100 --runs full ingest      # memory: whole run, extract alone

Each case is a throwaway project (demo sources at the scale, its own warehouse; PostgreSQL
databases are dropped at the end). The first run of a project ("full") also pays dbt's first
parse of the project (no partial-parse state in its target/ yet); "rebuild" (`run
--full-refresh` right after it: every table extracted again, every model rebuilt, every check
run) is a full run from a warm install, the figure issue 7's target 1 is stated in. For every run it prints wall seconds, CPU seconds of the
run's process tree (user + system, from the children's rusage: the steadier figure on a
shared machine), peak RSS, the publish of dw (write-audit-publish: the last invocation's on-run-end
hook, seconds), and the slowest dbt nodes (models and tests, of every phase);
then the ratios the targets are stated in: no-change / full and evolve / full (CPU),
dbt against direct SQL (`direct`: the compiled SQL of every model and test of the last run,
executed straight on the warehouse in one connection, against the dbt phases' wall time),
ingest against COPY (`copy`: the extract of `ingest --full-refresh` against a binary COPY of the
same Oro tables, psql -> psql, in the same run; PostgreSQL sources),
PostgreSQL / DuckDB (wall and CPU) at the same scale, and scale-to-scale growth. (On
PostgreSQL the CPU of the server processes is not in the figure: compare PostgreSQL runs
by wall time.)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


SLOWEST = 8  # slowest dbt nodes (models and tests, all phases) printed per run
_NODE_LINE = re.compile(r"^ +\S+ +(?:model|test|snapshot|seed) +(?P<name>\S+) +\((?P<secs>[\d.]+) s\)$", re.M)


def _timed(project, *args: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(project.cmd(*args), env=project.env, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"run {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    runs = sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"), key=lambda p: p.stat().st_mtime)
    metrics = json.loads(runs[-1].read_text())
    # every dbt node of every phase: run_etl logs one line per node with its time (tests at DEBUG)
    nodes = [(float(m["secs"]), m["name"]) for m in _NODE_LINE.finditer(proc.stdout)]
    slow = sorted(nodes, reverse=True)[:SLOWEST]
    phases = [p for p in metrics.get("phases", []) if not p.get("layer_of")]   # a layer is inside its build
    dbt_s = sum(float(p.get("duration_s") or 0) for p in phases if not p["phase"].startswith("Extract"))
    extract_s = sum(float(p.get("duration_s") or 0) for p in phases if p["phase"].startswith("Extract"))
    oro_rows = sum(int(n) for t, n in (metrics.get("tables") or {}).items() if not t.startswith("raw_csv."))
    return {"wall": wall, "cpu": cpu, "rss_mb": metrics.get("peak_memory_mb", 0.0), "slow": slow,
            "publish_s": float(metrics.get("publish_s") or 0.0), "dbt_s": dbt_s, "extract_s": extract_s,
            "oro_rows": oro_rows}


RUNS = ("full", "rebuild", "no_change", "evolve", "ingest", "direct", "copy")


def _copy_pipe(project) -> dict:
    """The physical limit of the extract, in the same run: every Oro source table copied by
    `COPY ... (format binary)` from its source database to a scratch schema of the warehouse
    database (psql piped to psql, one table after the other), against which the extract of the
    same tables (`ingest --full-refresh`, run just before) is compared. PostgreSQL sources only
    (the DuckDB projects read SQLite files: no COPY pipe). The scratch tables are created with the
    source's column types before the clock starts, and dropped after."""
    import psycopg2

    from conftest import PG
    from ingest import catalog

    env = dict(os.environ, PGPASSWORD=PG["password"])
    psql = (f"psql -h {PG['host']} -p {PG['port']} -U {PG['user']} -qAtX -v ON_ERROR_STOP=1")
    dw = project.env["DW_DATABASE"]
    dst = psycopg2.connect(dbname=dw, **PG)
    dst.autocommit = True
    cur = dst.cursor()
    cur.execute("drop schema if exists pf_copia cascade; create schema pf_copia")
    rows, seconds, tables = 0, 0.0, 0
    try:
        for system in ("orocommerce", "orocrm"):
            db = project.urls[system].rsplit("/", 1)[1]
            src = psycopg2.connect(dbname=db, **PG)
            try:
                scur = src.cursor()
                for t in catalog.tables(system):
                    scur.execute("select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
                                 "where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped "
                                 "order by a.attnum", (f'"{t.name}"',))
                    cols = scur.fetchall()
                    if not cols:
                        continue
                    scur.execute(f'select count(*) from "{t.name}"')
                    rows += scur.fetchone()[0]
                    dest = f'pf_copia."{system}__{t.name}"'
                    cur.execute(f"create table {dest} ({', '.join(f'{chr(34)}{c}{chr(34)} {ty}' for c, ty in cols)})")
                    pipe = (f"{psql} -d {db} -c 'copy \"{t.name}\" to stdout (format binary)' | "
                            f"{psql} -d {dw} -c 'copy {dest} from stdin (format binary)'")
                    t0 = time.monotonic()
                    subprocess.run(["bash", "-c", pipe], check=True, env=env)
                    seconds += time.monotonic() - t0
                    tables += 1
            finally:
                src.close()
    finally:
        cur.execute("drop schema if exists pf_copia cascade")
        dst.close()
    return {"seconds": seconds, "rows": rows, "tables": tables}


def _direct_sql(project) -> dict:
    """The compiled SQL of every model and data test of the project's last run, executed
    straight on its warehouse, one statement after the other in one connection: a table or an
    incremental model as `create temp table ... as <select>`, a view as a temp view, a test as
    `select count(*)` of its failing rows (what dbt runs around them, minus dbt). Seconds,
    statements (the caller adds the dbt phases' seconds of that build for the ratio)."""
    target = Path(project.env["DBT_TARGET_PATH"])
    manifest = json.loads((target / "manifest.json").read_text())
    statements, nodes = [], 0
    for node in manifest["nodes"].values():
        kind = node["resource_type"]
        if node["package_name"] != "puntafina" or kind not in ("model", "test"):
            continue
        nodes += 1
        base = target / "compiled" / "puntafina" / node["original_file_path"]
        path = base if kind == "model" or node["original_file_path"].endswith(".sql") else base / node["path"]
        if not path.exists():
            continue  # not compiled by the last run (e.g. a unit-test-only node)
        sql = path.read_text().strip().rstrip(";")
        if kind == "test":
            statements.append((None, f"select count(*) from ({sql}) as fallos"))
        elif node["config"].get("materialized") == "view":
            statements.append(("drop view if exists pf_directo_v", f"create temp view pf_directo_v as {sql}"))
        else:
            statements.append(("drop table if exists pf_directo_t", f"create temp table pf_directo_t as {sql}"))
    if project.target == "duckdb":
        import duckdb

        con = duckdb.connect(project.env["PUNTAFINA_DUCKDB_PATH"])
    else:
        import psycopg2

        from conftest import PG
        con = psycopg2.connect(dbname=project.env["DW_DATABASE"], **PG)
        con.autocommit = True
    t0 = time.monotonic()
    try:
        cur = con.cursor()
        for drop, sql in statements:
            if drop:
                cur.execute(drop)
            cur.execute(sql)
            if cur.description:
                cur.fetchall()
    finally:
        con.close()
    return {"seconds": time.monotonic() - t0, "statements": len(statements), "nodes": nodes}


def bench(scale: float, target: str, runs: tuple[str, ...] = RUNS[:4], batch: dict | None = None) -> dict:
    from conftest import EtlProject

    with tempfile.TemporaryDirectory(prefix="pf_bench_") as tmp:
        project = EtlProject(Path(tmp), target)
        project.env["DBT_TARGET_PATH"] = str(Path(tmp) / "dbt_target")
        # DEBUG: run_etl then prints every node's time, passing tests included (read by _timed)
        project.write_config(monitoring={"log_level": "DEBUG"}, **({"batch": batch} if batch else {}))
        try:
            project.generate(scale=scale, seed=42)
            out = {"full": _timed(project, "run")}
            if "rebuild" in runs:   # warm: dbt's partial-parse state now exists
                out["rebuild"] = _timed(project, "run", "--full-refresh")
            if "direct" in runs:  # the compiled SQL of that whole build (warm when rebuilt), without dbt
                of = "rebuild" if "rebuild" in out else "full"
                out["direct"] = _direct_sql(project) | {"dbt_s": out[of]["dbt_s"], "of": of}
            if "no_change" in runs:
                out["no_change"] = _timed(project, "run")
            if "evolve" in runs:
                project.evolve(step=1, seed=42)
                out["evolve"] = _timed(project, "run")
            if "ingest" in runs or "copy" in runs:  # extract alone, every table from scratch (the heaviest ingest)
                out["ingest"] = _timed(project, "ingest", "--full-refresh")
            if "copy" in runs and target == "postgres":  # the same tables through the COPY pipe
                out["copy"] = _copy_pipe(project) | {"extract_s": out["ingest"]["extract_s"],
                                                     "oro_rows": out["ingest"]["oro_rows"]}
        finally:
            project.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0])
    ap.add_argument("--target", nargs="+", default=["duckdb"], choices=["duckdb", "postgres"])
    ap.add_argument("--runs", nargs="+", default=list(RUNS[:4]), choices=RUNS,
                    help="runs after the full one (default full rebuild no_change evolve; rebuild = `run "
                         "--full-refresh`, warm; direct = the compiled SQL of the full run or rebuild executed "
                         "without dbt; ingest = `ingest --full-refresh` last, extract alone; copy = that ingest beside "
                         "a COPY binary of the same source tables, psql -> psql, PostgreSQL only)")
    ap.add_argument("--max-memory-mb", type=int, help="batch.max_memory_mb of the project (default: the config's)")
    args = ap.parse_args()
    batch = {"max_memory_mb": args.max_memory_mb} if args.max_memory_mb else None
    os.environ.update(DO_NOT_TRACK="1", RUNTIME__DLTHUB_TELEMETRY="false", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    results: dict[tuple, dict] = {}
    print(f"{'scale':>6} {'target':<9} {'run':<10} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8} {'publish s':>9}  "
          "slowest dbt nodes")
    for scale in args.scale:
        for target in args.target:
            res = results[(scale, target)] = bench(scale, target, tuple(args.runs), batch)
            for run, r in res.items():
                if run in ("direct", "copy"):
                    continue
                slow = ", ".join(f"{name} {secs:.1f}s" for secs, name in r["slow"])
                print(f"{scale:>6g} {target:<9} {run:<10} {r['wall']:>8.1f} {r['cpu']:>8.1f} {r['rss_mb']:>8.0f} "
                      f"{r['publish_s']:>9.2f}  {slow}", flush=True)
    print("\nratios (CPU unless said)")
    for (scale, target), res in results.items():
        full = res["full"]["cpu"]
        parts = [f"{run.replace('_', '-')}/full {res[run]['cpu'] / full:.2f}" for run in ("no_change", "evolve")
                 if run in res]
        if "rebuild" in res:
            parts.append(f"rebuild (warm full run) {res['rebuild']['wall']:.1f} s wall = "
                         f"{res['rebuild']['wall'] / 12.5:.2f}x target 1's 12.5 s")
        if parts:
            print(f"  scale {scale:g} {target}: " + ", ".join(parts))
        if "direct" in res:
            d = res["direct"]
            print(f"  scale {scale:g} {target} dbt vs direct SQL: the {d['of']} run's dbt phases {d['dbt_s']:.1f} s wall, "
                  f"its {d['statements']} compiled models and tests (of {d['nodes']} in the project) run directly "
                  f"{d['seconds']:.1f} s "
                  f"(dbt / direct {d['dbt_s'] / max(d['seconds'], 0.001):.2f})")
        if "copy" in res:
            c = res["copy"]
            print(f"  scale {scale:g} {target} ingest vs COPY: the extract of `ingest --full-refresh` {c['extract_s']:.1f} s "
                  f"({c['oro_rows']:,} Oro rows, {c['oro_rows'] / max(c['extract_s'], 0.001):,.0f} rows/s), COPY binary "
                  f"of the same {c['tables']} tables psql -> psql {c['seconds']:.1f} s ({c['rows']:,} rows, "
                  f"{c['rows'] / max(c['seconds'], 0.001):,.0f} rows/s): ingest / COPY {c['extract_s'] / max(c['seconds'], 0.001):.2f}")
        elif "copy" in args.runs and target == "duckdb":
            print(f"  scale {scale:g} duckdb ingest vs COPY: not measured (the DuckDB projects read SQLite sources; "
                  "benchmarks/el_throughput.py measures PostgreSQL -> DuckDB)")
    for scale in args.scale:
        if (scale, "duckdb") in results and (scale, "postgres") in results:
            d, p = results[(scale, "duckdb")]["full"], results[(scale, "postgres")]["full"]
            print(f"  scale {scale:g} full run postgres/duckdb: wall {p['wall'] / d['wall']:.2f}, CPU {p['cpu'] / d['cpu']:.2f}")
    scales = sorted(args.scale)
    for target in args.target:
        for lo, hi in zip(scales, scales[1:]):
            a, b = results[(lo, target)]["full"], results[(hi, target)]["full"]
            print(f"  {target} full run scale {hi:g}/{lo:g} ({hi / lo:g}x data): wall {b['wall'] / a['wall']:.2f}, "
                  f"CPU {b['cpu'] / a['cpu']:.2f}, RSS {b['rss_mb'] / max(a['rss_mb'], 1):.2f}")
            if "ingest" in results[(lo, target)] and "ingest" in results[(hi, target)]:
                a, b = results[(lo, target)]["ingest"], results[(hi, target)]["ingest"]
                print(f"  {target} ingest alone scale {hi:g}/{lo:g}: CPU {b['cpu'] / a['cpu']:.2f}, "
                      f"RSS {b['rss_mb'] / max(a['rss_mb'], 1):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
