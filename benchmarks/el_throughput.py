#!/usr/bin/env python3
"""Extract-load throughput of the ingestion against the physical limit (COPY), on this machine.

    python benchmarks/el_throughput.py [--rows 1000000] [--chunk-size 200000] [--targets duckdb,postgres]

Builds a PostgreSQL source database with `--rows` rows in oro_order_line_item (Oro 6.1
columns, every other catalog table empty), then measures:
  (a) COPY binary, psql -> psql            the physical limit on this machine
  (b) our ingestion -> DuckDB / PostgreSQL  the real path: keyset slices through connectorx,
                                            dlt parquet loads, merge on the primary key,
                                            state committed per slice
Each run loads into a fresh warehouse and is checked (row count, distinct ids, sum of value).
Prints seconds, rows/s, ratio to COPY (1.0 = as fast as COPY) and peak RSS of the worker.
Compare with ../shared/measurements/el-throughput-1M.md (dlt defaults: ~6k rows/s,
connectorx + parquet in one package: ~140k rows/s, COPY binary: ~274k rows/s).
With --rounds, each run also prints one line per round: its wall time, dlt's extract / normalize /
load steps, and each load job's seconds (the staging copy and the merge of a table are two jobs).
Needs a PostgreSQL server (PUNTAFINA_TEST_PG_HOST/PORT/USER, default 127.0.0.1:5432 postgres).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest import catalog  # noqa: E402

PG = dict(host=os.environ.get("PUNTAFINA_TEST_PG_HOST", "127.0.0.1"),
          port=int(os.environ.get("PUNTAFINA_TEST_PG_PORT", "5432")),
          user=os.environ.get("PUNTAFINA_TEST_PG_USER", "postgres"))
SRC, DST = "pf_bench_source", "pf_bench_dw"


def psql(db: str, sql: str) -> str:
    return subprocess.run(["psql", "-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"], "-d", db, "-qAtX",
                           "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, capture_output=True, text=True).stdout


def recreate(db: str) -> None:
    psql("postgres", f"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{db}'")
    psql("postgres", f'drop database if exists "{db}"')
    psql("postgres", f'create database "{db}"')


def ddl(table) -> str:
    cols = ", ".join(f'"{c.name}" {c.type}' + ("" if c.nullable else " not null") for c in table.columns)
    return f'create table "{table.name}" ({cols}, primary key ({", ".join(table.primary_key)}))'


def build_source(rows: int) -> None:
    recreate(SRC)
    for t in catalog.tables("orocommerce"):
        psql(SRC, ddl(t))
    psql(SRC, f"""
        insert into oro_order_line_item (id, product_id, product_sku, product_name, product_unit_id,
            product_unit_code, quantity, value, currency, price_type, from_external_source, checksum,
            created_at, updated_at, serialized_data)
        select g, 1 + g % 63, 'SKU' || (g % 63), 'Product ' || (g % 63), 'item', 'item', 1 + g % 7,
               round((9.99 + (g % 500))::numeric, 4), 'USD', 10, false, md5(g::text),
               timestamp '2025-11-01' + (g || ' seconds')::interval,
               timestamp '2025-11-01' + ((g / 3) || ' seconds')::interval, '{{}}'
        from generate_series(1, {rows}) g;
        create index on oro_order_line_item (updated_at, id);
        analyze;""")


def check(query) -> tuple:
    return tuple(query("select count(*), count(distinct id), sum(value) from "
                       "raw_orocommerce.oro_order_line_item"))


def bench_copy(rows: int) -> dict:
    recreate(DST)
    table = catalog.get("orocommerce", "oro_order_line_item")
    psql(DST, "create schema raw_orocommerce; set search_path = raw_orocommerce; " + ddl(table))
    base = ["psql", "-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"], "-qAtX"]
    t0 = time.monotonic()
    script = (f"{' '.join(base)} -d {SRC} -c \"copy oro_order_line_item to stdout (format binary)\" | "
              f"{' '.join(base)} -d {DST} -c \"copy raw_orocommerce.oro_order_line_item from stdin (format binary)\"")
    subprocess.run(["bash", "-c", script], check=True)
    secs = time.monotonic() - t0
    got = psql(DST, "select count(*), count(distinct id), sum(value) from raw_orocommerce.oro_order_line_item")
    return {"method": "(a) COPY binary, psql -> psql", "seconds": secs, "rows_ok": got.split("|")[0] == str(rows),
            "peak_mb": None, "cpu_s": None}


ROUND_PRINTER = """
def on_round(r, last=[time.monotonic()]):
    tr, now = job.pipeline.last_trace, time.monotonic()
    steps = " ".join(f"{st.step} {(st.finished_at - st.started_at).total_seconds():.2f}" for st in tr.steps
                     if st.step in ("extract", "normalize", "load"))
    jobs = [f"{m.table_name} {(m.finished_at - m.started_at).total_seconds():.2f}"
            for mets in (tr.last_load_info.metrics.values() if tr.last_load_info else ())
            for x in mets for m in x.get("job_metrics", {}).values()
            if m.started_at and m.finished_at and (m.finished_at - m.started_at).total_seconds() >= 0.1]
    print(f"  round {r.rounds}: {now - last[0]:.2f} s ({steps}; jobs >= 0.1 s: {', '.join(jobs) or '-'})",
          file=sys.stderr, flush=True)
    last[0] = now
