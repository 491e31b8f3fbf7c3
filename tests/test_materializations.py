"""The project's view materialization on DuckDB (macros/vista.sql: one `create or replace view`
instead of dbt's create, two renames and a drop) through dbt on a real DuckDB file: a new view,
a view replaced by a new query, a table of the model's name replaced by the view, and the
model's hooks, as dbt's own materialization does them."""
from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT


def _build(proj: Path, materialized: str, sql: str) -> list[str]:
    from dbt.cli.main import dbtRunner

    (proj / "models" / "m.sql").write_text(
        f"{{{{ config(materialized='{materialized}', "
        "post_hook='create or replace table main.despues as select count(*) as n from {{ this }}') }}\n"
        f"{sql}\n")
    res = dbtRunner().invoke(["run", "--project-dir", str(proj), "--profiles-dir", str(proj),
                              "--target-path", str(proj / "target"), "--log-level", "none"])
    assert res.success, res.exception or [str(r.message) for r in res.result.results]
    return [str(r.message) for r in res.result.results]


def _query(db: Path, sql: str) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db))   # as dbt-duckdb holds it open in this process
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_view_is_created_replaced_and_takes_the_place_of_a_table(tmp_path):
    proj, db = tmp_path / "proyecto", tmp_path / "w.duckdb"
    (proj / "models").mkdir(parents=True)
    (proj / "macros").mkdir()
    shutil.copy(ROOT / "macros" / "vista.sql", proj / "macros" / "vista.sql")
    (proj / "dbt_project.yml").write_text("name: prueba\nversion: '1.0.0'\nprofile: prueba\n")
    (proj / "profiles.yml").write_text(
        f"prueba:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n      path: '{db}'\n"
        "      schema: main\n      threads: 1\n")
    kind = "select table_type from information_schema.tables where table_name = 'm'"
    names = "select table_name from information_schema.tables where table_schema = 'main' order by 1"

    _build(proj, "table", "select 1 as a union all select 2")
    assert _query(db, kind) == [("BASE TABLE",)]

    _build(proj, "view", "select 10 as a")          # a table of the model's name: replaced by the view
    assert _query(db, kind) == [("VIEW",)]
    assert _query(db, "select a from main.m") == [(10,)]
    assert _query(db, "select n from main.despues") == [(1,)]     # the post-hook ran on the view

    _build(proj, "view", "select 20 as a, 'x' as b union all select 30, 'y'")   # replaced in place
    assert _query(db, "select a, b from main.m order by a") == [(20, "x"), (30, "y")]
    assert _query(db, "select n from main.despues") == [(2,)]
    # nothing left behind under dbt's temporary or backup names
    assert [r[0] for r in _query(db, names)] == ["despues", "m"]
    # built by this materialization (dbt's own creates m__dbt_tmp and renames it)
    ran = (proj / "target" / "run" / "prueba" / "models" / "m.sql").read_text()
    assert "create or replace view" in ran and "__dbt_tmp" not in ran, ran
