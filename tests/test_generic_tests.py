"""The project's generic data tests where they replace dbt's own: `columnas_validas` (a model's
not_null, unique, combination-unique, accepted_values, range, no-negative and relationships rules
in one query, and its raw table's required columns and keys: `fuente`)
must fail on each broken row exactly as the per-column tests did, on DuckDB and PostgreSQL, and the
validation reports must still say which rule of which column failed, and by how many rows.

A tiny dbt project (the project's tests/generic, one raw table with broken rows, one staging model)
runs through dbt on the real adapter; the report comes from ingest.reports on dbt's own results."""
from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path

import pytest

from conftest import PG, ROOT, drop_pg_database, pg_admin, require_pg

# id: unique, no null; nombre: one null; valor: two nulls, one value out of [0, 10], one negative;
# codigo: one value not accepted, one repeated (unique counts one duplicated key), one (z) not in
# crudo.codigos; (grupo, linea): one repeated combination, whose null linea counts as a value
ROWS = [(1, "a", None, "x", "g", 1), (2, None, None, "y", "g", 1), (3, "c", 7, "x", "h", None),
        (4, "d", 12, "z", "h", None), (5, "e", -1, "w", "h", 2)]
COLUMNS = "id integer, nombre varchar, valor integer, codigo varchar, grupo varchar, linea integer"

MODELS_YML = """
sources:
  - name: crudo
    schema: crudo
    tables:
      - name: filas
      - name: codigos
      - name: dobles
models:
  - name: stg_prueba__filas
    data_tests:
      - columnas_validas:
          arguments:
            fuente:
              relacion: "source('crudo', 'filas')"
              requeridas: [id]
              unicas: [id]
            requeridas: [id, nombre, valor]
            unicas: [id, codigo, [grupo, linea]]
            aceptados:
              codigo: [x, y, w]
              id: {valores: [1, 2, 3, 4, 5], quote: false}
            rangos:
              valor: {min_value: 0, max_value: 10}
              id: {min_value: 1}
            relaciones:
              codigo: {a: "source('crudo', 'codigos')", campo: codigo, permitidos: [w]}
              grupo: {a: "source('crudo', 'codigos')", campo: codigo}
              nombre: {a: "source('crudo', 'filas')", campo: nombre}
      - columnas_validas:
          name: reglas_donde_hay_valor
          arguments:
            requeridas: [id, nombre, valor]
            rangos:
              valor: {max_value: 10}
          config:
            where: "valor between 0 and 9"
      - columnas_validas:
          name: no_negativo
          arguments:
            rangos:
              valor: {min_value: 0}
  - name: stg_prueba__dobles
    data_tests:
      - columnas_validas:
          name: raw_roto_staging_sano
          arguments:
            fuente:
              relacion: "source('crudo', 'dobles')"
              requeridas: [id]
              unicas: [id, [id, nota]]
            requeridas: [id]
            unicas: [id]
"""

# (validation kind, column) -> failing rows, as the per-column tests each counted them
EXPECTED = {("required_fields", "id"): 0, ("required_fields", "nombre"): 1, ("required_fields", "valor"): 2,
            ("duplicates", "id"): 0, ("duplicates", "codigo"): 1, ("duplicates", "grupo, linea"): 2,
            ("ranges", "codigo"): 1, ("ranges", "id"): 0, ("ranges", "valor"): 2,
            # codigo: z has no parent (w is allowed without one); grupo: no g or h among the codes (5
            # rows); nombre: every non-null value is its own parent
            ("referential_integrity", "codigo"): 1, ("referential_integrity", "grupo"): 5,
            ("referential_integrity", "nombre"): 0}


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
        "select * from {{ source('crudo', 'filas') }}\n")
    # staging hides what is wrong in its raw table (a null key, a repeated one): only the rules of
    # the raw table (fuente) see it
    (proj / "models" / "staging" / "stg_prueba__dobles.sql").write_text(
        "select distinct id from {{ source('crudo', 'dobles') }} where id is not null\n")
    return proj


@pytest.fixture(params=["duckdb", "postgres"])
def tiny(request, tmp_path):
    target, db = request.param, None
    values = ", ".join("(" + ", ".join("null" if v is None else repr(v) for v in row) + ")" for row in ROWS)
    ddl = ["create schema crudo", f"create table crudo.filas ({COLUMNS})", f"insert into crudo.filas values {values}",
           "create table crudo.codigos (codigo varchar)", "insert into crudo.codigos values ('x'), ('y')",
           "create table crudo.dobles (id integer, nota varchar)",
           "insert into crudo.dobles values (1, 'a'), (1, 'b'), (2, 'c'), (2, 'c'), (null, 'd')"]
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


