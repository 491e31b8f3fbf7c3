"""The project's generic data tests where they replace dbt's own: `campos_requeridos` (the not_null
of several columns in one query) must fail on a broken row exactly as the per-column tests did, on
DuckDB and PostgreSQL, and the validation reports must still say which column held the nulls.

A tiny dbt project (the project's tests/generic, one raw table with nulls, one staging model) runs
through dbt on the real adapter; the report comes from ingest.reports on dbt's own results."""
from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import pytest

from conftest import PG, ROOT, drop_pg_database, pg_admin, require_pg

# id has no null; nombre one; valor two (the rows the per-column not_null tests would each return)
ROWS = [(1, "a", None), (2, None, None), (3, "c", 7)]

MODELS_YML = """
sources:
  - name: crudo
    schema: crudo
    tables:
      - name: filas
        data_tests:
          - campos_requeridos:
              arguments:
                columnas: [id]
models:
  - name: stg_prueba__filas
    data_tests:
      - campos_requeridos:
          arguments:
            columnas: [id, nombre, valor]
      - campos_requeridos:
          name: requeridos_donde_hay_valor
          arguments:
            columnas: [id, nombre, valor]
          config:
            where: "valor is not null"
"""


class _Wh:
    """What ingest.reports needs of a warehouse: a DB-API connection."""

    def __init__(self, connect):
        self.connect = connect


def _project(tmp: Path, target: str, db: str | None) -> Path:
    proj = tmp / "proyecto"
    (proj / "models" / "staging").mkdir(parents=True)
    shutil.copytree(ROOT / "tests" / "generic", proj / "tests" / "generic")
    (proj / "dbt_project.yml").write_text(
        "name: prueba\nversion: '1.0.0'\nprofile: prueba\nmodels:\n  prueba:\n    +materialized: view\n")
    if target == "duckdb":
        output = f"type: duckdb\n      path: '{tmp / 'w.duckdb'}'\n      schema: main"
    else:
        output = (f"type: postgres\n      host: {PG['host']}\n      port: {PG['port']}\n      user: {PG['user']}\n"
                  f"      password: '{PG['password']}'\n      dbname: {db}\n      schema: public")
    (proj / "profiles.yml").write_text(f"prueba:\n  target: t\n  outputs:\n    t:\n      {output}\n      threads: 1\n")
    (proj / "models" / "staging" / "_modelos.yml").write_text(MODELS_YML)
    (proj / "models" / "staging" / "stg_prueba__filas.sql").write_text(
        "select id, nombre, valor from {{ source('crudo', 'filas') }}\n")
    return proj


@pytest.fixture(params=["duckdb", "postgres"])
def tiny(request, tmp_path):
    target, db = request.param, None
    values = ", ".join(f"({i}, {'null' if n is None else repr(n)}, {'null' if v is None else v})" for i, n, v in ROWS)
    ddl = ["create schema crudo", "create table crudo.filas (id integer, nombre varchar, valor integer)",
           f"insert into crudo.filas values {values}"]
    if target == "duckdb":
        import duckdb

        def connect():
            return duckdb.connect(str(tmp_path / "w.duckdb"))
        con = connect()
        for sql in ddl:
            con.execute(sql)
        con.close()
    else:
        require_pg()
        import psycopg2

        db = f"pf_gen_{uuid.uuid4().hex[:8]}"
        pg_admin(f'create database "{db}"')
        for sql in ddl:
            pg_admin(sql, dbname=db)

        def connect():
            con = psycopg2.connect(dbname=db, **PG)
            con.autocommit = True   # as ingest.warehouse connects
            return con
    yield _project(tmp_path, target, db), _Wh(connect)
    if db:
        drop_pg_database(db)


def test_campos_requeridos_fails_on_each_null_and_the_report_names_the_column(tiny, tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    from ingest.reports import write_validation_reports

    proj, wh = tiny
    monkeypatch.setenv("DBT_TARGET_PATH", str(proj / "target"))
    res = dbtRunner().invoke(["build", "--project-dir", str(proj), "--profiles-dir", str(proj),
                              "--log-level", "none"])
    results = {r.node.name: r for r in res.result.results}
    failed = results["campos_requeridos_stg_prueba__filas_id__nombre__valor"]
    # the figure is the number of null values, as the sum of the three not_null tests would be
    assert str(failed.status) == "fail" and int(failed.failures) == 3, (failed.status, failed.failures)
    assert str(results["requeridos_donde_hay_valor"].status) == "pass"   # the where config filters first
    assert str(results["source_campos_requeridos_crudo_filas_id"].status) == "pass"

    paths = write_validation_reports(proj, tmp_path / "reports", wh, res.result.results)
    report = json.loads(next(p for p in paths if p.name == "stg_prueba__filas.json").read_text())
    checks = {(v["test"], v["column"]): (v["status"], v["failing_rows"])
              for v in report["validations"] if v["validation"] == "required_fields"}
    name = failed.node.name
    assert checks[(name, "id")] == ("passed", 0)
    assert checks[(name, "nombre")] == ("failed", 1)
    assert checks[(name, "valor")] == ("failed", 2)
    assert checks[("requeridos_donde_hay_valor", "valor")] == ("passed", 0)
    assert checks[("source_campos_requeridos_crudo_filas_id", "id")] == ("passed", 0)
