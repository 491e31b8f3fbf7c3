"""Least privilege and privacy (issue 9, item 8), proven by one pipeline run on PostgreSQL.

The run reads the sources as a role that may only CONNECT, USAGE and SELECT, and writes the
warehouse as a login role without superuser, CREATEDB or CREATEROLE that owns the warehouse
database and nothing else; each role is refused by the other side's databases. The same run
has ``privacy.mask_pii: true``, a population default holding a quote and ``;``, a project
folder and a POS file whose names hold a quote and ``;``: so it also shows what reaches the
warehouse of each (the masked values, the default as data, the file name as data).
The config-level checks of identifiers (quotes and ``;`` in column names, prefixes, schema
names) are in tests/test_config.py. docs/RELIABILITY.md, section "Privileges and privacy".
"""
from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from conftest import PG, EtlProject, drop_pg_database, pg_admin, pg_url, require_pg
from ingest import catalog

ODD = "o'brien; drop table x; --"          # a name with a quote and a semicolon
PAIS = "Costa d'Marfil; drop table dw.dim_almacen; --"
POS_FILE = f"ventas/transacciones_tienda_{ODD}.csv"
MASKED = re.compile(r"pii_[0-9a-f]{12}")


def _mask(value: str) -> str:
    """The documented shape: `pii_` + the first 12 hex of md5(lower(trim(value)))."""
    return "pii_" + hashlib.md5(value.strip().lower().encode("utf-8")).hexdigest()[:12]


def _refused(role: str, dbname: str, sql: str) -> str:
    """The error PostgreSQL gives `role` for `sql`; fails the test when it is allowed."""
    import psycopg2

    try:
        pg_admin(sql, dbname, user=role)
    except psycopg2.Error as exc:
        return str(exc).strip().splitlines()[0]
    raise AssertionError(f"{role} was allowed to run {sql!r} on {dbname}")


@pytest.fixture(scope="module")
def least(tmp_path_factory):
    require_pg()
    root = tmp_path_factory.mktemp("privilege") / ODD
    root.mkdir()
    project = EtlProject(root, "postgres")
    reader, writer = f"pf_{project.key}_reader", f"pf_{project.key}_dw"
    dw = project.env["DW_DATABASE"]
    sources = [project.urls[s].rsplit("/", 1)[1] for s in ("orocommerce", "orocrm")]
    try:
        project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
        project.generate(scale=0.1)
        inputs = project.tmp / "inputs"
        shutil.move(inputs / "ventas" / "transacciones_tienda.csv", inputs / POS_FILE)
        pg_admin(f"create role {reader} login nosuperuser nocreatedb nocreaterole noinherit")
        pg_admin(f"create role {writer} login nosuperuser nocreatedb nocreaterole noinherit")
        pg_admin(f'alter database "{dw}" owner to {writer}')
        pg_admin(f'revoke all on database "{dw}" from public')
        for db in sources:
            pg_admin(f'revoke all on database "{db}" from public')
            pg_admin(f'grant connect on database "{db}" to {reader}')
            pg_admin(f"revoke all on schema public from public; grant usage on schema public to {reader}; "
                     f"grant select on all tables in schema public to {reader}", dbname=db)
        project.urls = {s: u.replace(f"//{PG['user']}", f"//{reader}", 1) for s, u in project.urls.items()}
        project.env["DW_USER"] = writer
        project.write_config(privacy={"mask_pii": True},
                             population_rules={"defaults": {"estado": "activo", "tipo": "general", "moneda": "USD",
                                                            "pais": PAIS}})
        project.run("run")
        project.roles = {"reader": reader, "writer": writer, "sources": sources}
        yield project
    finally:
        project.close()
        for role in (reader, writer):
            if pg_admin(f"select 1 from pg_roles where rolname = '{role}'"):
                pg_admin(f"drop owned by {role}")
                pg_admin(f"drop role {role}")