def test_columnas_validas_fails_on_each_broken_row_and_the_report_names_the_rule(tiny, tmp_path, monkeypatch):
    from dbt.cli.main import dbtRunner

    from ingest.reports import write_validation_reports

    proj, wh = tiny
    monkeypatch.setenv("DBT_TARGET_PATH", str(proj / "target"))
    res = dbtRunner().invoke(["build", "--project-dir", str(proj), "--profiles-dir", str(proj),
                              "--log-level", "none"])
    results = {r.node.name: r for r in res.result.results}
    failed = next(r for name, r in results.items() if name.startswith("columnas_validas_stg_prueba__filas"))
    # the figure is the number of failing rows (duplicated keys), as the sum of the per-column tests would be
    assert str(failed.status) == "fail" and int(failed.failures) == sum(EXPECTED.values()), \
        (failed.status, failed.failures)
    assert str(results["reglas_donde_hay_valor"].status) == "pass"   # the where config filters first
    assert str(results["no_negativo"].status) == "fail" and int(results["no_negativo"].failures) == 1
    # the rules of the raw table, in the staging model's test: staging is sound, its raw table is not
    raw = results["raw_roto_staging_sano"]
    assert str(raw.status) == "fail" and int(raw.failures) == 1 + 2 + 1, (raw.status, raw.failures)

    said = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage().strip())
    logging.getLogger("puntafina").addHandler(handler)
    try:
        paths = write_validation_reports(proj, tmp_path / "reports", wh, res.result.results)
    finally:
        logging.getLogger("puntafina").removeHandler(handler)
    report = json.loads(next(p for p in paths if p.name == "stg_prueba__filas.json").read_text())
    # dbt's own message is "Got 8 results": the console names each failing rule and its rows
    assert f"{failed.node.name}: nombre: 1 row(s) with a null (required)" in said, said
    assert f"{failed.node.name}: grupo, linea: 2 repeated value(s) (a key)" in said, said
    assert f"{failed.node.name}: valor: 2 row(s) outside the accepted values or range" in said, said
    assert f"{failed.node.name}: grupo: 5 row(s) whose key its parent lacks" in said, said
    assert not any(": id: " in line for line in said), said   # a rule that passes is not named
    checks = {(v["test"], v["validation"], v["column"]): (v["status"], v["failing_rows"])
              for v in report["validations"]
              if v["validation"] in ("required_fields", "duplicates", "ranges", "referential_integrity")}
    name = failed.node.name
    for (kind, column), rows in EXPECTED.items():
        assert checks[(name, kind, column)] == ("failed" if rows else "passed", rows), (kind, column, checks)
    assert checks[("reglas_donde_hay_valor", "required_fields", "valor")] == ("passed", 0)
    assert checks[("no_negativo", "ranges", "valor")] == ("failed", 1)
    assert checks[(name, "required_fields", "filas.id")] == ("passed", 0)   # the raw table's rules
    assert checks[(name, "duplicates", "filas.id")] == ("passed", 0)
    dobles = json.loads(next(p for p in paths if p.name == "stg_prueba__dobles.json").read_text())
    raw_checks = {(v["validation"], v["column"]): (v["status"], v["failing_rows"]) for v in dobles["validations"]
                  if v["test"] == "raw_roto_staging_sano"}
    assert raw_checks == {("required_fields", "id"): ("passed", 0), ("duplicates", "id"): ("passed", 0),
                          ("required_fields", "dobles.id"): ("failed", 1), ("duplicates", "dobles.id"): ("failed", 2),
                          ("duplicates", "dobles.id, nota"): ("failed", 1)}, raw_checks
    assert "raw_roto_staging_sano: dobles.id: 2 repeated value(s) (a key)" in said, said

    # a build of what changed reports the models it built or tested; the others keep their report
    before = (tmp_path / "reports" / "validation" / "stg_prueba__filas.json").read_text()
    only = [r for r in res.result.results if "dobles" in r.node.name or r.node.name == "raw_roto_staging_sano"]
    again = write_validation_reports(proj, tmp_path / "reports", wh, only)
    assert [p.name for p in again] == ["stg_prueba__dobles.json"], again
    assert (tmp_path / "reports" / "validation" / "stg_prueba__filas.json").read_text() == before


def test_columnas_validas_needs_a_rule(tmp_path):
    """A declaration without any rule (or a range without bounds) is a compile error that names it."""
    from dbt.cli.main import dbtRunner

    for args, message in (("{}", "give requeridas, unicas, aceptados, rangos or relaciones"),
                          ("{relaciones: {valor: {campo: valor}}}", "the relation of valor needs a (the parent) and campo"),
                          ("{rangos: {valor: {}}}", "the range of valor needs min_value, max_value or both"),
                          ("{fuente: {requeridas: [valor]}}", "fuente needs relacion")):
        proj = _project(tmp_path / message[:8].replace(" ", "_"), "duckdb", None)
        (proj / "models" / "staging" / "_modelos.yml").write_text(
            f"models:\n  - name: stg_prueba__filas\n    data_tests:\n      - columnas_validas:\n"
            f"          arguments: {args}\n")
        (proj / "models" / "staging" / "stg_prueba__filas.sql").write_text("select 1 as valor\n")
        res = dbtRunner().invoke(["build", "--project-dir", str(proj), "--profiles-dir", str(proj),
                                  "--target-path", str(proj / "target"), "--log-level", "none"])
        assert not res.success
        errors = [str(res.exception)] if res.result is None else \
            [str(r.message) for r in res.result.results if str(r.status) == "error"]
        assert errors and message in errors[0], errors
