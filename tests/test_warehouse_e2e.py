"""End to end: generated demo sources -> run_etl.py run -> the facts in dw, on DuckDB and PostgreSQL.

The warehouse's answers are compared with the same questions asked directly of the demo
sources (rows read from the source databases and added up here, in Python, so the check
shares no SQL with the models):
  - net revenue by month, channel and currency of the Oro orders (web = storefront checkout,
    televentas = back-office); net = subtotal - (discounts - shipping-promotion discounts);
  - units sold by product (Oro lines);
  - the CRM pipeline by opportunity status (count, budget);
  - the taxes of every Oro line and order (oro_tax_value's JSON results).
Then the incremental path: a second run with no source change changes no row in dw; after one
day of source changes (evolve) an incremental run gives exactly what a full refresh of the same
sources gives. The incremental sequence (full run, a day of changes, an incremental run whose
checks include the relationships of every fact key to its dimension, equal to a full refresh)
also runs at another scale and seed (INCREMENTAL_CASES): which SCD2 versions, ERP-only products
and inferred members exist depends on the data, and fact rows keeping the key of a member the
rebuilt dimension no longer has were reported at scale 1 seed 42 on PostgreSQL (issue 9 item 3).

One throwaway project per warehouse serves both tests (module scope; the second one evolves the
sources): a full pipeline run costs about a minute, so the file builds once per warehouse with
`run`. The later runs are plain `run`s, which build only what changed (ingest/build_state.py):
nothing for the run without changes, what reads the changed raw tables after the day of
changes; so these tests also prove that a changed-only build equals a full refresh. The full
refresh selects the facts alone (the dimensions do not change between those runs).
The same first run is the test of `python run_etl.py run` itself (phases, progress, summary,
metrics, validation reports, logs, statistics on PostgreSQL), and the built warehouse is where
the README's dbt commands run as written (`dbt test`, unit tests, `dbt build --select
dimensions`, `dbt docs generate`). The contracts of the dw models are proved on the same built warehouse, by a copy of the
project with three broken models (a retyped column, a lost column, a null key) that must each
fail to build and leave the warehouse as it was.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT, EtlProject
from ingest import catalog

SCALE = 0.15
CHECKOUT = "CheckoutBundle"
LOCAL_OFFSET = dt.timedelta(hours=-6)   # El Salvador, UTC-6 all year: facts are dated by the local day
CENT = Decimal("0.01")


def _dec(value) -> Decimal:
    return Decimal("0") if value is None else Decimal(str(value))


def _ts(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.fromisoformat(str(value))


def _json(value) -> dict:
    if value is None:
        return {}
    return value if isinstance(value, dict) else json.loads(value)


FACTS = "path:models/facts"
# (target, scale, seed) of the extra incremental sequences; the one above is (both targets, SCALE, 7).
# Scale 1 seed 42 on PostgreSQL is where facts kept keys of replaced SCD2 members (issue 9 item 3).
# (A DuckDB case at scale 0.5 seed 11 ran here too; dropped to keep CI under 30 minutes: the
# sequence above already runs on DuckDB, and this one is the reported case.)
INCREMENTAL_CASES = [("postgres", 1.0, 42)]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, tmp_path_factory):
    """A throwaway project on each warehouse, generated and loaded once by a full `run`."""
    project = EtlProject(tmp_path_factory.mktemp(f"e2e_{request.param}"), request.param)
    try:
        # its own dbt target/, so dbt runs of other projects (or people) never collide
        project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
        project.env["PUNTAFINA_PROGRESS_EVERY_S"] = "0.2"  # progress lines at once, not every 5 s
        project.generate(scale=SCALE)
        project.write_config(batch={"max_workers": 1})  # one source of truth: dbt's threads follow it
        project.first_run_started = time.time()
        project.first_run = project.run("run")
        yield project
    finally:
        project.close()


def _dw_snapshot(project) -> dict[str, Counter]:
    """Every row of every table of schema dw, as a multiset of text tuples, without the load-time
    bookkeeping column `cargado_at` (a full refresh reloads the sources: new load times)."""
    columns = defaultdict(list)
    for table, column in project.warehouse_query(
            "select table_name, column_name from information_schema.columns where table_schema = 'dw' "
            "order by table_name, ordinal_position"):
        if column != "cargado_at":
            columns[table].append(column)
    out = {}
    for table, names in columns.items():
        rows = project.warehouse_query(f"select {', '.join(names)} from dw.{table}")
        out[table] = Counter(tuple("" if v is None else str(v) for v in row) for row in rows)
    return out


def _diff(a: dict[str, Counter], b: dict[str, Counter]) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ: {table: (rows only in a, rows only in b)}."""
    out = {}
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table, Counter()), b.get(table, Counter())
        if ra != rb:
            out[table] = (sum((ra - rb).values()), sum((rb - ra).values()))
    return out