def test_pipeline_runs_with_a_read_only_source_role_and_a_non_superuser_warehouse(least):
    reader, writer = least.roles["reader"], least.roles["writer"]
    attrs = pg_admin("select rolname, rolsuper, rolcreatedb, rolcreaterole from pg_roles "
                     f"where rolname in ('{reader}', '{writer}') order by rolname")
    assert [a[1:] for a in attrs] == [(False, False, False)] * 2, attrs
    # the reader really is read-only, the writer really has no business with the sources
    src = least.roles["sources"][0]
    assert "permission denied" in _refused(reader, src, "update oro_product set sku = sku")
    assert "permission denied" in _refused(reader, src, "create table public.pf_x (i int)")
    assert "permission denied" in _refused(writer, src, "select 1")
    assert "permission denied" in _refused(reader, least.env["DW_DATABASE"], "select 1")
    # the run loaded everything, and everything in the warehouse belongs to the writer
    assert least.raw_counts() == least.source_counts()
    owners = least.warehouse_query(
        "select distinct n.nspname, pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n "
        "on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')")
    schemas = {s for s, _ in owners}
    assert {"raw_orocommerce", "raw_orocrm", "raw_csv", "staging", "snapshots", "dw", "audit"} <= schemas, schemas
    assert {o for _, o in owners} == {writer}, owners
    assert least.warehouse_query("select command, status from audit.etl_runs") == [("run", "success")]
    # ANALYZE of the loaded tables ran as the writer (no superuser needed)
    analyzed = least.warehouse_query("select count(*), count(last_analyze) from pg_stat_user_tables "
                                     "where schemaname = 'raw_orocommerce' and relname not like '\\_dlt%'")[0]
    assert analyzed[0] > 0 and analyzed[1] == analyzed[0], analyzed


def _text_values(project, tables: list[str] | None = None) -> dict[tuple[str, str], set[str]]:
    """Every distinct text value of every text column of the dw tables: {(table, column): values}."""
    where = "" if tables is None else " and table_name in (" + ", ".join(f"'{t}'" for t in tables) + ")"
    cols = project.warehouse_query(
        "select table_name, column_name from information_schema.columns where table_schema = 'dw' "
        "and data_type in ('text', 'character varying')" + where + " order by 1, 2")
    return {(t, c): {r[0] for r in project.warehouse_query(f'select distinct "{c}" from dw."{t}"')}
            for t, c in cols}


def test_mask_pii_masks_emails_in_dim_usuario_cliente_and_dim_contacto(least):
    users = least.source_query("orocommerce", "select id, username, email from oro_customer_user")
    contacts = least.source_query("orocrm", "select id, email from orocrm_contact")
    assert users and contacts and all(u[2] for u in users)
    got_users = {r[0]: (r[1], r[2]) for r in least.warehouse_query(
        "select usuario_cliente_id, nombre_usuario, email from dw.dim_usuario_cliente "
        "where not es_inferido and usuario_cliente_id <> 'N/D'")}
    assert got_users == {str(i): (_mask(u) if u else "N/D", _mask(e) if e else "N/D") for i, u, e in users}
    got_contacts = dict(least.warehouse_query(
        "select contacto_id, email from dw.dim_contacto where not es_inferido and contacto_id <> 'N/D'"))
    assert got_contacts == {str(i): _mask(e) if e else "N/D" for i, e in contacts}
    # the shape: every email-like column is `pii_` + 12 hex or N/D; one mask per distinct address
    for table, column in (("dim_usuario_cliente", "email"), ("dim_usuario_cliente", "nombre_usuario"),
                          ("dim_contacto", "email")):
        values = {r[0] for r in least.warehouse_query(f"select distinct {column} from dw.{table}")}
        assert all(MASKED.fullmatch(v) or v == "N/D" for v in values), (table, column, sorted(values)[:5])
    assert len(set(got_contacts.values()) - {"N/D"}) == len({e.strip().lower() for _, e in contacts if e})
    # no address in clear anywhere in the two dimensions, nor any customer's or contact's in dw at all
    for (table, column), values in _text_values(least, ["dim_usuario_cliente", "dim_contacto"]).items():
        assert not [v for v in values if v and "@" in v], (table, column)
    personal = ({u.strip().lower() for _, u, _ in users if u} | {e.strip().lower() for _, _, e in users if e}
                | {e.strip().lower() for _, e in contacts if e})
    leaks = {(t, c): len(personal & {v.strip().lower() for v in vs if v})
             for (t, c), vs in _text_values(least).items()}
    assert not {k: n for k, n in leaks.items() if n}, "customer or contact emails in clear in dw"


