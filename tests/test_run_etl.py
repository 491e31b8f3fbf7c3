"""`python run_etl.py` end to end on a throwaway project: phases, summary, metrics, reports, logs."""
from __future__ import annotations

import json
import re


def test_full_run_then_the_documented_dbt_commands(project):
    project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
    project.generate(scale=0.1)
    project.write_config(batch={"max_workers": 1})  # one source of truth: dbt's threads follow it
    project.env["PUNTAFINA_PROGRESS_EVERY_S"] = "0.2"  # progress lines at once, not every 5 s
    out = project.run("run").stdout
    assert re.search(r"… \d+/\d+ nodes done, about \d+ s left", out), "long dbt phases show their progress"
    for phase in ("1/5 Extract", "2/5 Validate and populate", "3/5 Dimensions", "4/5 Facts", "5/5 Final checks",
                  "Summary"):
        assert phase in out, out
    assert "status       SUCCESS" in out

    run_results = json.loads((project.tmp / "dbt_target" / "run_results.json").read_text())
    assert run_results["args"]["threads"] == 1, "batch.max_workers must set dbt's threads"
    if project.target == "postgres":  # every table dbt wrote and every loaded raw table has statistics
        unanalyzed = project.warehouse_query(
            "select schemaname || '.' || relname from pg_stat_user_tables where n_live_tup > 0 "
            "and last_analyze is null and last_autoanalyze is null and relname not like '\\_dlt%' "
            "and relname not in ('etl_runs', 'etl_build_state') "  # one-row bookkeeping tables
            "and schemaname in ('raw_orocommerce', 'raw_orocrm', 'raw_csv', 'dw', 'snapshots', 'audit')")
        assert not unanalyzed, f"tables left without planner statistics: {unanalyzed}"

    runs = sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"))
    metrics = json.loads(runs[-1].read_text())
    assert metrics["status"] == "success" and metrics["records_extracted"] > 3000
    assert metrics["tests_failed"] == 0 and metrics["tests_passed"] > 100
    assert metrics["peak_memory_mb"] > 0 and metrics["duration_s"] > 0
    row = project.warehouse_query(f"select status, records_extracted from audit.etl_runs "
                                  f"where run_id = '{metrics['run_id']}'")
    assert row == [("success", metrics["records_extracted"])]

    report = json.loads((project.tmp / "reports" / "validation" / "stg_orocommerce__orders.json").read_text())
    assert set(report) >= {"source", "original_rows", "final_rows", "rows_added", "validations", "populations"}
    n_orders = project.source_query("orocommerce", "select count(*) from oro_order")[0][0]
    assert report["source"] == "raw_orocommerce.oro_order" and report["original_rows"] == n_orders
    assert report["validations"] and all(v["status"] in ("passed", "fixed", "failed") for v in report["validations"])
    kinds = {v["validation"] for v in report["validations"]}
    assert {"structure", "types", "required_fields", "duplicates"} <= kinds, kinds
    reports = [json.loads(f.read_text()) for f in (project.tmp / "reports" / "validation").glob("*.json")]
    populated = [f for r in reports for p in r["populations"] for f in p["fields_populated"]]
    assert populated and all(re.fullmatch(r"\w+: \d+ valores", f) for f in populated), populated[:5]
    # a required field the population rules filled reads "fixed", with how many values they filled
    assert any(v["status"] == "fixed" and v["fixed_rows"] > 0 for r in reports for v in r["validations"])
    # the success rate counts failed records, not only failed checks
    assert metrics["records_failed"] == metrics["records_rejected"] + metrics["records_quarantined"] \
        + metrics["failing_rows"]
    expected = 100.0 * (metrics["records_extracted"] - metrics["records_failed"]) / metrics["records_extracted"]
    assert abs(metrics["success_rate"] - expected) < 0.011 and (metrics["success_rate"] < 100) == (
        metrics["records_failed"] > 0)

    for sub, stem in (("etl", "ETLOrchestrator_"), ("audit", "audit_"), ("errors", "errors_")):
        assert list((project.tmp / "logs" / sub).glob(stem + "*.log")), sub
    _documented_dbt_commands(project)