# ---------------------------------------------------------------- answers from the sources
def _source_revenue(project) -> dict[tuple[str, str, str], Decimal]:
    """Net revenue of the orders that have lines, by (YYYY-MM local, channel, currency)."""
    orders = project.source_query("orocommerce", (
        "select o.id, o.created_at, o.source_entity_class, o.currency, o.subtotal_value, "
        "o.total_discounts_amount from oro_order o "
        "where exists (select 1 from oro_order_line_items l where l.order_id = o.id)"))
    shipping = project.source_query("orocommerce", (
        "select a.order_id, d.amount from oro_promotion_applied_discount d "
        "join oro_promotion_applied a on a.id = d.applied_promotion_id where a.type = 'shipping'"))
    shipping_by_order = defaultdict(Decimal)
    for order_id, amount in shipping:
        shipping_by_order[order_id] += _dec(amount)
    out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for oid, created, source_class, currency, subtotal, discounts in orders:
        month = (_ts(created) + LOCAL_OFFSET).strftime("%Y-%m")
        channel = "web" if source_class and CHECKOUT in source_class else "televentas"
        out[(month, channel, currency or "USD")] += _dec(subtotal) - _dec(discounts) + shipping_by_order[oid]
    return out


def _warehouse_revenue(project) -> dict[tuple[str, str, str], Decimal]:
    rows = project.warehouse_query(
        "select f.anio, f.mes, c.canal_id, m.moneda_id, sum(v.monto_neto) "
        "from dw.fact_ventas v "
        "join dw.dim_fecha f on f.fecha_key = v.fecha_key "
        "join dw.dim_canal c on c.canal_key = v.canal_key "
        "join dw.dim_moneda m on m.moneda_key = v.moneda_key "
        "where v.origen = 'oro' group by f.anio, f.mes, c.canal_id, m.moneda_id")
    return {(f"{anio:04d}-{mes:02d}", canal, moneda): _dec(total) for anio, mes, canal, moneda, total in rows}


def _source_units(project) -> dict[str, Decimal]:
    """Units of the order lines that belong to an order, by product ('N/D' for free-form lines).
    A line of a product id Oro no longer has counts for the product its SKU names (one SKU, one
    member): the Oro product with that SKU, else the ERP-only product (keyed by the SKU)."""
    import csv

    products = {str(i): sku for i, sku in project.source_query("orocommerce", "select id, sku from oro_product")}
    by_sku = {sku: i for i, sku in products.items()}
    with (project.tmp / "inputs" / "catalogo" / "productos_erp.csv").open(encoding="utf-8-sig", newline="") as fh:
        erp = {row["codigo"] for row in csv.DictReader(fh)}
    rows = project.source_query("orocommerce", (
        "select li.product_id, li.product_sku, li.quantity from oro_order_line_item li "
        "where exists (select 1 from oro_order_line_items l join oro_order o on o.id = l.order_id "
        "where l.line_item_id = li.id)"))
    out: dict[str, Decimal] = defaultdict(Decimal)
    for product_id, sku, quantity in rows:
        if product_id is None:
            key = "N/D"
        elif str(product_id) in products:
            key = str(product_id)
        elif sku in by_sku:
            key = by_sku[sku]
        elif sku in erp:
            key = sku
        else:
            key = str(product_id)
        out[key] += _dec(quantity)
    return out


def _warehouse_units(project) -> dict[str, Decimal]:
    """Units of the Oro lines by product id: an inferred member 'AUTO_<id>' counts for <id>."""
    rows = project.warehouse_query(
        "select p.producto_id, sum(v.cantidad) from dw.fact_ventas v "
        "join dw.dim_producto p on p.producto_key = v.producto_key "
        "where v.origen = 'oro' group by p.producto_id")
    out: dict[str, Decimal] = defaultdict(Decimal)
    for producto_id, cantidad in rows:
        out[producto_id[len("AUTO_"):] if producto_id.startswith("AUTO_") else producto_id] += _dec(cantidad)
    return out


def _source_pipeline(project) -> dict[str, tuple[int, Decimal]]:
    rows = project.source_query("orocrm", "select serialized_data, budget_amount_value from orocrm_sales_opportunity")
    count, budget = Counter(), defaultdict(Decimal)
    for data, amount in rows:
        status = (_json(data).get("status") or "").rsplit(".", 1)[-1] or None
        count[status] += 1
        budget[status] += _dec(amount)
    return {status: (count[status], budget[status]) for status in count}


def _warehouse_pipeline(project) -> dict[str, tuple[int, Decimal]]:
    rows = project.warehouse_query(
        "select e.estado_oportunidad_id, count(*), sum(o.monto_presupuesto) from dw.fact_oportunidades o "
        "join dw.dim_estado_oportunidad e on e.estado_oportunidad_key = o.estado_oportunidad_key "
        "group by e.estado_oportunidad_id")
    return {estado: (int(n), _dec(total)) for estado, n, total in rows}


def _assert_amounts_equal(expected: dict, actual: dict, what: str) -> None:
    keys = set(expected) | set(actual)
    wrong = {k: (expected.get(k), actual.get(k)) for k in keys
             if abs(_dec(expected.get(k)) - _dec(actual.get(k))) > CENT}
    assert not wrong, f"{what}: source vs warehouse differ for {len(wrong)} key(s): {dict(list(wrong.items())[:5])}"