def test_no_phone_reaches_dw(least):
    """mask_pii has no phone to mask: phones are loaded to raw and staging only (docs say so)."""
    columns = least.warehouse_query("select table_name, column_name from information_schema.columns "
                                    "where table_schema = 'dw'")
    assert not [c for c in columns if re.search(r"phone|tel[eé]fono|movil|celular", c[1])], columns
    with_phone = [t for t in catalog.tables() if "phone" in t.column_names]
    assert len(with_phone) >= 4, with_phone
    phones = {r[0].strip() for r in least.warehouse_query(" union ".join(
        f"select phone from raw_{t.system}.{t.name} where phone is not null" for t in with_phone))}
    assert phones, "the demo has phones in the sources: the check below must have something to find"
    found = {k: vs & phones for k, vs in _text_values(least).items() if vs & phones}
    assert not found, found


def test_quoted_config_values_and_file_names_reach_the_warehouse_as_data(least):
    # a population default with a quote and `;`: written as a literal, not run
    stores = least.warehouse_query("select distinct pais from dw.dim_almacen where not es_inferido "
                                   "and almacen_id <> 'N/D'")
    assert stores == [(PAIS,)]
    assert least.warehouse_query("select count(*) from dw.dim_almacen")[0][0] > 1, "the table is still there"
    filled = least.warehouse_query("select filas_pobladas from audit.audit_poblacion "
                                   "where columna = 'pais' and regla = 'valor_por_defecto'")
    assert filled and sum(r[0] for r in filled) > 0
    # a POS file (and the project folder) named with a quote and `;`: every line is loaded and sold
    lines = sum(1 for _ in (least.tmp / "inputs" / POS_FILE).open("rb")) - 1
    assert least.warehouse_query("select _source_file, count(*) from raw_csv.transacciones_tienda "
                                 "group by 1") == [(POS_FILE, lines)]
    literal = "'" + POS_FILE.replace("'", "''") + "'"
    staged = least.warehouse_query(f"select count(*) from staging.stg_csv__transacciones_tienda "
                                   f"where _source_file = {literal}")[0][0]
    assert staged > 0.9 * lines
    assert least.warehouse_query("select count(*) from dw.fact_ventas where origen = 'tienda'")[0][0] == staged


def test_a_source_schema_set_in_the_url_is_the_one_every_reader_connection_uses(tmp_path):
    """`?options=-c search_path=oro` in a source URL (Oro's tables outside `public`, for a role that
    may use only that schema): the column check, the slices and the fingerprint all read `oro`, with
    the reader's timeout and read-only transactions still set. Before, the slices and fingerprints
    replaced the URL's options with their own and read `public`."""
    from ingest.sources.sql_tables import PostgresReader

    require_pg()
    db = f"pf_{tmp_path.name[-8:].replace('-', '_')}_schema".lower()
    table = catalog.TABLES["orocommerce.oro_product_unit"]
    pg_admin(f'drop database if exists "{db}"')
    pg_admin(f'create database "{db}"')
    try:
        pg_admin("create schema oro; "
                 "create table oro.oro_product_unit (code varchar(255) primary key, default_precision integer); "
                 "insert into oro.oro_product_unit values ('item', 0), ('kg', 3); "
                 "create table public.oro_product_unit (code varchar(255) primary key, default_precision integer); "
                 "insert into public.oro_product_unit values ('decoy', 9)", dbname=db)
        from urllib.parse import quote

        reader = PostgresReader(f"{pg_url(db)}?options={quote('-c search_path=oro')}", 10)
        assert reader.check_columns(table).missing == ()
        assert sorted(reader.read(table, None, 100).column("code").to_pylist()) == ["item", "kg"]
        assert reader.fingerprint(table).startswith("postgres:2:")
        con = reader._connect()
        try:
            with con.cursor() as cur:
                cur.execute("select current_setting('search_path'), current_setting('transaction_read_only')")
                assert cur.fetchone() == ("oro", "on")
        finally:
            con.close()
    finally:
        drop_pg_database(db)
