"""A run builds what changed (ingest/build_state.py, issue 7 target 2).

- the source fingerprint that lets a table without an update cursor skip its reload, on both
  source kinds (SQLite and PostgreSQL);
- the changed-only selection is the full run's selection restricted to what
  descends from the changed sources (nothing a full run checks is lost when every source
  changes, except what no source feeds: seeds and dim_fecha, rebuilt on a project change);
- end to end on DuckDB: a run with no change builds and tests nothing; one changed CSV file
  rebuilds what reads it and the new value reaches the fact; a new day rebuilds the `diario`
  models; a missing relation, a changed variable or an extract-only run in between each lead
  to the right build. (PostgreSQL: the incremental sequence of tests/test_warehouse_e2e.py runs
  in this mode on both adapters and must equal a full refresh.)
"""
from __future__ import annotations

import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import EtlProject, pg_admin, drop_pg_database, pg_url, require_pg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.catalog import Column, Table  # noqa: E402
from ingest.orchestrator import CHANGED_PHASE, LAYERS  # noqa: E402
from ingest.sources.sql_tables import make_reader  # noqa: E402

PRICES = Table("precios", "orocommerce", (Column("id", "integer", False), Column("sku", "varchar(255)"),
                                           Column("valor", "numeric(19,4)")), ("id",))


def _fingerprints(reader, table, change):
    first = reader.fingerprint(table)
    again = reader.fingerprint(table)
    change()
    return first, again, reader.fingerprint(table)


def test_fingerprint_sqlite(tmp_path):
    db = tmp_path / "src.sqlite"
    con = sqlite3.connect(db)
    con.execute("create table precios (id integer primary key, sku text, valor numeric)")
    con.executemany("insert into precios values (?, ?, ?)", [(1, "A", 1.5), (2, "B", None), (3, "C", 7)])
    con.commit()
    reader = make_reader(f"sqlite:///{db}", 30, tmp_path)

    def update():
        con.execute("update precios set valor = 1.6 where id = 1")
        con.commit()

    first, again, changed = _fingerprints(reader, PRICES, update)
    assert first == again and changed != first
    con.execute("update precios set valor = 1.5 where id = 1")
    con.commit()
    assert reader.fingerprint(PRICES) == first, "same content, same fingerprint"
    con.execute("delete from precios where id = 2")
    con.commit()
    assert reader.fingerprint(PRICES) != first, "a deleted row moves the fingerprint"
    # a column dropped from the source is left out (read as null), not an error
    con.execute("alter table precios drop column sku")
    con.commit()
    fresh = make_reader(f"sqlite:///{db}", 30, tmp_path)
    assert fresh.fingerprint(PRICES).startswith("sqlite:2:")
    con.close()


def test_fingerprint_postgres():
    require_pg()
    import uuid

    name = f"pf_{uuid.uuid4().hex[:8]}_fp"
    pg_admin(f'create database "{name}"')
    try:
        pg_admin("create table precios (id integer primary key, sku varchar(255), valor numeric(19,4)); "
                 "insert into precios values (1, 'A', 1.5), (2, 'B', null), (3, 'C', 7)", dbname=name)
        reader = make_reader(pg_url(name), 30, ROOT)
        first, again, changed = _fingerprints(
            reader, PRICES, lambda: pg_admin("update precios set sku = 'Z' where id = 3", dbname=name))
        assert first == again and changed != first
        pg_admin("update precios set sku = 'C' where id = 3", dbname=name)
        assert reader.fingerprint(PRICES) == first
        pg_admin("insert into precios values (4, 'D', 0)", dbname=name)
        assert reader.fingerprint(PRICES).startswith("postgres:4:")
    finally:
        drop_pg_database(name)


def _no_source_ancestor(manifest) -> set[str]:
    """Names of the nodes no source feeds (directly or through their parents)."""
    fed: dict[str, bool] = {}

    def has_source(uid: str) -> bool:
        if uid not in fed:
            fed[uid] = False
            parents = manifest.parent_map.get(uid, [])
            fed[uid] = any(p.startswith("source.") or has_source(p) for p in parents)
        return fed[uid]

    return {n.name for uid, n in manifest.nodes.items()
            if n.resource_type in ("model", "seed", "snapshot", "test") and not has_source(uid)}