def _documented_dbt_commands(project):
    """`dbt test` validates without building; unit tests (SCD2, currency, population, inferred members,
    incremental filters) pass on the built warehouse; `dbt build --select dimensions` works as written;
    `dbt docs generate` works offline and every model is described."""
    import subprocess
    import sys
    from pathlib import Path

    from conftest import ROOT

    dbt = str(Path(sys.executable).with_name("dbt"))

    def dbt_cmd(*args):
        proc = subprocess.run([dbt, "--no-use-colors", *args, "--target", project.target], cwd=ROOT,
                              env=project.env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-5000:]
        return proc.stdout

    out = dbt_cmd("test", "--select", "test_type:unit")
    assert "PASS=" in out and "ERROR=0" in out and "TOTAL=0" not in out
    tables_before = project.warehouse_query(
        "select count(*) from information_schema.tables where table_schema in ('dw', 'staging', 'audit')")
    out = dbt_cmd("test", "--exclude-resource-type", "unit_test")
    assert "ERROR=0" in out
    assert project.warehouse_query(
        "select count(*) from information_schema.tables where table_schema in ('dw', 'staging', 'audit')"
    ) == tables_before, "dbt test must not build anything"
    out = dbt_cmd("build", "--select", "dimensions", "--exclude-resource-type", "unit_test")
    assert "dim_cliente" in out and "ERROR=0" in out
    dbt_cmd("docs", "generate")
    import json

    manifest = json.loads((project.tmp / "dbt_target" / "manifest.json").read_text())
    catalog = json.loads((project.tmp / "dbt_target" / "catalog.json").read_text())
    assert (project.tmp / "dbt_target" / "index.html").stat().st_size > 100_000
    fact = manifest["nodes"]["model.puntafina.fact_ventas"]
    assert any(p.startswith("model.puntafina.dim_") for p in fact["depends_on"]["nodes"]) or any(
        p.startswith("model.puntafina.int_fact_") for p in fact["depends_on"]["nodes"])
    assert "model.puntafina.fact_ventas" in catalog["nodes"]
    undocumented = [n["name"] for n in manifest["nodes"].values()
                    if n["resource_type"] in ("model", "snapshot", "seed") and not n["description"]]
    assert not undocumented, undocumented
    # every column of every dw model and snapshot, as the warehouse has it, is described
    missing = [f"{node['metadata']['name']}.{col}" for uid, node in catalog["nodes"].items()
               if node["metadata"]["schema"] in ("dw", "snapshots")
               for col in node["columns"]
               if not manifest["nodes"][uid]["columns"].get(col.lower(), {}).get("description")]
    assert not missing, missing[:20]
    overview = manifest["docs"].get("doc.puntafina.__overview__", {}).get("block_contents", "")
    assert "Bus matrix" in overview and "fact_ventas" in overview, "the docs site needs its overview page"

    # the point-in-time check can fail: a customer version whose published range no longer holds its sales
    broken = ("update dw.dim_cliente set valido_desde = cast('2999-01-01 00:00:00' as timestamp) "
              "where cliente_key in (select cliente_key from dw.fact_ventas)")
    if project.target == "duckdb":
        import duckdb

        con = duckdb.connect(project.env["PUNTAFINA_DUCKDB_PATH"])
        con.execute(broken)
        con.close()
    else:
        from conftest import pg_admin

        pg_admin(broken, dbname=project.env["DW_DATABASE"])
    proc = subprocess.run([dbt, "--no-use-colors", "test", "--select", "test_name:en_vigencia_scd2", "--target",
                           project.target], cwd=ROOT, env=project.env, capture_output=True, text=True, timeout=900)
    assert proc.returncode != 0 and "FAIL" in proc.stdout and "fact_ventas_cliente_key" in proc.stdout, \
        proc.stdout[-3000:]