# ---------------------------------------------------------------- tests
def test_the_run_says_and_records_what_it_did(built):
    """`python run_etl.py run` end to end (the fixture's first, full run): phases, progress,
    summary, dbt's threads from batch.max_workers, metrics, validation reports, logs, and on
    PostgreSQL planner statistics on every table the run loaded or built."""
    project = built
    out = project.first_run.stdout
    assert re.search(r"… \d+/\d+ nodes done, about \d+ s left", out), "long dbt phases show their progress"
    for phase in ("== 1/5 Extract", "== 2-5/5 Validate and populate, dimensions, facts, final checks: everything",
                  "Summary"):
        assert phase in out, out
    for layer in ("Validate and populate (staging)", "Dimensions", "Facts", "Final checks"):  # a line per layer
        assert re.search(rf"\n    {re.escape(layer)} +[1-9]\d* built, [1-9]\d* test\(s\) passed", out), (layer, out)
    assert "status       SUCCESS" in out

    run_results = json.loads((project.tmp / "dbt_target" / "run_results.json").read_text())
    assert run_results["args"]["threads"] == 1, "batch.max_workers must set dbt's threads"
    if project.target == "postgres":  # every table dbt wrote and every loaded raw table has statistics
        unanalyzed = project.warehouse_query(
            "select schemaname || '.' || relname from pg_stat_user_tables where n_live_tup > 0 "
            "and last_analyze is null and last_autoanalyze is null and relname not like '\\_dlt%' "
            "and relname not in ('etl_runs', 'etl_build_state', 'publicacion_pendiente') "  # bookkeeping tables
            "and schemaname in ('raw_orocommerce', 'raw_orocrm', 'raw_csv', 'dw_build', 'dw', 'snapshots', 'audit')")
        assert not unanalyzed, f"tables left without planner statistics: {unanalyzed}"

    runs = sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"))
    metrics = json.loads(runs[0].read_text())  # the fixture's run (tests after this one run more)
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


def _page_figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))


