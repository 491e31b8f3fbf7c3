"""Source rows and source files that break a contract (issue 9, item 2).

Each case builds its own faulty source from a small demo (SQLite, or PostgreSQL for the
cases that name it) and checks the layer it touches: the slice readers, the row screen,
the preflight, the retry classification, the demo generator; then one end-to-end run on
DuckDB with several source faults at once (and the dropped column on a PostgreSQL source)
shows the run goes on, with the warnings and the data. docs/RELIABILITY.md, section
"Sources (databases)", lists these cases.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import EtlProject, pg_admin, require_pg
from ingest import catalog
from ingest.sources import sql_tables
from ingest.sources.sql_tables import PostgresReader, SourceError, SqliteReader

PRODUCT = catalog.TABLES["orocommerce.oro_product"]
ORDER = catalog.TABLES["orocommerce.oro_order"]
FUTURE_TS = "2031-01-01 00:00:00"
BAD_JSON = '{"internal_status": "order_internal_status.open"'  # no closing brace


def _latest_metrics(project) -> dict:
    runs = sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"))
    return json.loads(runs[-1].read_text())


def _sqlite(project, system: str = "orocommerce") -> sqlite3.Connection:
    return sqlite3.connect(project.demo.commerce if system == "orocommerce" else project.demo.crm)


def _without_primary_key(con: sqlite3.Connection, table: str) -> None:
    """Rebuild a SQLite table without its PRIMARY KEY (as a view or a replica without
    constraints would be), so a row with a null id can exist."""
    con.execute(f'create table "{table}__copy" as select * from "{table}"')
    con.execute(f'drop table "{table}"')
    con.execute(f'alter table "{table}__copy" rename to "{table}"')


def _insert_like(con: sqlite3.Connection, table: str, source_id: int, **values) -> None:
    cols = [r[1] for r in con.execute(f'pragma table_info("{table}")')]
    row = dict(zip(cols, con.execute(f'select * from "{table}" where id = ?', (source_id,)).fetchone()))
    row.update(values)
    con.execute(f'insert into "{table}" ({", ".join(cols)}) values ({", ".join("?" * len(cols))})',
                [row[c] for c in cols])


@pytest.fixture(scope="module")
def small_sqlite(tmp_path_factory):
    """A small demo on SQLite; each reader-level test copies what it alters."""
    proj = EtlProject(tmp_path_factory.mktemp("contracts_src"), "duckdb")
    proj.generate(scale=0.1)
    yield proj
    proj.close()


def _copy_commerce(small_sqlite, tmp_path) -> Path:
    dest = tmp_path / "orocommerce.sqlite"
    dest.write_bytes(Path(small_sqlite.demo.commerce).read_bytes())
    return dest


# ---------------------------------------------------------------- (a) dropped columns: readers
def test_sqlite_reader_reads_a_dropped_column_as_a_typed_null(small_sqlite, tmp_path):
    path = _copy_commerce(small_sqlite, tmp_path)
    with sqlite3.connect(path) as con:
        con.execute("alter table oro_product drop column name_uppercase")
    reader = SqliteReader(path, 10)
    data = reader.read(PRODUCT, None, 10_000)
    col = data.column("name_uppercase")
    assert data.num_rows > 0 and col.null_count == data.num_rows  # never the literal 'name_uppercase'
    assert col.type == pa.string()
    assert reader.drift == {"oro_product": ("name_uppercase",)}
    assert data.column("name").null_count == 0  # the columns that are there are read as before


def test_sqlite_reader_reports_a_column_added_and_no_type_change_on_the_demo(small_sqlite, tmp_path):
    path = _copy_commerce(small_sqlite, tmp_path)
    with sqlite3.connect(path) as con:
        con.execute("alter table oro_product add column nueva_columna text")
    check = SqliteReader(path, 10).check_columns(PRODUCT)
    assert check.extra == ("nueva_columna",) and check.missing == ()
    assert check.retyped == (), "the demo declares the catalog's own types: no kind differs"


def test_postgres_reader_reads_a_dropped_column_as_a_typed_null(tmp_path):
    require_pg()
    proj = EtlProject(tmp_path, "postgres")
    try:
        proj.generate(scale=0.1)
        db = proj.urls["orocommerce"].rsplit("/", 1)[1]
        pg_admin("alter table oro_product drop column name_uppercase; "
                 "alter table oro_product drop column is_featured; "
                 "alter table oro_product alter column is_new_arrival type varchar(5) using is_new_arrival::text; "
                 "alter table oro_product add column nueva_columna text", dbname=db)
        reader = PostgresReader(proj.urls["orocommerce"], 10)
        data = reader.read(PRODUCT, None, 10_000)
        assert data.num_rows > 0
        assert data.column("name_uppercase").null_count == data.num_rows
        assert data.column("is_featured").type == pa.bool_()
        assert data.column("is_featured").null_count == data.num_rows
        assert reader.drift == {"oro_product": ("name_uppercase", "is_featured")}
        # a type change is reported (and the values still read, cast to the catalog's type); an added column too
        check = reader.check_columns(PRODUCT)
        assert check.retyped == (("is_new_arrival", "boolean", "character varying"),)
        assert data.column("is_new_arrival").type == pa.bool_() and data.column("is_new_arrival").null_count == 0
        assert check.extra == ("nueva_columna",)
        with pytest.raises(SourceError) as err:  # a table that is not there is named, not retried
            reader.check_columns(catalog.Table("oro_missing", "orocommerce", PRODUCT.columns, ("id",)))
        assert "oro_missing" in str(err.value) and not err.value.transient
    finally:
        proj.close()


@pytest.mark.parametrize("column,role", [("updated_at", "update cursor"), ("id", "primary key")])
def test_a_dropped_key_or_cursor_column_is_an_error_for_that_table(small_sqlite, tmp_path, column, role):
    path = _copy_commerce(small_sqlite, tmp_path)
    with sqlite3.connect(path) as con:
        if column == "id":
            _without_primary_key(con, "oro_product")
        con.execute("drop index if exists ix_oro_product_updated_at")
        con.execute(f"alter table oro_product drop column {column}")
    reader = SqliteReader(path, 10)
    with pytest.raises(SourceError) as err:
        reader.read(PRODUCT, None, 100)
    msg = str(err.value)
    assert "oro_product" in msg and column in msg and role in msg and str(path) in msg
    assert not err.value.transient
    assert reader.read(ORDER, None, 5).num_rows == 5  # the other tables still read


# ---------------------------------------------------------------- (c) empty file: preflight, retries
def test_preflight_names_a_zero_byte_sqlite_source_and_its_missing_tables(small_sqlite, tmp_path):
    from ingest.config import load_config
    from ingest.orchestrator import PreflightError, preflight
    from ingest.warehouse import Warehouse

    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    small_sqlite.write_config()
    cfg_path = tmp_path / "etl_config.yaml"
    cfg_path.write_text(small_sqlite.config_path.read_text().replace(str(small_sqlite.demo.commerce), str(empty)))
    cfg = load_config(cfg_path, root=Path(__file__).resolve().parents[2])
    wh = Warehouse("duckdb", Path(__file__).resolve().parents[2])
    with pytest.raises(PreflightError) as err:
        preflight(cfg, wh, ["orocommerce"])
    msg = str(err.value)
    n = len(catalog.tables("orocommerce"))
    assert "sources.orocommerce.url" in msg and str(empty) in msg and f"lacks {n} of the {n} tables" in msg
    assert "oro_organization" in msg


def test_zero_byte_sqlite_source_run_exits_2_at_once_and_writes_nothing(tmp_path):
    proj = EtlProject(tmp_path, "duckdb")
    proj.generate(scale=0.1)
    Path(proj.demo.commerce).write_bytes(b"")
    proc = proj.run("run", expect=2, timeout=120)
    out = proc.stdout + proc.stderr
    assert "orocommerce.sqlite" in out and "oro_organization" in out
    assert "retrying" not in out and "attempt" not in out
    assert not Path(proj.env["PUNTAFINA_DUCKDB_PATH"]).exists()  # nothing written
    assert not (tmp_path / "checkpoints" / "orocommerce.checkpoint").exists()


def test_missing_table_or_column_is_not_transient():
    from ingest.pipeline import _transient

    assert not _transient(SourceError("reading oro_order from x failed: no such table: oro_order", transient=False))
    assert not _transient(sqlite3.OperationalError("no such table: oro_order"))
    assert not _transient(RuntimeError('relation "oro_order" does not exist'))
    assert _transient(SourceError("PostgreSQL source h:5432/db is unreachable: timeout"))


def test_sqlite_reader_marks_no_such_table_as_not_transient(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    reader = SqliteReader(empty, 5)
    assert reader.missing_tables([PRODUCT, ORDER]) == ["oro_product", "oro_order"]
    with pytest.raises(SourceError) as err:
        reader.read(PRODUCT, None, 10)
    assert not err.value.transient and "oro_product" in str(err.value)


# ---------------------------------------------------------------- (d) row contracts: the screen
def _product_rows(n: int = 4) -> pa.Table:
    base = dt.datetime(2026, 1, 1)
    rows = []
    for i in range(n):
        rows.append({c.name: None for c in PRODUCT.columns} | {
            "id": i + 1, "sku": f"S{i}", "name": f"P{i}", "name_uppercase": f"P{i}", "status": "enabled",
            "type": "simple", "is_featured": False, "is_new_arrival": False,
            "created_at": base, "updated_at": base + dt.timedelta(hours=i),
            "serialized_data": '{"inventory_status": "prod_inventory_status.in_stock"}'})
    return rows


def _table(rows) -> pa.Table:
    schema = pa.schema([f.with_nullable(True) for f in catalog.arrow_schema(PRODUCT)])
    return pa.Table.from_pylist(rows, schema=schema)


def test_screen_quarantines_null_keys_and_keeps_the_position_on_good_rows():
    rows = _product_rows()
    rows[1]["id"] = None
    out = sql_tables.screen(_table(rows), PRODUCT, dt.datetime(2030, 1, 1), check_json=True)
    assert out.rows.column("id").to_pylist() == [1, 3, 4]
    assert out.counts == {sql_tables.NULL_KEY: 1}
    (q,) = out.quarantine
    assert q["_tabla"] == "oro_product" and q["_motivo"] == sql_tables.NULL_KEY and q["_accion"] == "descartada"
    assert json.loads(q["_fila"])["sku"] == "S1"
    assert sql_tables.last_keys(out.position, PRODUCT)[1] == 4


def test_screen_nulls_unparseable_json_and_keeps_the_text_in_quarantine():
    rows = _product_rows()
    rows[2]["serialized_data"] = BAD_JSON
    out = sql_tables.screen(_table(rows), PRODUCT, dt.datetime(2030, 1, 1), check_json=True)
    assert out.rows.num_rows == 4
    assert out.rows.column("serialized_data").to_pylist()[2] is None
    assert out.rows.column("serialized_data").null_count == 1
    (q,) = out.quarantine
    assert q["_motivo"] == sql_tables.BAD_JSON and json.loads(q["_fila"])["serialized_data"] == BAD_JSON
    # PostgreSQL jsonb always parses: the screen leaves it alone there
    assert sql_tables.screen(_table(rows), PRODUCT, None, check_json=False).quarantine == []


def test_screen_loads_future_cursor_rows_but_does_not_move_the_position_past_them():
    rows = _product_rows()
    rows[3]["updated_at"] = dt.datetime(2031, 1, 1)
    out = sql_tables.screen(_table(rows), PRODUCT, dt.datetime(2027, 1, 1), check_json=True)
    assert out.rows.num_rows == 4  # kept
    assert out.counts == {sql_tables.FUTURE: 1}
    assert out.quarantine[0]["_accion"] == "cargada"
    assert sql_tables.last_keys(out.position, PRODUCT) == ["2026-01-01 02:00:00", 3]


# ---------------------------------------------------------------- (b) demo generation and inputs
def _demo_config(tmp_path: Path) -> EtlProject:
    proj = EtlProject(tmp_path, "duckdb")
    proj.urls = {"orocommerce": "demo", "orocrm": "demo"}
    proj.write_config()
    return proj


def test_setup_demo_refuses_to_overwrite_inputs_it_did_not_write_unless_forced(tmp_path):
    proj = _demo_config(tmp_path)
    proj.run("setup", "--demo", "--scale", "0.1", timeout=120)
    pos = tmp_path / "inputs" / "ventas" / "transacciones_tienda.csv"
    generated = pos.read_bytes()
    proj.run("setup", "--demo", "--scale", "0.1", timeout=120)  # its own files: regenerated freely
    assert pos.read_bytes() == generated

    mine = generated + b"9999999,1,2026-10-01 10:00:00,S01,X,1,1.00,0,USD,efectivo,\n"
    pos.write_bytes(mine)
    proc = proj.run("setup", "--demo", "--scale", "0.1", expect=2, timeout=120)
    err = proc.stdout + proc.stderr
    assert "ventas/transacciones_tienda.csv" in err and "--force" in err
    assert pos.read_bytes() == mine
    proj.run("setup", "--demo", "--scale", "0.1", "--force", timeout=120)
    assert pos.read_bytes() == generated


def test_first_run_generates_missing_demo_sources_but_keeps_existing_inputs(tmp_path):
    proj = _demo_config(tmp_path)
    pos = tmp_path / "inputs" / "ventas" / "transacciones_tienda.csv"
    pos.parent.mkdir(parents=True)
    mine = ("ticket,linea,fecha_hora,sucursal,sku,cantidad,precio,descuento,moneda,metodo_pago,cliente_codigo\n"
            "7000001,1,2026-10-01 10:00:00,S01,X,1,1.00,0,USD,efectivo,\n")
    pos.write_text(mine)
    proc = proj.run("ingest", "--sources", "orocrm", timeout=300)
    assert "Demo sources not found" in proc.stdout and "kept 1 existing CSV input" in proc.stdout
    assert pos.read_text() == mine  # not overwritten
    assert (tmp_path / "demo" / "orocrm.sqlite").is_file()
    assert (tmp_path / "inputs" / "maestros" / "sucursales.csv").is_file()  # the missing ones were written
    manifest = json.loads((tmp_path / "demo" / "manifest.json").read_text())
    assert manifest["inputs_kept"] == ["ventas/transacciones_tienda.csv"]
    assert "ventas/transacciones_tienda.csv" not in manifest["csv"]
    # and an explicit setup --demo now refuses: the kept file is not the generator's
    proj.run("setup", "--demo", "--scale", "0.1", expect=2, timeout=120)
    assert pos.read_text() == mine


# ---------------------------------------------------------------- end to end: several faults at once
@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    """DuckDB: extract a clean demo once (raw columns created NOT NULL), then break the sources
    in five ways at once and run the whole pipeline."""
    proj = EtlProject(tmp_path_factory.mktemp("contracts_e2e"), "duckdb")
    proj.generate(scale=0.2)
    proj.run("ingest", "--sources", "orocommerce", timeout=300)
    con = _sqlite(proj)
    order_id = con.execute("select min(id) from oro_order").fetchone()[0]
    line_id = con.execute("select min(id) from oro_order_line_item where product_id is not null").fetchone()[0]
    product_id = con.execute("select min(id) from oro_product").fetchone()[0]
    stamp = "2026-11-30 12:00:00"
    # (a) a NOT NULL text column dropped from the source, and a column added to it
    con.execute("alter table oro_product drop column name_uppercase")
    con.execute("alter table oro_product add column nueva_columna text")
    # (d) a null primary key
    _without_primary_key(con, "oro_customer_group")
    con.execute("insert into oro_customer_group (id, name, user_owner_id, organization_id) "
                "select null, 'Grupo sin id', user_owner_id, organization_id from oro_customer_group limit 1")
    # (d) serialized_data that does not parse, (d) a timestamp in the future
    con.execute("update oro_order set serialized_data = ?, updated_at = ? where id = ?", (BAD_JSON, stamp, order_id))
    _insert_like(con, "oro_product", product_id, id=990001, sku="FUTURO-1", sku_uppercase="FUTURO-1",
                 updated_at=FUTURE_TS)
    # (d) an orphan foreign key: a line item's product that no table has, with a SKU nobody knows (a
    # known SKU would take that SKU's member instead: one SKU, one member)
    con.execute("update oro_order_line_item set product_id = 987654, product_sku = 'SIN-CATALOGO-1', updated_at = ? "
                "where id = ?", (stamp, line_id))
    con.commit()
    con.close()
    proc = proj.run("run", expect=None, timeout=900)
    yield proj, proc, {"order_id": order_id, "line_id": line_id}
    proj.close()


def test_faulty_sources_run_goes_on_with_warnings(faulty_run):
    proj, proc, _ = faulty_run
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert "WARNING schema drift: orocommerce.oro_product: column(s) name_uppercase missing" in out
    assert "WARNING schema drift: orocommerce.oro_product: column(s) nueva_columna added in the source" in out
    assert "changed type" not in out
    assert "quarantine: orocommerce.oro_customer_group: 1 clave primaria nula" in out
    assert "quarantine: orocommerce.oro_order: 1 json invalido" in out
    assert "quarantine: orocommerce.oro_product: 1 cursor en el futuro" in out
    m = _latest_metrics(proj)
    assert m["status"] == "success"
    assert any(w.startswith("schema drift: orocommerce.oro_product") for w in m["warnings"])
    assert m["quarantine"]["raw_orocommerce.oro_customer_group"] == {sql_tables.NULL_KEY: 1}
    assert m["records_quarantined"] == 3
    (warnings_json,) = proj.warehouse_query(f"select warnings_json from audit.etl_runs where run_id = '{m['run_id']}'")[0]
    assert "name_uppercase" in warnings_json


def test_faulty_sources_data_at_each_layer(faulty_run):
    proj, proc, ids = faulty_run
    assert proc.returncode == 0
    q = proj.warehouse_query
    # the dropped column: the rows read after the drop have a null there, never the column's own name
    # (rows not changed since keep the value they had when the column existed)
    assert q("select count(*) from raw_orocommerce.oro_product where name_uppercase = 'name_uppercase'")[0][0] == 0
    assert q("select nombre_mayusculas from staging.stg_orocommerce__products where sku = 'FUTURO-1'") == [(None,)]
    # the null-key row is in the quarantine, not in raw
    rows = q("select _tabla, _motivo, _accion, _fila from raw_orocommerce._cuarentena order by _tabla")
    assert {(r[0], r[1]) for r in rows} == {("oro_customer_group", sql_tables.NULL_KEY),
                                          ("oro_order", sql_tables.BAD_JSON),
                                          ("oro_product", sql_tables.FUTURE)}
    assert q("select count(*) from raw_orocommerce.oro_customer_group where id is null")[0][0] == 0
    assert q("select count(*) from raw_orocommerce.oro_customer_group where name = 'Grupo sin id'")[0][0] == 0
    # unparseable serialized_data: the order is kept, its enums are null
    (estado, datos), = q(f"select estado_interno, datos_serializados from staging.stg_orocommerce__orders "
                         f"where orden_id = {ids['order_id']}")
    assert estado is None and datos is None
    assert q(f"select count(*) from dw.fact_ventas where numero_documento is not null")[0][0] > 0
    # the future row is loaded (kept, reported)
    assert q("select count(*) from staging.stg_orocommerce__products where sku = 'FUTURO-1'")[0][0] == 1
    # the orphan product id becomes an inferred member the fact line points to
    (pid,) = q("select producto_id from dw.dim_producto where producto_id like 'AUTO_%987654%'")[0]
    assert pid
    assert q("select count(*) from dw.fact_ventas f join dw.dim_producto p on p.producto_key = f.producto_key "
             "where p.producto_id like 'AUTO_%987654%'")[0][0] >= 1


def test_faulty_sources_next_run_still_reads_changes_after_the_future_row(faulty_run):
    proj, proc, _ = faulty_run
    assert proc.returncode == 0
    con = _sqlite(proj)
    con.execute("update oro_product set name = 'Renombrado', updated_at = '2026-12-01 08:00:00' "
                "where id = (select min(id) from oro_product)")
    con.commit()
    con.close()
    proj.run("ingest", "--sources", "orocommerce", timeout=300)
    assert proj.warehouse_query("select count(*) from raw_orocommerce.oro_product where name = 'Renombrado'")[0][0] == 1
    # the quarantine is merged: the future row seen again is still one row
    assert proj.warehouse_query("select count(*) from raw_orocommerce._cuarentena "
                                f"where _motivo = '{sql_tables.FUTURE}'")[0][0] == 1


def test_dropped_column_on_a_postgres_source_and_warehouse(tmp_path):
    require_pg()
    proj = EtlProject(tmp_path, "postgres")
    try:
        proj.generate(scale=0.1)
        proj.run("ingest", "--sources", "orocommerce", timeout=300)  # raw.name_uppercase created NOT NULL
        db = proj.urls["orocommerce"].rsplit("/", 1)[1]
        pg_admin("alter table oro_product drop column name_uppercase; "
                 "update oro_product set updated_at = updated_at + interval '1 second'", dbname=db)
        proc = proj.run("run", "--sources", "orocommerce", "--select", "stg_orocommerce__products", timeout=600)
        assert "WARNING schema drift: orocommerce.oro_product: column(s) name_uppercase missing" in proc.stdout
        n, named = proj.warehouse_query("select count(*), count(nombre_mayusculas) "
                                        "from staging.stg_orocommerce__products")[0]
        assert n > named  # the row re-read after the drop has a typed null there
        assert proj.warehouse_query("select count(*) from raw_orocommerce.oro_product "
                                    "where name_uppercase = 'name_uppercase'")[0][0] == 0
    finally:
        proj.close()


def test_a_table_without_its_cursor_column_is_one_error_and_the_others_load(tmp_path):
    proj = EtlProject(tmp_path, "duckdb")
    proj.generate(scale=0.1)
    proj.run("ingest", "--sources", "orocommerce", timeout=300)
    brands = proj.warehouse_query("select count(*) from raw_orocommerce.oro_brand")[0][0]
    con = _sqlite(proj)
    con.execute("drop index if exists ix_oro_brand_updated_at")
    con.execute("alter table oro_brand drop column updated_at")
    con.execute("update oro_product set name = 'Cambiado', updated_at = '2026-12-01 09:00:00' "
                "where id = (select min(id) from oro_product)")
    con.commit()
    con.close()
    # like an unusable CSV file: an error naming it, the rest loads and the run goes on (exit 1: partial)
    proc = proj.run("ingest", "--sources", "orocommerce", expect=1, timeout=300)
    out = proc.stdout + proc.stderr
    assert "orocommerce.oro_brand" in out and "updated_at" in out and "update cursor" in out
    assert "retrying" not in out
    m = _latest_metrics(proj)
    assert any("oro_brand" in e and "updated_at" in e for e in m["errors"])
    # the table keeps its rows from the last load; the other tables loaded
    assert proj.warehouse_query("select count(*) from raw_orocommerce.oro_brand")[0][0] == brands
    assert proj.warehouse_query("select count(*) from raw_orocommerce.oro_product where name = 'Cambiado'")[0][0] == 1
