"""batch.max_memory_mb reaches every component: DuckDB under dbt, DuckDB as dlt's destination,
dlt's own settings (.dlt/config.toml) and the reader slices. Each check reads the value where
the component sees it (DuckDB's current_setting, dlt's resolved config), not what was computed."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import ROOT

# a child process, as a run is: it reads the project's config as run_etl.py does, then asks
# each component what it was given
_PROBE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from ingest import budget
    from ingest.config import load_config
    from ingest.logs import setup_logging
    cfg = load_config(Path({config!r}), root=Path({root!r}))
    setup_logging(cfg.log_dir)
    budget.export(cfg)  # what run_etl.py main() does for every command
    out = {{}}

    import dlt
    from ingest.pipeline import Job
    from ingest.warehouse import Warehouse
    job = Job("orocommerce", cfg, Warehouse("duckdb", Path({root!r})))
    with job.pipeline.sql_client() as c:
        out["dlt_duckdb"] = list(c.execute_sql(
            "select current_setting('memory_limit'), current_setting('threads')")[0])
    out["add_dlt_load_id"] = dlt.config.get("normalize.parquet_normalizer.add_dlt_load_id")
    out["normalize_workers"] = dlt.config.get("normalize.workers")
    out["extract_workers"] = dlt.config.get("extract.workers")
    out["rows_first"] = job._slice_rows("oro_order")
    job._row_bytes["oro_order"] = 2 ** 14  # a table of 16 KiB rows
    out["rows_wide"] = job._slice_rows("oro_order")

    from dbt.cli.main import dbtRunner  # the profile run_etl.py's dbt invocations use
    res = dbtRunner().invoke(["show", "--inline",
                              "select current_setting('memory_limit') as m, current_setting('threads') as t",
                              "--project-dir", {root!r}, "--profiles-dir", {root!r}, "--target", "duckdb",
                              "--log-level", "none"])
    out["dbt_ok"] = res.success
    out["dbt_failures"] = str(res.exception)
    out["dbt_duckdb"] = [list(r) for r in res.result.results[0].agate_table.rows] if res.success else None
    print("PROBE " + json.dumps(out))
""")


def _probe(project) -> dict:
    code = _PROBE.format(root=str(ROOT), config=str(project.config_path))
    # another working directory: dlt must still find .dlt/config.toml beside the project
    proc = subprocess.run([sys.executable, "-c", code], env=project.env, capture_output=True, text=True,
                          cwd=project.tmp, timeout=300)
    line = [x for x in proc.stdout.splitlines() if x.startswith("PROBE ")]
    assert proc.returncode == 0 and line, f"probe failed ({proc.returncode})\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return json.loads(line[-1][len("PROBE "):])


def test_max_memory_mb_reaches_duckdb_dlt_and_the_slices(duck_project):
    duck_project.env["DBT_TARGET_PATH"] = str(duck_project.tmp / "dbt_target")
    duck_project.write_config(batch={"max_memory_mb": 400, "max_workers": 2, "chunk_size": 50000})
    out = _probe(duck_project)
    # dbt's DuckDB: 5/16 of the budget, one thread per query (profiles.yml settings)
    assert out["dbt_ok"], out["dbt_failures"]
    assert out["dbt_duckdb"] == [["125.0 MiB", 1]]
    # DuckDB as dlt's destination: a sixteenth, at least 64 MiB (400 / 16 = 25)
    assert out["dlt_duckdb"] == ["64.0 MiB", 1]
    # dlt's settings from .dlt/config.toml and the workers from batch.max_workers
    assert out["add_dlt_load_id"] is True
    assert out["normalize_workers"] == 1
    assert str(out["extract_workers"]) == "2"
    # slices: chunk_size while rows are narrow; 2 slices read and 2 read ahead share 100 MiB:
    # 25 MiB / 16 KiB rows = 1,600 rows
    assert out["rows_first"] == 50000
    assert out["rows_wide"] == 1600


def test_the_shipped_budget_splits_as_documented():
    from ingest.budget import Budget

    b = Budget(1024, 2)
    assert (b.dbt_duckdb_mb, b.load_duckdb_mb, b.slice_bytes) == (320, 64, 64 * 2 ** 20)
    assert Budget(4096, 2).load_duckdb_mb == 256
    assert b.env()["PUNTAFINA_DUCKDB_MEMORY_LIMIT"] == "320MiB"
    tiny = Budget(1, 1)  # however small: DuckDB keeps a working floor, a slice at least 1,000 rows
    assert tiny.dbt_duckdb_mb == tiny.load_duckdb_mb == 64
    assert tiny.slice_rows(50000, 10 ** 6, 1000) == 1000