def test_changed_selection_is_the_full_selection_restricted_to_the_changes(monkeypatch, tmp_path):
    """A full build is one dbt invocation that selects every node of the project; a build of what
    changed is one dbt invocation that selects what the full build does, less the nodes no source
    feeds, and a change of one CSV selects its chain only."""
    from dbt.cli.main import dbtRunner

    from ingest.build_state import DAILY_TAG
    from ingest.orchestrator import ALL_STEP, CHANGED_STEP, transform_steps

    monkeypatch.setenv("PUNTAFINA_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    base = ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT), "--target", "duckdb", "--quiet",
            "--log-path", str(tmp_path / "logs")]
    manifest = dbtRunner().invoke(["parse", *base]).result
    runner = dbtRunner(manifest=manifest)

    def ls(args):
        res = runner.invoke(["ls", *args[1:], *base, "--resource-type", "all", "--exclude-resource-type", "unit_test",
                             "--output", "name"])  # unit tests are not part of a run (ingest/dbt_runner.py)
        assert res.success, res.exception
        return set(res.result or [])

    everything = [f"source:{s.source_name}.{s.name}+" for s in manifest.sources.values()] + [f"tag:{DAILY_TAG}+"]
    full, changed = transform_steps(None, None), transform_steps(None, everything)
    assert [title for title, _ in full] == [ALL_STEP], "a full build is one dbt invocation"
    assert [title for title, _ in changed] == [CHANGED_STEP], "a build of what changed is one dbt invocation"
    assert transform_steps(None, None, rebuild_incremental=True)[0][1] == full[0][1] + ["--full-refresh"]
    union = ls(full[0][1])
    every = {n.name for n in manifest.nodes.values() if n.resource_type in ("model", "seed", "snapshot", "test")}
    assert every <= union, f"a full build leaves out {sorted(every - union)[:5]}"
    seen_changed = ls(changed[0][1])
    assert seen_changed <= union, f"the changed-only build selects what the full build does not: {sorted(seen_changed - union)[:5]}"
    lost = union - seen_changed
    assert lost == _no_source_ancestor(manifest) & union, f"selected by a full run only: {sorted(lost)[:8]}"
    assert {"monedas_iso", "dim_fecha"} <= lost and not any(n.startswith("fact_") for n in lost)

    one = transform_steps(None, ["source:csv.metas_ventas+"])
    picked = set().union(*(ls(args) for _, args in one))
    assert "fact_metas_ventas" in picked and "stg_csv__metas_ventas" in picked
    assert not any(n.startswith(("stg_orocommerce__", "stg_orocrm__")) for n in picked)

    # sources.csv.on_error: fail: the staging layer first, alone, then the rest; the two select
    # what the one build does, each node once, no dimension or fact in the first
    for changes, whole in ((None, union), (everything, seen_changed), (["source:csv.metas_ventas+"], picked)):
        first, rest = [ls(args) for _, args in transform_steps(None, changes, staging_first=True)]
        assert not first & rest, f"selected twice: {sorted(first & rest)[:5]}"
        assert first | rest == whole, (sorted(whole - first - rest)[:5], sorted(first | rest - whole)[:5])
        assert "rechazos_csv_con_on_error_fail" in first | rest and not {"rechazos_csv_con_on_error_fail"} & rest
        assert not any(n.startswith(("dim_", "fact_")) for n in first), sorted(first)


# ------------------------------------------------------------------ end to end (DuckDB)
def _plan(proc) -> str:
    lines = [ln for ln in proc.stdout.splitlines() if "build plan:" in ln]
    assert lines, proc.stdout[-3000:]
    return lines[0]