"""


def bench_ingest(rows: int, target: str, chunk: int, rounds: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="pf_bench_"))
    cfg = tmp / "etl_config.yaml"
    cfg.write_text(json.dumps({
        "sources": {"orocommerce": {"url": f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{SRC}"},
                    "csv": {"path": str(tmp)}},
        "batch": {"chunk_size": chunk, "max_workers": 2},
        "monitoring": {"log_dir": str(tmp / "logs"), "report_dir": str(tmp / "reports")},
        "recovery": {"checkpoint_dir": str(tmp / "ck")}}))
    env = dict(os.environ, PUNTAFINA_DUCKDB_PATH=str(tmp / "wh.duckdb"), DW_HOST=PG["host"],
               DW_PORT=str(PG["port"]), DW_USER=PG["user"], DW_DATABASE=DST, DO_NOT_TRACK="1")
    if target == "postgres":
        recreate(DST)
    code = ("import sys, time, json; sys.path.insert(0, %r)\n"
            "from ingest.config import load_config\nfrom ingest.logs import setup_logging\n"
            "from ingest.warehouse import Warehouse\nfrom ingest.pipeline import Job\nfrom pathlib import Path\n"
            "from ingest.budget import Budget\n"
            "cfg = load_config(%r); setup_logging(cfg.log_dir, 'WARNING')\n"
            "wh = Warehouse(%r, Path(%r))\n"
            + (ROUND_PRINTER if rounds else "on_round = None\n") +
            # as `run_etl.py ingest` runs it (orchestrator.extract): a DuckDB file held open throughout
            "with wh.held_open(Budget.of(cfg).dlt_duckdb_config()):\n"
            "    job = Job('orocommerce', cfg, wh)\n"
            "    t0 = time.monotonic()\n"
            "    r = job.run(full=True, resume=True, on_round=on_round)\n"
            "    del job\n"
            "print(json.dumps({'seconds': time.monotonic() - t0, 'rows': r.rows, 'rounds': r.rounds}))\n"
            ) % (str(ROOT), str(cfg), target, str(tmp))
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, check=True)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if rounds:
        print(f"{target}:\n" + "\n".join(line for line in proc.stderr.splitlines() if line.startswith("  round ")))
    rss_kb, user_s, sys_s = proc.stderr.strip().splitlines()[-1].split()
    peak, cpu = int(rss_kb) / 1024, float(user_s) + float(sys_s)
    if target == "duckdb":
        import duckdb

        con = duckdb.connect(str(tmp / "wh.duckdb"), read_only=True)
        got = check(lambda q: con.execute(q).fetchone())
        con.close()
    else:
        got = tuple(psql(DST, "select count(*), count(distinct id), sum(value) from "
                              "raw_orocommerce.oro_order_line_item").strip().split("|"))
    ok = int(got[0]) == rows and int(got[1]) == rows
    return {"method": f"(b) run_etl ingest -> {target} (slices of {chunk:,}, {res['rounds']} rounds)",
            "seconds": res["seconds"], "rows_ok": ok, "peak_mb": peak, "cpu_s": cpu}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--chunk-size", type=int, default=200_000)
    ap.add_argument("--targets", default="duckdb,postgres")
    ap.add_argument("--rounds", action="store_true", help="print each round's steps and load jobs")
    args = ap.parse_args()
    print(f"building a source with {args.rows:,} rows ...", flush=True)
    build_source(args.rows)
    results = [bench_copy(args.rows)]
    for target in args.targets.split(","):
        results.append(bench_ingest(args.rows, target, args.chunk_size, args.rounds))
    copy_rate = args.rows / results[0]["seconds"]
    print(f"\n| method | rows | seconds | CPU s (process) | rows/s | ratio to COPY | peak RSS MB | rows ok |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        rate = args.rows / r["seconds"]
        peak = f"{r['peak_mb']:.0f}" if r["peak_mb"] else ""
        cpu = f"{r['cpu_s']:.1f}" if r["cpu_s"] else ""
        print(f"| {r['method']} | {args.rows:,} | {r['seconds']:.2f} | {cpu} | {rate:,.0f} | {copy_rate / rate:.1f}x | "
              f"{peak} | {'yes' if r['rows_ok'] else 'NO'} |")
    for db in (SRC, DST):
        psql("postgres", f'drop database if exists "{db}"')
    return 0 if all(r["rows_ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