def test_the_run_page_shows_that_run(built):
    """reports/runs/<run_id>.html: the figures of the run as audit.etl_runs has them, its five
    phases on the timeline, rows per raw and dw table; rendered by headless Chromium (a
    screenshot is taken and the rendered page holds the same figures)."""
    import shutil

    from conftest import IN_CI

    project = built
    metrics = json.loads(sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"))[0].read_text())
    page = project.tmp / "reports" / "runs" / f"{metrics['run_id']}.html"
    assert page.is_file() and "run page     " in project.first_run.stdout
    html = page.read_text(encoding="utf-8")
    (status, extracted, failed, rate, duration), = project.warehouse_query(
        "select status, records_extracted, records_failed, success_rate, duration_s from audit.etl_runs "
        f"where run_id = '{metrics['run_id']}'")
    figures = _page_figures(html)
    assert figures["run_id"] == metrics["run_id"] and figures["status"] == status
    assert figures["records_extracted"] == f"{extracted:,}" and figures["records_failed"] == f"{failed:,}"
    assert figures["success_rate"] == f"{rate:.2f} %" and figures["duration_s"] == f"{duration:.1f} s"
    assert figures["published"].startswith("published: dw shows this run") and figures["published"] == metrics["published"]
    # the extract and the build (one dbt invocation), then the build's layers inside its span
    assert [(p["phase"], p.get("layer_of")) for p in metrics["phases"]] == [
        ("Extract (dlt -> raw)", None), ("Build everything", None),
        *[(layer, "Build everything") for layer in ("Validate and populate (staging)", "Dimensions", "Facts",
                                                     "Final checks")]]
    assert all(p["status"] == "ok" and p["duration_s"] > 0 for p in metrics["phases"])
    extract, build, *layers = metrics["phases"]
    assert extract["start_s"] + extract["duration_s"] <= build["start_s"] <= duration
    assert build["start_s"] + build["duration_s"] <= duration + 1
    for p in layers:
        assert build["start_s"] <= p["start_s"] and p["start_s"] + p["duration_s"] <= build["start_s"] + build["duration_s"] + 0.5
    assert layers[0]["start_s"] == min(p["start_s"] for p in layers), "the staging layer starts first"
    from html import escape

    for p in metrics["phases"]:
        assert f'data-phase-seconds="{escape(p["phase"])}">{p["duration_s"]:.1f} s<' in html
    n_orders = project.warehouse_query("select count(*) from raw_orocommerce.oro_order")[0][0]
    assert f'data-rows="raw_orocommerce.oro_order">{n_orders:,}<' in html
    n_sales = project.warehouse_query("select count(*) from dw.fact_ventas")[0][0]
    assert f'data-rows="fact_ventas">{n_sales:,}<' in html

    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        reason = "no headless Chromium on this machine (Debian: apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"{reason}: in CI the run page must be checked in a browser")
        pytest.skip(reason)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,1400"]
    shot = project.tmp / "run_page.png"
    subprocess.run([browser, *flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120,
                   check=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000, "a blank screenshot"
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert _page_figures(dom) == figures


def test_the_documented_dbt_commands(built):
    """The README's dbt commands on the built warehouse: `dbt test` validates without building;
    the unit tests (SCD2, currency, population, inferred members, incremental filters) pass;
    `dbt build --select dimensions` works as written; `dbt docs generate` works offline and every
    model and column is described; the point-in-time check fails on a broken customer version."""
    project = built
    dbt = str(Path(sys.executable).with_name("dbt"))

    def dbt_cmd(*args, expect_ok=True):
        proc = subprocess.run([dbt, "--no-use-colors", *args, "--target", project.target], cwd=ROOT,
                              env=project.env, capture_output=True, text=True, timeout=900)
        assert (proc.returncode == 0) == expect_ok, proc.stdout[-5000:]
        return proc.stdout

    dbt_log = ROOT / "logs" / "dbt.log"  # one dbt log: the runs' dbt and dbt run by hand write it
    assert dbt_log.stat().st_mtime >= project.first_run_started, "the run's dbt did not log to logs/dbt.log"
    by_hand = time.time()
    out = dbt_cmd("test", "--select", "test_type:unit")
    assert "PASS=" in out and "ERROR=0" in out and "TOTAL=0" not in out
    assert dbt_log.stat().st_mtime >= by_hand - 1, "dbt run by hand did not log to logs/dbt.log"
    tables = ("select count(*) from information_schema.tables "
              "where table_schema in ('dw', 'staging', 'audit')")
    tables_before = project.warehouse_query(tables)
    out = dbt_cmd("test", "--exclude-resource-type", "unit_test")
    assert "ERROR=0" in out
    assert project.warehouse_query(tables) == tables_before, "dbt test must not build anything"
    out = dbt_cmd("build", "--select", "dimensions", "--exclude-resource-type", "unit_test")
    assert "dim_cliente" in out and "ERROR=0" in out
    dbt_cmd("docs", "generate")

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
               if node["metadata"]["schema"] in ("dw_build", "snapshots")
               for col in node["columns"]
               if not manifest["nodes"][uid]["columns"].get(col.lower(), {}).get("description")]
    assert not missing, missing[:20]
    bare = sorted(m["name"] for m in manifest["macros"].values()
                  if m["package_name"] == "puntafina" and not m["description"].strip())
    assert not bare, f"macros without a description in macros/*.yml: {bare}"
    overview = manifest["docs"].get("doc.puntafina.__overview__", {}).get("block_contents", "")
    assert "Bus matrix" in overview and "fact_ventas" in overview, "the docs site needs its overview page"

    # the point-in-time check can fail: a customer version whose published range no longer holds its sales
    broken = ("update dw_build.dim_cliente set valido_desde = cast('2999-01-01 00:00:00' as timestamp) "
              "where cliente_key in (select cliente_key from dw_build.fact_ventas)")
    if project.target == "duckdb":
        import duckdb

        con = duckdb.connect(project.env["PUNTAFINA_DUCKDB_PATH"])
        con.execute(broken)
        con.close()
    else:
        from conftest import pg_admin

        pg_admin(broken, dbname=project.env["DW_DATABASE"])
    out = dbt_cmd("test", "--select", "test_name:en_vigencia_scd2", expect_ok=False)
    assert "FAIL" in out and "fact_ventas_cliente_key" in out, out[-3000:]
    # rebuilt as the project builds it, the dimension passes again (the tests after this one use it)
    dbt_cmd("build", "--select", "dim_cliente", "test_name:en_vigencia_scd2", "--exclude-resource-type",
            "unit_test")


def test_facts_answer_like_the_sources(built):
    project = built
    revenue = _source_revenue(project)
    assert {k[1] for k in revenue} == {"web", "televentas"}, "the demo should have both Oro channels"
    _assert_amounts_equal(revenue, _warehouse_revenue(project), "net revenue by month, channel and currency")

    _assert_amounts_equal(_source_units(project), _warehouse_units(project), "units by product")

    pipeline, in_dw = _source_pipeline(project), _warehouse_pipeline(project)
    assert {k: v[0] for k, v in pipeline.items()} == {k: v[0] for k, v in in_dw.items()}, "opportunities by status"
    _assert_amounts_equal({k: v[1] for k, v in pipeline.items()}, {k: v[1] for k, v in in_dw.items()},
                          "opportunity budget by status")

    # POS lines against the raw file: loaded + rejected (also malformed lines) + repeated lines
    (pos_lines,) = project.warehouse_query("select count(*) from dw.fact_ventas where origen = 'tienda'")[0]
    (rejected,) = project.warehouse_query(
        "select count(*) from staging.int_fact_rechazos where hecho = 'fact_ventas' and origen = 'tienda'")[0]
    raw = project.raw_csv_counts()["transacciones_tienda"]
    assert 0 < pos_lines and pos_lines + rejected <= raw


def test_scd2_ranges_and_one_member_per_sku(built):
    """Joined as the dimensions' docs say (business key and `fecha >= valido_desde and fecha <
    valido_hasta`), every fact row finds the very version its key names; and one SKU is one
    member: no inferred AUTO_<id> member for an Oro product whose order lines carry a SKU that
    another member has (issue 8 items 2 and 3)."""
    project = built
    for fact, moment, dim, key, bkey in (
            ("fact_ventas", "f.vendido_at", "dim_cliente", "cliente_key", "cliente_id"),
            ("fact_ventas", "f.vendido_at", "dim_producto", "producto_key", "producto_id"),
            ("fact_pagos", "f.registrado_at", "dim_cliente", "cliente_key", "cliente_id"),
            ("fact_oportunidades", "f.creada_at", "dim_cliente", "cliente_key", "cliente_id")):
        (rows, lost) = project.warehouse_query(
            f"select count(*), sum(case when d.{key} = f.{key} then 0 else 1 end) from dw.{fact} f "
            f"join dw.{dim} k on f.{key} = k.{key} "
            f"left join dw.{dim} d on d.{bkey} = k.{bkey} and {moment} >= d.valido_desde and {moment} < d.valido_hasta")[0]
        assert rows > 0 and lost == 0, f"{fact} -> {dim}: {lost} of {rows} rows not found by the published ranges"
    twins = project.warehouse_query(
        "select distinct d.producto_id, l.sku from dw.dim_producto d "
        "join staging.stg_orocommerce__order_line_items l on d.producto_id = 'AUTO_' || cast(l.producto_id as varchar) "
        "join dw.dim_producto o on o.sku = l.sku and o.es_actual")
    assert twins == [], f"one SKU, two members: {twins[:5]}"


def test_taxes_are_the_ones_oro_calculated(built):
    """fact_ventas.monto_impuesto of every Oro line with a tax value is Oro's row tax, and the
    lines of an order add up to the order's total tax in oro_tax_value (minus shipping tax) to
    the cent; lines without a tax value use the IVA rule and say so (issue 8 item 1). Source
    side: the JSON results parsed here, in Python."""
    project = built
    values = project.source_query("orocommerce", "select entity_class, entity_id, result from oro_tax_value")
    order_tax, line_tax = {}, {}
    for entity_class, entity_id, result in values:
        doc = _json(result)
        if entity_class.endswith("\\OrderLineItem"):
            line_tax[entity_id] = _dec(doc["row"]["taxAmount"])
        elif entity_class.endswith("\\Order"):
            order_tax[entity_id] = _dec(doc["total"]["taxAmount"]) - _dec(doc.get("shipping", {}).get("taxAmount"))
    assert order_tax and line_tax
    links = project.source_query("orocommerce", (
        "select o.identifier, o.id, l.line_item_id from oro_order_line_items l join oro_order o on o.id = l.order_id"))
    order_of_line = {line: (identifier, oid) for identifier, oid, line in links}
    lines = project.warehouse_query(
        "select venta_id, numero_documento, monto_impuesto, origen_impuesto from dw.fact_ventas where origen = 'oro'")
    assert lines
    by_order: dict[str, list] = defaultdict(list)
    for sale_id, document, tax, origin in lines:
        line = int(sale_id.split("|")[1])   # oro|<line item id>
        expected_origin = "oro_tax_value" if line in line_tax else "regla_iva"
        assert origin == expected_origin, f"line {line}: origen_impuesto {origin}, expected {expected_origin}"
        if line in line_tax:
            assert _dec(tax) == line_tax[line], f"line {line}: tax {tax}, Oro's row tax {line_tax[line]}"
        by_order[document].append((line, _dec(tax)))
    source_lines: dict[str, int] = Counter(identifier for identifier, _oid in order_of_line.values())
    checked = 0
    for identifier, oid in set(order_of_line.values()):
        if oid not in order_tax or len(by_order.get(identifier, ())) != source_lines[identifier]:
            continue   # no tax value, or a line of the order is not loaded (rejected)
        total = sum(t for _l, t in by_order[identifier])
        assert abs(total - order_tax[oid]) < CENT, f"order {identifier}: lines' tax {total}, Oro's total {order_tax[oid]}"
        checked += 1
    assert checked > 0.9 * len(order_tax)
    (fallback,) = project.warehouse_query(
        "select count(*) from dw.fact_ventas where origen = 'oro' and origen_impuesto = 'regla_iva'")[0]
    assert fallback > 0, "the demo has orders without tax values: their lines use the IVA rule"


# (model, text in its SQL, replacement, what the build must then say): one broken model of each kind
CONTRACT_BREAKS = [
    # a column changes type (boolean -> 0/1): the contract names it
    ("dim_marca", "        es_inferido\n    from unidos", "        cast(es_inferido as integer) as es_inferido\n"
     "    from unidos", r"enforced contract that failed.*es_inferido.*data type mismatch"),
    # an incremental fact (its table exists) loses a column
    ("fact_metas_ventas", "        es_meta_equipo,\n", "",
     r"enforced contract that failed.*es_meta_equipo.*missing in definition"),
    # one row (the unknown member) with a null key: the not_null constraint of the contract stops the write
    ("dim_metodo_envio", "{{ surrogate_key(['metodo_envio_id']) }} as metodo_envio_key,",
     "case when metodo_envio_id = 'N/D' then null else {{ surrogate_key(['metodo_envio_id']) }} end"
     " as metodo_envio_key,", r"metodo_envio_key.*not.null constraint|not.null constraint.*metodo_envio_key"),
    # an incremental fact writes a null into a required column that is not a key (its not_null data test
    # became the contract's constraint): the insert of the new rows into the existing table is refused
    ("fact_pagos", "cast(accion as {{ dbt.type_string() }}) as accion,",
     "cast(null as {{ dbt.type_string() }}) as accion,", r"accion.*not.null constraint|not.null constraint.*accion"),
]


def test_contract_violation_fails_the_build(built, tmp_path):
    """Every dw model has an enforced contract (dbt_project.yml; names and data_type of every column
    in the layer's YAML, keys not null): a copy of the project where a dimension changes a column's
    type, an incremental fact drops a column, and a dimension writes a null key fails to build
    each of the three, with dbt's contract error or the database's not-null violation naming the
    column, and leaves the warehouse as it was (the check runs before anything is written)."""
    project = built
    copy = tmp_path / "proyecto"
    for part in ("models", "macros", "seeds", "snapshots", "tests"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, copy / name)
    for model, text, replacement, _ in CONTRACT_BREAKS:
        path = next((copy / "models").rglob(f"{model}.sql"))
        sql = path.read_text(encoding="utf-8")
        assert sql.count(text) == 1, f"{model}.sql changed: the break for this test no longer applies"
        path.write_text(sql.replace(text, replacement), encoding="utf-8")

    models = [m for m, *_ in CONTRACT_BREAKS]
    tables = ("select table_name from information_schema.tables where table_schema = 'dw_build' "
              "order by table_name")
    before = (project.warehouse_query(tables),
              [project.warehouse_query(f"select count(*) from dw_build.{m}") for m in models])
    env = {k: v for k, v in project.env.items() if k != "DBT_TARGET_PATH"}
    proc = subprocess.run([str(Path(sys.executable).with_name("dbt")), "--no-use-colors", "run", "--select",
                           *models, "--target", project.target, "--profiles-dir", str(copy)],
                          cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0, proc.stdout[-4000:]
    results = {r["unique_id"].rsplit(".", 1)[1]: r
               for r in json.loads((copy / "target" / "run_results.json").read_text())["results"]}
    for model, _, _, expected in CONTRACT_BREAKS:
        result = results[model]
        assert result["status"] == "error", f"{model}: {result['status']}"
        assert re.search(expected, result["message"], re.S | re.I), f"{model}: {result['message']}"
    after = (project.warehouse_query(tables),
             [project.warehouse_query(f"select count(*) from dw_build.{m}") for m in models])
    assert after == before, "a build stopped by its contract changed the warehouse"


def test_required_columns_are_not_null_in_the_tables(built):
    """The required columns of the dw models are checked when written, not by a data test per column:
    each has a not_null constraint in the model's enforced contract (the layer's YAML), and the built
    table of every model, dimension or incremental fact, declares each such column NOT NULL in the
    database, so no write can leave a null there (test_contract_violation_fails_the_build proves a
    write refused). The published copies in dw are checked rows (the publish copies what passed), not
    constrained tables. The contracts and this test replaced the 290 not_null data tests of the dw models (benchmarks/README.md)."""
    project = built
    manifest = json.loads((project.tmp / "dbt_target" / "manifest.json").read_text())
    required = {(n["name"], c["name"]) for n in manifest["nodes"].values()
                if n["resource_type"] == "model" and n["schema"] == "dw_build"
                for c in n["columns"].values() if any(k["type"] == "not_null" for k in c.get("constraints", []))}
    assert len(required) > 250, len(required)
    nullable = {(t, c): n for t, c, n in project.warehouse_query(
        "select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'dw_build'")}
    missing = sorted(k for k in required if k not in nullable)
    assert not missing, f"required columns not in the warehouse: {missing[:10]}"
    loose = sorted(k for k in required if nullable[k] != "NO")
    assert not loose, f"required columns the database would accept nulls in: {loose[:10]}"

    # a fact table created before a constraint was declared (here: the constraint dropped by hand) gets
    # it back on its next incremental run, before the run writes (pre-hook restricciones_not_null)
    if project.target == "duckdb":
        import duckdb

        with duckdb.connect(project.env["PUNTAFINA_DUCKDB_PATH"]) as con:
            con.execute("alter table dw_build.fact_pagos alter column accion drop not null")
    else:
        project.warehouse_query("alter table dw_build.fact_pagos alter column accion drop not null")
    assert project.warehouse_query("select is_nullable from information_schema.columns where table_schema = 'dw_build' "
                                   "and table_name = 'fact_pagos' and column_name = 'accion'") == [("YES",)]
    proc = subprocess.run([str(Path(sys.executable).with_name("dbt")), "--no-use-colors", "run", "--select",
                           "fact_pagos", "--target", project.target, "--profiles-dir", str(ROOT)],
                          cwd=ROOT, env=project.env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "fact_pagos: column accion made NOT NULL" in proc.stdout, proc.stdout[-3000:]
    assert project.warehouse_query("select is_nullable from information_schema.columns where table_schema = 'dw_build' "
                                   "and table_name = 'fact_pagos' and column_name = 'accion'") == [("NO",)]


def test_incremental_run_equals_full_refresh(built):
    project = built
    first = _dw_snapshot(project)
    for fact in ("fact_ventas", "fact_pagos", "fact_oportunidades", "fact_metas_ventas", "fact_inventario"):
        assert sum(first[fact].values()) > 0, f"{fact} is empty"

    proc = project.run("run")   # nothing changed in the sources: nothing is rebuilt (ingest/build_state.py)
    assert "build plan: nothing changed since the last build" in proc.stdout, proc.stdout[-3000:]
    assert _diff(first, _dw_snapshot(project)) == {}, "a run without source changes changed rows in dw"

    changes = project.evolve(1)
    assert changes["inserted"]["orocommerce"], "evolve should add orders"
    deleted = changes["deleted"]
    gone_in_facts = _deleted_fact_keys(deleted)
    for fact, (column, keys) in gone_in_facts.items():
        assert keys and _fact_keys_present(project, fact, column, keys), f"{fact}: the deleted keys were not loaded"
    # an order deleted while its lines' deletion is not detected yet (the check of a large table
    # is bounded): its loaded lines become rejected (linea_sin_orden) and must leave the fact
    # (Oro 6.1: the order's links cascade, its lines stay until the check reaches them)
    (orphaned_order,) = project.source_query(
        "orocommerce", "select min(o.id) from oro_order as o where o.parent_id is null "
        "and exists (select 1 from oro_order_line_items as l where l.order_id = o.id) "
        "and not exists (select 1 from oro_order as s where s.parent_id = o.id)")[0]
    orphaned = [f"oro|{i}" for (i,) in project.source_query(
        "orocommerce", f"select line_item_id from oro_order_line_items where order_id = {orphaned_order}")]
    assert len(_fact_keys_present(project, "fact_ventas", "venta_id", orphaned)) == len(orphaned), \
        "the order's lines were not loaded"
    for table, column in (("oro_order_line_items", "order_id"), ("oro_order", "id")):
        project.source_execute("orocommerce", f"delete from {table} where {column} = {orphaned_order}")
    gone_in_facts["fact_ventas"][1].extend(orphaned)
    proc = project.run("run")   # builds only what reads the changed raw tables
    assert "raw table(s) changed since the last build: building what reads them" in proc.stdout, proc.stdout[-3000:]
    # every row deleted in an incremental source table is marked in raw and gone from the facts
    for system, tables in deleted.items():
        for table, ids in tables.items():
            if not catalog.get(system, table).cursor:
                continue  # reloaded whole: the deleted rows left raw with the reload
            marked = project.warehouse_query(f"select count(*) from raw_{system}.{table} where _deleted_at is not null "
                                             f"and id in ({', '.join(map(str, ids))})")[0][0]
            assert marked == len(ids), f"raw_{system}.{table}: {marked} of the {len(ids)} deleted rows marked"
    for fact, (column, keys) in gone_in_facts.items():
        assert not _fact_keys_present(project, fact, column, keys), f"{fact} keeps rows deleted in the source"
    incremental = _dw_snapshot(project)
    removed = len(gone_in_facts["fact_ventas"][1])
    assert sum(incremental["fact_ventas"].values()) > sum(first["fact_ventas"].values()) - removed, "no line added"
    assert "fact_oportunidades" in _diff(first, incremental), "the day of changes should move opportunities"
    # one SKU moved from product A to product B (issue 8 item 4): the SKU belongs to the version;
    # B's current version has it, A's earlier version keeps it as history, A's current one has its new SKU
    (a, b) = changes["sku_moves"]
    versions = project.warehouse_query(
        "select producto_id, sku, es_actual from dw.dim_producto "
        f"where producto_id in ('{a['product_id']}', '{b['product_id']}') order by producto_id, valido_desde")
    assert (str(a["product_id"]), a["to"], True) in versions and (str(a["product_id"]), a["from"], False) in versions
    assert (str(b["product_id"]), b["to"], True) in versions and (str(b["product_id"]), b["from"], False) in versions
    assert project.warehouse_query(
        f"select count(*) from dw.dim_producto where es_actual and sku = '{b['to']}'")[0][0] == 1

    # the incremental staging tables hold what a full build of them writes from the same raw rows
    # (the deleted orders, lines and payments gone, the changed rows replaced), and so does the
    # order lines' intermediate model (the orders with a changed input recomputed, the others kept)
    staged = {t: _rows(project, "staging", t) for t in INCREMENTAL_STAGING}
    proc = subprocess.run([str(Path(sys.executable).with_name("dbt")), "run", "--full-refresh", "--select",
                           *INCREMENTAL_STAGING, "--target", project.target], cwd=ROOT, env=project.env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert {t: _rows(project, "staging", t) for t in INCREMENTAL_STAGING} == staged, \
        "an incremental staging table differs from its full build"

    project.run("run", "--full-refresh", "--select", FACTS)
    assert _diff(incremental, _dw_snapshot(project)) == {}, "incremental run and full refresh differ"


# the staging tables built incrementally (dbt_project.yml), and the intermediate model built
# incrementally by order (its fingerprints compared too)
INCREMENTAL_STAGING = ("stg_orocommerce__order_line_items", "stg_orocommerce__orders", "stg_orocommerce__order_addresses",
                       "stg_orocommerce__payment_transactions", "stg_orocommerce__tax_values", "int_fact_ventas_oro")


def _rows(project, schema: str, table: str) -> Counter:
    """Every row of a table, as a multiset of text tuples."""
    return Counter(tuple("" if v is None else str(v) for v in row)
                   for row in project.warehouse_query(f"select * from {schema}.{table}"))


def _deleted_fact_keys(deleted: dict) -> dict[str, tuple[str, list[str]]]:
    """fact -> (its business key column, the keys evolve deleted in the source)."""
    com, crm = deleted.get("orocommerce", {}), deleted.get("orocrm", {})
    return {"fact_ventas": ("venta_id", [f"oro|{i}" for i in com.get("oro_order_line_item", [])]),
            "fact_pagos": ("pago_id", [str(i) for i in com.get("oro_payment_transaction", [])]),
            "fact_oportunidades": ("oportunidad_id", [str(i) for i in crm.get("orocrm_sales_opportunity", [])])}


def _fact_keys_present(project, fact: str, column: str, keys: list[str]) -> list:
    quoted = ", ".join(f"'{k}'" for k in keys)
    return project.warehouse_query(f"select {column} from dw.{fact} where cast({column} as varchar) in ({quoted})")


@pytest.mark.parametrize("target, scale, seed", INCREMENTAL_CASES,
                         # the adapter last: not grouped with the module's shared postgres warehouse (conftest)
                         ids=[f"scale{sc:g}-seed{se}-{t}" for t, sc, se in INCREMENTAL_CASES])
def test_incremental_sequence_other_scales_and_seeds(target, scale, seed, tmp_path_factory):
    """Full run, a day of changes, an incremental run (its checks, among them every fact key's
    relationship to its dimension, must pass: exit 0), then a full refresh of the facts: equal."""
    project = EtlProject(tmp_path_factory.mktemp(f"e2e_{target}_{scale:g}_{seed}"), target)
    try:
        project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
        project.generate(scale=scale, seed=seed)
        project.run("run")
        first = _dw_snapshot(project)
        changes = project.evolve(1, seed=seed)
        assert changes["inserted"]["orocommerce"], "evolve should add orders"
        proc = project.run("run")   # builds only what reads the changed raw tables
        assert "raw table(s) changed since the last build" in proc.stdout, proc.stdout[-3000:]
        incremental = _dw_snapshot(project)
        assert sum(incremental["fact_ventas"].values()) > sum(first["fact_ventas"].values())
        for fact, key, dim in (("fact_ventas", "cliente_key", "dim_cliente"),
                               ("fact_ventas", "producto_key", "dim_producto"),
                               ("fact_pagos", "cliente_key", "dim_cliente"),
                               ("fact_oportunidades", "cliente_key", "dim_cliente")):
            (orphans,) = project.warehouse_query(
                f"select count(*) from dw.{fact} f left join dw.{dim} d on f.{key} = d.{key} "
                f"where f.{key} is not null and d.{key} is null")[0]
            assert orphans == 0, f"{fact}.{key}: {orphans} row(s) keep a key {dim} no longer has"
        project.run("run", "--full-refresh", "--select", FACTS)
        assert _diff(incremental, _dw_snapshot(project)) == {}, "incremental run and full refresh differ"
    finally:
        project.close()


def test_demo_regenerated_at_another_scale_rebuilds_the_warehouse(duck_project):
    """`setup --demo` at another scale and seed over a built warehouse (issue 8 item 4): the new
    sources reuse the old primary keys for other rows, so an incremental run merged the two
    systems and failed six checks (reconciliations, duplicate sales lines, two members per
    SKU). The regeneration asks for a rebuild; the next run reloads every table, rebuilds from
    nothing, passes every check, and holds the new sources' rows only."""
    project = duck_project
    project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
    setup = ("setup", "--demo", "--force")
    first = project.run(*setup, "--scale", "0.2", "--seed", "42")
    assert "replaced" not in first.stdout, first.stdout
    project.run("run")
    project.evolve(1, seed=42)
    again = project.run(*setup, "--scale", "0.2", "--seed", "42")   # the same data again, over evolved sources
    assert "the demo sources were replaced (scale 0.2, seed 42, 1 day(s) evolved -> scale 0.2, seed 42)" \
        in again.stdout, again.stdout[-2000:]
    proc = project.run(*setup, "--scale", "0.3", "--seed", "7")
    assert "the demo sources were replaced" in proc.stdout, proc.stdout[-2000:]
    status = project.run("status")
    assert "rebuilds the warehouse from scratch: the demo sources were replaced" in status.stdout, status.stdout
    _assert_rebuilt_from_the_new_sources(project)


def test_replaced_sources_rebuild_the_postgres_warehouse(tmp_path):
    """The same on PostgreSQL (its demo databases are the project's own here, so the
    regeneration is the generator's, and the request is the file `setup --demo` writes)."""
    project = EtlProject(tmp_path, "postgres")
    try:
        project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
        project.generate(scale=0.2, seed=42)
        project.run("run")
        project.generate(scale=0.3, seed=7)
        marker = project.tmp / "checkpoints" / "postgres.rebuild"
        marker.write_text(json.dumps({"reason": "the demo sources were replaced (scale 0.2, seed 42 -> scale 0.3, "
                                                "seed 7)"}), encoding="utf-8")
        _assert_rebuilt_from_the_new_sources(project)
    finally:
        project.close()


def _assert_rebuilt_from_the_new_sources(project) -> None:
    proc = project.run("run")   # exit 0: every check of the build passed
    assert "rebuild from scratch [full refresh]: the demo sources were replaced" in proc.stdout, proc.stdout[-3000:]
    assert proc.stdout.count("rebuild from scratch") == 1, proc.stdout[-3000:]
    for table in catalog.tables():
        (rows,) = project.warehouse_query(f"select count(*) from raw_{table.system}.{table.name}")[0]
        (source,) = project.source_query(table.system, f'select count(*) from "{table.name}"')[0]
        assert rows == source, f"raw_{table.system}.{table.name}: {rows} rows, the new source has {source}"
    for snap, key in (("snap_clientes", "cliente_id"), ("snap_productos", "producto_id")):
        (extra,) = project.warehouse_query(f"select count(*) - count(distinct {key}) from snapshots.{snap}")[0]
        assert extra == 0, f"snapshots.{snap} keeps {extra} version(s) from the replaced sources"
    (lines,) = project.source_query("orocommerce", "select count(*) from oro_order_line_items")[0]
    (sold,) = project.warehouse_query("select count(*) from dw.fact_ventas where origen = 'oro'")[0]
    assert 0 < sold <= lines, (sold, lines)

    proc = project.run("run")   # done: the next run is incremental again, and a full load left nothing to redo
    assert "rebuild from scratch" not in proc.stdout
    assert "build plan: nothing changed since the last build" in proc.stdout, proc.stdout[-3000:]