def _last_metrics(project) -> dict:
    runs = sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(runs[-1].read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = EtlProject(tmp_path_factory.mktemp("plan"), "duckdb")
    project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
    project.generate(scale=0.2)
    first = project.run("run")
    assert "building everything" in _plan(first)
    yield project
    project.close()


def test_the_manifest_is_written_once_per_run_and_whole(built, monkeypatch, tmp_path):
    """dbt writes target/manifest.json after every invocation; a run's invocations (the build, a
    retry, a rebuild) share one parsed manifest, so only the first writes it
    (ingest.dbt_runner._write_manifest_once): the file after a full run holds every node of the
    project, run_results.json the build's."""
    manifest = json.loads((built.tmp / "dbt_target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"stg_orocommerce__orders", "dim_cliente", "fact_ventas", "audit_poblacion"} <= models
    results = json.loads((built.tmp / "dbt_target" / "run_results.json").read_text())["results"]
    assert any(r["unique_id"] == "model.puntafina.audit_poblacion" for r in results)  # the final checks

    import dbt.task.runnable as runnable

    from ingest import dbt_runner

    calls = []

    def fake(manifest, target_path, which=None):
        calls.append((manifest, target_path))
        (Path(target_path) / "manifest.json").write_text("{}")

    monkeypatch.setattr(runnable, "write_manifest", fake)
    monkeypatch.setattr(dbt_runner, "_WRITTEN", set())
    dbt_runner._write_manifest_once()
    one, other = object(), object()
    for _ in range(3):                       # the phases of one run: written by the first
        runnable.write_manifest(one, str(tmp_path))
    assert len(calls) == 1
    (tmp_path / "manifest.json").unlink()    # gone (a `dbt clean`): written again
    runnable.write_manifest(one, str(tmp_path))
    runnable.write_manifest(other, str(tmp_path))   # another manifest (a new parse): written
    assert len(calls) == 3
    dbt_runner._write_manifest_once()        # patching twice does not wrap twice
    runnable.write_manifest(one, str(tmp_path))
    assert len(calls) == 3


def test_no_change_builds_and_tests_nothing(built):
    before = built.warehouse_query("select count(*), sum(monto_meta) from dw.fact_metas_ventas")
    proc = built.run("run")
    assert "nothing changed since the last build" in _plan(proc)
    m = _last_metrics(built)
    assert m["status"] == "success" and m["nodes_built"] == 0 and m["tests_passed"] == 0
    assert m["records_extracted"] == 0, "an unchanged table without an update cursor was reloaded"
    assert built.warehouse_query("select count(*), sum(monto_meta) from dw.fact_metas_ventas") == before


def test_status_says_where_the_warehouse_stands(built):
    proc = built.run("status")
    out = proc.stdout
    assert "== Last runs (audit.etl_runs) ==" in out and " run      SUCCESS " in out
    assert all(f"{system:<12} " in out for system in ("orocommerce", "orocrm", "csv"))
    assert "table(s) done, 0 resumable" in out and "resumable from chunk" not in out
    assert "last load 20" in out and "newest update cursor loaded: " in out
    assert "then, with what is loaded now: nothing changed since the last build" in out, out


def test_one_changed_file_rebuilds_what_reads_it(built):
    path = built.tmp / "inputs" / "ventas" / "metas_ventas.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    head = lines[0].strip().split(",")
    row = lines[1].rstrip("\n").split(",")
    old = row[head.index("monto_meta")]
    row[head.index("monto_meta")] = "123456.78"
    lines[1] = ",".join(row) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    (total_before,) = built.warehouse_query("select sum(monto_meta) from dw.fact_metas_ventas")[0]
    proc = built.run("run")
    assert "1 raw table(s) changed" in _plan(proc)
    m = _last_metrics(built)
    built_names = {r[1] for r in m["relations"]}
    assert {"stg_csv__metas_ventas", "fact_metas_ventas"} <= built_names
    assert not {"dim_fecha", "monedas_iso", "stg_orocommerce__orders"} & built_names
    # one dbt invocation, reported per layer on the console and on the run's timeline
    out = proc.stdout
    assert "== 2-5/5 " in out and "== 3/5 " not in out, out[-3000:]
    staging, facts = LAYERS[0], LAYERS[2]
    assert re.search(rf"{re.escape(staging)}\s+[1-9]\d* built", out), out[-3000:]
    assert re.search(rf"{re.escape(facts)}\s+[1-9]\d* built, [1-9]\d* test\(s\) passed", out), out[-3000:]
    phases = {p["phase"]: p for p in m["phases"]}
    build = phases[CHANGED_PHASE]
    for layer in (staging, facts):
        assert phases[layer]["layer_of"] == CHANGED_PHASE and build["start_s"] <= phases[layer]["start_s"], m["phases"]
        assert phases[layer]["start_s"] + phases[layer]["duration_s"] <= build["start_s"] + build["duration_s"] + 0.5
    assert phases[staging]["start_s"] < phases[facts]["start_s"]
    (total_after,) = built.warehouse_query("select sum(monto_meta) from dw.fact_metas_ventas")[0]
    assert round(float(total_after) - float(total_before), 2) == round(123456.78 - float(old), 2)


def _set_recorded(project, **changes) -> None:
    import duckdb

    con = duckdb.connect(project.env["PUNTAFINA_DUCKDB_PATH"])
    try:
        (doc,) = con.execute("select doc from audit.etl_build_state").fetchone()
        doc = json.loads(doc) | changes
        con.execute("update audit.etl_build_state set doc = ?", [json.dumps(doc)])
    finally:
        con.close()


def test_a_new_day_builds_the_daily_models(built):
    _set_recorded(built, day="2000-01-01")
    proc = built.run("run")
    assert "a new day" in _plan(proc)
    names = {r[1] for r in _last_metrics(built)["relations"]}
    assert "fact_inventario" in names and "fact_ventas" not in names


def test_changes_loaded_by_an_extract_only_run_are_built_by_the_next_run(built):
    path = built.tmp / "inputs" / "maestros" / "sucursales.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")  # same rows, new bytes
    built.run("ingest")
    proc = built.run("run")
    assert "1 raw table(s) changed" in _plan(proc)
    assert "dim_almacen" in {r[1] for r in _last_metrics(built)["relations"]}


def test_a_missing_relation_or_a_new_variable_builds_everything(built):
    import duckdb

    # a new version of the project that adds a column to an incremental fact (an upgrade,
    # simulated by dropping the column from the built table), built by a run that does not
    # rebuild everything (a selection): the phase is rebuilt from the sources with
    # --full-refresh instead of failing on on_schema_change='fail'
    con = duckdb.connect(built.env["PUNTAFINA_DUCKDB_PATH"])
    con.execute("alter table dw_build.fact_metas_ventas drop column monto_meta_usd")
    con.close()
    proc = built.run("run", "--select", "fact_metas_ventas")
    assert "fact_metas_ventas: the project changed the columns of this incremental model" in proc.stdout
    assert built.warehouse_query("select count(monto_meta_usd) from dw_build.fact_metas_ventas")[0][0] > 0

    con = duckdb.connect(built.env["PUNTAFINA_DUCKDB_PATH"])
    con.execute("drop table dw_build.dim_moneda")
    # int_fact_ventas_oro without its fingerprints, as an older version wrote it
    con.execute("alter table staging.int_fact_ventas_oro drop column firma_entradas")
    con.close()
    # `status` prints the plan the next run would follow (the same build_state.plan): cheaper
    # than a run; the run below (whose first reason is the project change) rebuilds the table
    proc = built.run("status")
    assert "relation(s) of the last build are missing (dw_build.dim_moneda): building everything" in proc.stdout
    # a run after a change of the project rebuilds everything, the incremental models from what
    # they read (--full-refresh): int_fact_ventas_oro is rebuilt, not compared with what it holds
    built.write_config(symmetry={"priority": "csv"})
    try:
        proc = built.run("run")
    finally:
        built.write_config()
    assert "the project (models, macros, seeds, tests, vars or dbt version) changed" in _plan(proc)
    assert _last_metrics(built)["nodes_built"] > 90
    assert built.warehouse_query("select count(firma_entradas) from staging.int_fact_ventas_oro")[0][0] > 0
    assert built.warehouse_query("select count(*) from dw.dim_moneda")[0][0] > 0


def test_a_warehouse_from_before_write_audit_publish_keeps_the_facts_history(built):
    """A warehouse built before dw_build existed holds its marts in dw, fact_inventario with days
    the sources no longer have. The first run of this version builds dw_build from the sources but
    takes each incremental fact over from dw (macros/publicacion.sql, preparar_publicacion), so the
    published fact_inventario still has those days; rebuilt without them, the publish would drop them."""
    import duckdb

    with duckdb.connect(built.env["PUNTAFINA_DUCKDB_PATH"]) as con:
        # an earlier day's snapshot (a copy of today's rows, dated 2024-03-01), then the old layout
        con.execute("create temp table dia as select * from dw.fact_inventario "
                    "where fecha_key = (select max(fecha_key) from dw.fact_inventario)")
        con.execute("update dia set fecha_key = 20240301, inventario_key = inventario_key || '-20240301'")
        con.execute("insert into dw.fact_inventario select * from dia")
        con.execute("drop schema dw_build cascade")
        old_day = con.execute("select count(*) from dw.fact_inventario where fecha_key = 20240301").fetchone()[0]
    assert old_day > 0
    proc = built.run("run")
    assert "published: dw shows this run" in proc.stdout, proc.stdout[-3000:]
    for schema in ("dw", "dw_build"):
        kept = built.warehouse_query(f"select count(*) from {schema}.fact_inventario where fecha_key = 20240301")
        assert kept == [(old_day,)], f"{schema}.fact_inventario lost the day the sources no longer have"
