"""The demo data generator (ingest.demo): schema contract, manifest truth, determinism,
scale, evolve. PostgreSQL tests need a server on 127.0.0.1:5432 (user postgres, trust);
they are skipped when none answers, unless CI=true (then they fail)."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import sqlite3
import uuid
from collections import Counter
from pathlib import Path

import pytest

from ingest import catalog
from ingest.demo import DemoTarget, evolve, generate
from ingest.demo import csvfiles
from ingest.demo import reference as ref

SCALE, SEED = 0.2, 7
PG_SCALE = 0.1   # with SEED, evolve step 1 settles a payment: boolean updates run on PostgreSQL
SYSTEMS = ("orocommerce", "orocrm")
TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def db_path(target: DemoTarget, system: str) -> str:
    return target.commerce if system == "orocommerce" else target.crm


def connect(target: DemoTarget, system: str) -> sqlite3.Connection:
    return sqlite3.connect(db_path(target, system))


def scalar(con, sql: str, params=()):
    return con.execute(sql, params).fetchone()[0]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    target = DemoTarget.sqlite(tmp_path_factory.mktemp("demo"))
    manifest = generate(target, scale=SCALE, seed=SEED)
    return target, manifest


def table_counts(target: DemoTarget) -> dict:
    out = {}
    for system in SYSTEMS:
        con = connect(target, system)
        out[system] = {t.name: scalar(con, f'SELECT COUNT(*) FROM "{t.name}"') for t in catalog.tables(system)}
        con.close()
    return out


# ---------------------------------------------------------------- schema
def test_sqlite_tables_match_catalog(demo):
    target, _ = demo
    for system in SYSTEMS:
        con = connect(target, system)
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert names == {t.name for t in catalog.tables(system)}
        for t in catalog.tables(system):
            info = con.execute(f'PRAGMA table_info("{t.name}")').fetchall()
            assert [r[1] for r in info] == t.column_names, t.name
            assert [r[2].lower() for r in info] == [catalog.sqlite_type(c.type) for c in t.columns], t.name
            assert [bool(r[3]) for r in info] == [not c.nullable for c in t.columns], t.name
            pk = [r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])]
            assert pk == list(t.primary_key), t.name
            indexes = [r[1] for r in con.execute(f'PRAGMA index_list("{t.name}")')]
            keyed = [[c[2] for c in con.execute(f'PRAGMA index_info("{i}")')] for i in indexes]
            if t.cursor:
                assert [t.cursor, *t.primary_key] in keyed, f"{t.name}: no index on (cursor, pk)"
        con.close()


def test_csv_headers_exact(demo):
    target, _ = demo
    inputs = Path(target.inputs_dir)
    expected = {
        "ventas/estados_orden.csv": "codigo,nombre,descripcion,es_final,orden",
        "ventas/transacciones_tienda.csv": "ticket,linea,fecha_hora,sucursal,sku,cantidad,precio,descuento,moneda,"
                                           "metodo_pago,cliente_codigo",
        "ventas/metas_ventas.csv": "mes,canal,empleado_email,sucursal,monto_meta,moneda",
        "catalogo/productos_erp.csv": "codigo,nombre,costo_unitario,marca,estado",
        "maestros/sucursales.csv": "codigo,nombre,tipo,ciudad,departamento",
        "maestros/tipos_cambio.csv": "fecha,moneda,tasa_usd",
    }
    for name, header in expected.items():
        raw = (inputs / name).read_bytes()
        assert raw.startswith(header.encode() + b"\n"), name
        assert b"\r" not in raw and raw.endswith(b"\n"), name
        raw.decode("utf-8")


# ---------------------------------------------------------------- manifest is the truth
def test_manifest_row_counts_match_databases(demo):
    target, manifest = demo
    assert manifest["seed"] == SEED and manifest["scale"] == SCALE
    assert json.loads(target.manifest_path.read_text(encoding="utf-8")) == manifest
    assert manifest["tables"] == table_counts(target)
    assert manifest["totals"]["orocommerce"] == sum(manifest["tables"]["orocommerce"].values())


def commerce_dirt(con) -> dict:
    q = lambda sql: scalar(con, sql)  # noqa: E731
    return {
        "oro_order": {
            "customer_id_null": q("SELECT COUNT(*) FROM oro_order WHERE customer_id IS NULL"),
            "customer_user_id_orphan": q("SELECT COUNT(*) FROM oro_order o WHERE customer_user_id IS NOT NULL AND "
                                         "NOT EXISTS (SELECT 1 FROM oro_customer_user u WHERE u.id = o.customer_user_id)"),
        },
        "oro_order_line_item": {
            "product_id_null": q("SELECT COUNT(*) FROM oro_order_line_item WHERE product_id IS NULL"),
            "product_id_orphan": q("SELECT COUNT(*) FROM oro_order_line_item l WHERE product_id IS NOT NULL AND "
                                   "NOT EXISTS (SELECT 1 FROM oro_product p WHERE p.id = l.product_id)"),
        },
        "oro_payment_transaction": {
            "entity_identifier_orphan": q("SELECT COUNT(*) FROM oro_payment_transaction t WHERE NOT EXISTS "
                                          "(SELECT 1 FROM oro_order o WHERE o.id = t.entity_identifier)"),
        },
        "oro_customer": {"group_id_null": q("SELECT COUNT(*) FROM oro_customer WHERE group_id IS NULL")},
        "oro_product": {"brand_id_null": q("SELECT COUNT(*) FROM oro_product WHERE brand_id IS NULL")},
    }


def test_manifest_dirt_matches_databases(demo):
    target, manifest = demo
    con = connect(target, "orocommerce")
    assert manifest["dirt"]["orocommerce"] == commerce_dirt(con)
    # nothing else is broken: every other reference resolves
    for sql in ["SELECT COUNT(*) FROM oro_order_line_items k WHERE NOT EXISTS (SELECT 1 FROM oro_order o WHERE o.id = k.order_id)",
                "SELECT COUNT(*) FROM oro_order_line_items k WHERE NOT EXISTS (SELECT 1 FROM oro_order_line_item l WHERE l.id = k.line_item_id)",
                "SELECT COUNT(*) FROM oro_order_line_item l WHERE NOT EXISTS (SELECT 1 FROM oro_order_line_items k WHERE k.line_item_id = l.id)",
                "SELECT COUNT(*) FROM oro_order o WHERE NOT EXISTS (SELECT 1 FROM oro_order_address a WHERE a.id = o.billing_address_id)",
                "SELECT COUNT(*) FROM oro_order o WHERE customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM oro_customer c WHERE c.id = o.customer_id)",
                "SELECT COUNT(*) FROM oro_payment_status s WHERE NOT EXISTS (SELECT 1 FROM oro_order o WHERE o.id = s.entity_identifier)",
                "SELECT COUNT(*) FROM oro_product p WHERE NOT EXISTS (SELECT 1 FROM oro_product_unit_precision u WHERE u.id = p.primary_unit_precision_id)"]:
        assert scalar(con, sql) == 0, sql
    con.close()
    crm = connect(target, "orocrm")
    crm.execute("ATTACH DATABASE ? AS com", (target.commerce,))
    assert manifest["dirt"]["orocrm"] == {
        "orocrm_sales_customer": {"customer_e197f906_id_orphan": scalar(
            crm, "SELECT COUNT(*) FROM orocrm_sales_customer s WHERE customer_e197f906_id IS NOT NULL AND NOT EXISTS "
                 "(SELECT 1 FROM com.oro_customer c WHERE c.id = s.customer_e197f906_id)")},
        "orocrm_sales_opportunity": {"customer_association_id_null": scalar(
            crm, "SELECT COUNT(*) FROM orocrm_sales_opportunity WHERE customer_association_id IS NULL")},
    }
    # CRM user ids are Commerce oro_user ids; associations resolve
    for sql in ["SELECT COUNT(*) FROM orocrm_sales_opportunity o WHERE user_owner_id NOT IN (SELECT id FROM com.oro_user)",
                "SELECT COUNT(*) FROM orocrm_account a WHERE user_owner_id NOT IN (SELECT id FROM com.oro_user)",
                "SELECT COUNT(*) FROM orocrm_sales_opportunity o WHERE customer_association_id IS NOT NULL AND "
                "customer_association_id NOT IN (SELECT id FROM orocrm_sales_customer)"]:
        assert scalar(crm, sql) == 0, sql
    crm.close()
    dirty = [n for per in manifest["dirt"].values() for kinds in per.values() for n in kinds.values()]
    assert sum(dirty) > 20


def test_tax_values_are_oros_results(demo):
    """oro_tax_value as Oro writes it (docs/DEMO_DATA.md, Taxes): one result per order and per
    line, amounts as 2-decimal text; a row's tax is its IVA-inclusive total minus that total
    without IVA (13 % for El Salvador, 0 elsewhere or when exempt); an order's total tax is the
    sum of its rows'; 2 % of orders have no tax rows at all."""
    from decimal import Decimal

    target, _manifest = demo
    con = connect(target, "orocommerce")
    values = {(c.rsplit("\\", 1)[1], i): json.loads(r)
              for c, i, r in con.execute("SELECT entity_class, entity_id, result FROM oro_tax_value")}
    assert len(values) == scalar(con, "SELECT COUNT(*) FROM oro_tax_value"), "one tax value per entity"
    lines = con.execute(
        "SELECT k.order_id, l.id, l.value, l.quantity, a.country_code FROM oro_order_line_item l "
        "JOIN oro_order_line_items k ON k.line_item_id = l.id JOIN oro_order o ON o.id = k.order_id "
        "JOIN oro_order_address a ON a.id = o.shipping_address_id").fetchall()
    row_tax: Counter = Counter()
    rates = Counter()
    for oid, lid, value, qty, country in lines:
        line = values.get(("OrderLineItem", lid))
        if ("Order", oid) not in values:
            assert line is None, f"line {lid} has a tax value, its order {oid} none"
            continue
        row = line["row"]
        total = Decimal(str(round(value * qty, 2))).quantize(Decimal("0.01"))
        assert Decimal(row["includingTax"]) == total, (lid, row, total)   # prices include tax
        assert re.fullmatch(r"-?\d+\.\d\d", row["taxAmount"]), row
        rate = Decimal(line["taxes"][0]["rate"]) if line["taxes"] else Decimal(0)
        assert rate == 0 or country == "SV", (lid, country, line["taxes"])
        expected = total - (total / (1 + rate)).quantize(Decimal("0.01"))
        assert abs(Decimal(row["taxAmount"]) - expected) <= Decimal("0.01"), (lid, row, expected)
        row_tax[oid] += Decimal(row["taxAmount"])
        rates[str(rate)] += 1
    orders = {i for kind, i in values if kind == "Order"}
    for oid in orders:
        assert Decimal(values[("Order", oid)]["total"]["taxAmount"]) == row_tax[oid], oid
    n_orders = scalar(con, "SELECT COUNT(*) FROM oro_order")
    without = n_orders - len(orders)
    assert 0 < without < 0.05 * n_orders, "about 2 % of orders have no tax values"
    assert rates["0.13"] > 0.6 * sum(rates.values()) and rates["0"] > 0, rates   # most ship to El Salvador
    con.close()


def test_manifest_csv_counts_match_files(demo):
    target, manifest = demo
    inputs = Path(target.inputs_dir)
    con = connect(target, "orocommerce")
    skus = {r[0] for r in con.execute("SELECT sku FROM oro_product")}
    customers = {r[0] for r in con.execute("SELECT id FROM oro_customer")}
    users = {r[0] for r in con.execute("SELECT email FROM oro_user")}
    products = {r[0]: r[1:] for r in con.execute(
        "SELECT sku, name, COALESCE(b.default_title, '') FROM oro_product p LEFT JOIN oro_brand b ON b.id = p.brand_id")}
    con.close()
    _, stores = read_csv(inputs / csvfiles.STORES_FILE)
    codes = {r[0] for r in stores}

    for name, counts in manifest["csv"].items():
        header, rows = read_csv(inputs / name)
        assert counts["data_lines"] == len(rows), name
        if name != csvfiles.POS_FILE:
            assert counts["malformed_lines"] == counts["duplicate_lines"] == 0
            assert all(len(r) == len(header) for r in rows), name

    # POS lines: malformed, duplicates, dirt, and the shape of clean values
    _, rows = read_csv(inputs / csvfiles.POS_FILE)
    good = [r for r in rows if len(r) == 11]
    seen, dups, unique = set(), 0, []
    for r in good:
        if (r[0], r[1]) in seen:
            dups += 1
        else:
            seen.add((r[0], r[1]))
            unique.append(r)
    pos = manifest["csv"][csvfiles.POS_FILE]
    assert pos["malformed_lines"] == len(rows) - len(good)
    assert pos["duplicate_lines"] == dups
    assert manifest["dirt"]["csv"][csvfiles.POS_FILE] == {
        "unknown_sucursal": sum(r[3] not in codes for r in unique),
        "unknown_sku": sum(r[4] not in skus for r in unique),
        "non_numeric_cantidad": sum(not r[5].isdigit() for r in unique),
        "wrong_field_count": pos["malformed_lines"],
        "duplicate_ticket_linea": dups,
    }
    for r in good:
        assert TS.match(r[2]) and r[8] == "USD"
        assert r[9] in {"efectivo", "tarjeta_credito", "tarjeta_debito", "transferencia"}
        assert r[10] == "" or re.fullmatch(r"T\d{6}", r[10]) or (re.fullmatch(r"C\d{6}", r[10]) and int(r[10][1:]) in customers)
    assert {r[10][:1] for r in good} == {"", "C", "T"}

    # ERP vs Oro
    _, erp = read_csv(inputs / csvfiles.ERP_FILE)
    erp_by_code = {r[0]: r for r in erp}
    listed = [erp_by_code[s] for s in products if s in erp_by_code]
    assert manifest["dirt"]["csv"][csvfiles.ERP_FILE] == {
        "only_in_erp": len(set(erp_by_code) - set(products)),
        "only_in_oro": len(set(products) - set(erp_by_code)),
        "nombre_mismatch": sum(r[1] != products[r[0]][0] for r in listed),
        "marca_mismatch": sum(r[3] != products[r[0]][1] for r in listed),
    }
    assert {r[4] for r in erp} <= {"activo", "inactivo"}

    # order statuses: incomplete on purpose
    _, states = read_csv(inputs / csvfiles.STATUS_FILE)
    missing = sorted(set(ref.ORDER_STATUSES) - {r[0] for r in states})
    assert 1 <= len(missing) <= 2 and missing == sorted(manifest["csv"][csvfiles.STATUS_FILE]["missing_codes"])
    assert manifest["dirt"]["csv"][csvfiles.STATUS_FILE]["empty_descripcion"] == sum(r[2] == "" for r in states) >= 1

    # targets, rates, stores
    _, targets = read_csv(inputs / csvfiles.TARGETS_FILE)
    for mes, canal, email, sucursal, monto, moneda in targets:
        assert re.fullmatch(r"\d{4}-\d{2}-01", mes) and canal in {"web", "tienda", "televentas"}
        assert email == "" or email in users
        assert sucursal == "" or sucursal in codes
        float(monto)
    _, rates = read_csv(inputs / csvfiles.RATES_FILE)
    assert Counter(r[1] for r in rates) == {"EUR": ref.N_DAYS, "GTQ": ref.N_DAYS, "MXN": ref.N_DAYS}
    assert {r[2] for r in stores} == {"tienda", "bodega"} and all(re.fullmatch(r"S\d\d", c) for c in codes)


# ---------------------------------------------------------------- conventions
def test_oro_conventions(demo):
    target, _ = demo
    con = connect(target, "orocommerce")
    for t in catalog.tables("orocommerce"):
        for c in t.columns:
            if c.type.startswith("timestamp"):
                bad = scalar(con, f'SELECT COUNT(*) FROM "{t.name}" WHERE "{c.name}" IS NOT NULL AND '
                                  f'(typeof("{c.name}") != \'text\' OR length("{c.name}") != 19)')
                assert bad == 0, f"{t.name}.{c.name}"
            if c.type == "boolean":
                assert scalar(con, f'SELECT COUNT(*) FROM "{t.name}" WHERE "{c.name}" NOT IN (0, 1)') == 0
    options = {r[0] for r in con.execute("SELECT id FROM oro_enum_option")}
    keys = Counter()
    for table in ("oro_order", "oro_product", "oro_user", "oro_customer_user"):
        for (data,) in con.execute(f"SELECT serialized_data FROM {table} WHERE serialized_data IS NOT NULL"):
            for key, value in json.loads(data).items():
                keys[(table, key)] += 1
                assert value in options, (table, value)
    assert keys[("oro_order", "internal_status")] == keys[("oro_order", "shippingStatus")] == scalar(con, "SELECT COUNT(*) FROM oro_order")
    assert keys[("oro_product", "inventory_status")] and keys[("oro_user", "auth_status")] and keys[("oro_customer_user", "auth_status")]
    assert scalar(con, "SELECT name FROM oro_enum_option WHERE id = 'order_internal_status.open'") == "Open"
    # localized names: a default row equal to oro_product.name, plus a Spanish or a fallback row
    assert scalar(con, "SELECT COUNT(*) FROM oro_product p JOIN oro_product_prod_name n ON n.product_id = p.id "
                       "AND n.localization_id IS NULL AND n.string = p.name") == scalar(con, "SELECT COUNT(*) FROM oro_product")
    spanish = scalar(con, "SELECT COUNT(*) FROM oro_product_prod_name WHERE localization_id = 2 AND string IS NOT NULL")
    fallback = scalar(con, "SELECT COUNT(*) FROM oro_product_prod_name WHERE localization_id = 2 AND string IS NULL AND fallback = 'system'")
    assert spanish > 0 and fallback > 0
    assert scalar(con, "SELECT COUNT(DISTINCT entity_class) FROM oro_payment_transaction") == 1
    assert all(re.fullmatch(r"\d+\.\d{4}", a) for (a,) in con.execute("SELECT amount FROM oro_payment_transaction"))
    assert {r[0] for r in con.execute("SELECT DISTINCT currency FROM oro_order")} <= {"USD", "EUR", "GTQ", "MXN"}
    # the 63 Oro demo products are all there
    assert scalar(con, "SELECT COUNT(*) FROM oro_product WHERE sku IN ('0RT28', 'WLCH1', 'TAG3', 'XS56')") == 4
    lo, hi = con.execute("SELECT MIN(created_at), MAX(updated_at) FROM oro_order").fetchone()
    assert lo >= "2025-11-01" and hi <= "2026-10-31 23:59:59"
    for (pid,) in con.execute("SELECT id FROM oro_price_product"):
        uuid.UUID(pid)
    con.close()


# ---------------------------------------------------------------- determinism and scale
def test_same_seed_same_bytes(demo, tmp_path):
    target, _ = demo
    again = DemoTarget.sqlite(tmp_path / "again")
    generate(again, scale=SCALE, seed=SEED)
    pairs = [(Path(target.commerce), Path(again.commerce)), (Path(target.crm), Path(again.crm))]
    pairs += [(Path(target.inputs_dir) / n, Path(again.inputs_dir) / n) for n in csvfiles.HEADERS]
    for a, b in pairs:
        assert a.read_bytes() == b.read_bytes(), a.name
    other = DemoTarget.sqlite(tmp_path / "other")
    generate(other, scale=SCALE, seed=SEED + 1)
    assert Path(other.commerce).read_bytes() != Path(target.commerce).read_bytes()


def test_scale_is_linear(demo, tmp_path):
    target, small = demo
    big = generate(DemoTarget.sqlite(tmp_path / "big"), scale=2 * SCALE, seed=SEED)
    c_small, c_big = small["tables"]["orocommerce"], big["tables"]["orocommerce"]
    assert c_big["oro_order"] == 2 * c_small["oro_order"] == 800
    for table in ("oro_order_line_item", "oro_order_address", "oro_payment_transaction", "oro_customer"):
        assert 1.8 <= c_big[table] / c_small[table] <= 2.2, table
    assert c_big["oro_dictionary_country"] == c_small["oro_dictionary_country"]
    pos_small = small["csv"][csvfiles.POS_FILE]["data_lines"]
    assert 1.8 <= big["csv"][csvfiles.POS_FILE]["data_lines"] / pos_small <= 2.2
    assert c_small["oro_product"] == 63   # the Oro demo catalog; variants are added above scale 1
    assert generate(DemoTarget.sqlite(tmp_path / "s2"), scale=2, seed=1)["tables"]["orocommerce"]["oro_product"] == 126


# ---------------------------------------------------------------- evolve
def cursor_state(target: DemoTarget) -> dict:
    state = {}
    for system in SYSTEMS:
        con = connect(target, system)
        for t in catalog.tables(system):
            state[(system, t.name)] = (scalar(con, f'SELECT COUNT(*) FROM "{t.name}"'),
                                       scalar(con, f'SELECT MAX("{t.cursor}") FROM "{t.name}"') if t.cursor else None)
        con.close()
    return state


def check_step(target: DemoTarget, before: dict, changes: dict) -> None:
    day_start = changes["day"] + " 00:00:00"
    for system in SYSTEMS:
        con = connect(target, system)
        inserted, updated = changes["inserted"][system], changes["updated"][system]
        for t in catalog.tables(system):
            count, old_max = before[(system, t.name)]
            gone = len(changes["deleted"][system].get(t.name, []))
            assert scalar(con, f'SELECT COUNT(*) FROM "{t.name}"') - count == inserted.get(t.name, 0) - gone, t.name
            if t.cursor:
                newer = scalar(con, f'SELECT COUNT(*) FROM "{t.name}" WHERE "{t.cursor}" > ?', (old_max,))
                assert newer == inserted.get(t.name, 0) + updated.get(t.name, 0), t.name
                if newer:
                    assert scalar(con, f'SELECT MIN("{t.cursor}") FROM "{t.name}" WHERE "{t.cursor}" > ?',
                                  (old_max,)) >= day_start, t.name
        con.close()


def test_evolve_steps(demo, tmp_path):
    source, _ = demo
    base = tmp_path / "ev"
    shutil.copytree(Path(source.commerce).parents[1], base)
    target = DemoTarget.sqlite(base)
    inputs = Path(target.inputs_dir)
    pos_before = len(read_csv(inputs / csvfiles.POS_FILE)[1])
    rates_before = len(read_csv(inputs / csvfiles.RATES_FILE)[1])

    before = cursor_state(target)
    con = connect(target, "orocommerce")
    last_order = scalar(con, "SELECT MAX(id) FROM oro_order")
    con.close()
    first = evolve(target, step=1, seed=SEED)
    assert first["day"] == "2026-11-01" and first["late"]["oro_order"] >= 1
    assert first["inserted"]["orocommerce"]["oro_order"] >= 2 and first["updated"]["orocommerce"]["oro_order"] >= 1
    assert first["updated"]["orocommerce"]["oro_product"] >= 1 and first["updated"]["orocommerce"]["oro_customer"] >= 1
    assert first["inserted"]["orocommerce"]["oro_customer"] >= 1 and first["inserted"]["orocrm"]["orocrm_sales_opportunity"] >= 1
    assert first["updated"]["orocrm"]["orocrm_sales_opportunity"] >= 1
    # deletes: whole orders with their lines (never a single line: the orders left add up), payments, opportunities
    deleted = first["deleted"]
    assert len(deleted["orocommerce"]["oro_order"]) == 2 and len(deleted["orocrm"]["orocrm_sales_opportunity"]) == 2
    assert len(deleted["orocommerce"]["oro_order_line_item"]) >= 2 * 2
    assert len(deleted["orocommerce"]["oro_payment_transaction"]) >= 3
    check_step(target, before, first)
    con = connect(target, "orocommerce")
    late = scalar(con, "SELECT COUNT(*) FROM oro_order WHERE created_at < '2026-11-01' AND updated_at >= '2026-11-01' "
                       "AND id > ?", (last_order,))
    assert late == first["late"]["oro_order"]
    con.close()

    daily = inputs / "ventas/transacciones_tienda_20261101.csv"
    header, rows = read_csv(daily)
    assert header == csvfiles.HEADERS[csvfiles.POS_FILE]
    assert len(rows) == first["csv"]["ventas/transacciones_tienda_20261101.csv"] >= 1
    assert all(r[2].startswith("2026-11-01") for r in rows)
    appended = read_csv(inputs / csvfiles.POS_FILE)[1][pos_before:]
    assert len(appended) == first["csv"][csvfiles.POS_FILE] >= 1
    assert all(r[2] < "2026-11-01" for r in appended)   # late tickets
    assert not {r[0] for r in appended} & {r[0] for r in rows}
    assert len(read_csv(inputs / csvfiles.RATES_FILE)[1]) == rates_before + 3

    before = cursor_state(target)
    second = evolve(target, step=2, seed=SEED)
    check_step(target, before, second)
    manifest = json.loads(target.manifest_path.read_text(encoding="utf-8"))
    assert [e["step"] for e in manifest["evolve"]] == [1, 2]
    assert manifest["tables"] == table_counts(target)
    for name, entry in manifest["csv"].items():
        assert entry["data_lines"] == len(read_csv(inputs / name)[1]), name
    with pytest.raises(ValueError):
        evolve(target, step=2, seed=SEED)

    # deterministic: the same step on another copy gives the same bytes
    twin = tmp_path / "twin"
    shutil.copytree(Path(source.commerce).parents[1], twin)
    twin_target = DemoTarget.sqlite(twin)
    evolve(twin_target, step=1, seed=SEED)
    evolve(twin_target, step=2, seed=SEED)
    assert Path(twin_target.commerce).read_bytes() == Path(target.commerce).read_bytes()
    assert Path(twin_target.crm).read_bytes() == Path(target.crm).read_bytes()
    assert (twin / "inputs" / csvfiles.POS_FILE).read_bytes() == (inputs / csvfiles.POS_FILE).read_bytes()


# ---------------------------------------------------------------- PostgreSQL
def _pg_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    if not _pg_up():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL is not answering on 127.0.0.1:5432 and CI=true")
        pytest.skip("no PostgreSQL server answering on 127.0.0.1:5432 (start one to run these tests)")
    from ingest.demo.sinks import drop_database

    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    base = tmp_path_factory.mktemp("pgdemo")
    target = DemoTarget.postgres("127.0.0.1", 5432, "postgres", None, commerce_db=f"demo_test_com_{suffix}",
                                 crm_db=f"demo_test_crm_{suffix}", inputs_dir=base / "inputs")
    try:
        manifest = generate(target, scale=PG_SCALE, seed=SEED)
        yield target, manifest
    finally:
        drop_database(target.commerce)
        drop_database(target.crm)


def _pg_type(t: str) -> str:
    t = t.lower()
    if t.startswith("varchar("):
        return "character varying" + t[len("varchar"):]
    if t == "timestamp(0)":
        return "timestamp(0) without time zone"
    return t


def test_postgres_tables_match_catalog(pg):
    import psycopg2

    target, manifest = pg
    assert target.manifest_path == Path(target.inputs_dir).parent / "demo" / "manifest.json"
    for system in SYSTEMS:
        con = psycopg2.connect(db_path(target, system))
        cur = con.cursor()
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert {r[0] for r in cur.fetchall()} == {t.name for t in catalog.tables(system)}
        for t in catalog.tables(system):
            cur.execute("SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a "
                        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                        (f'public."{t.name}"',))
            assert cur.fetchall() == [(c.name, _pg_type(c.type), not c.nullable) for c in t.columns], t.name
            cur.execute("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
                        "ORDER BY array_position(i.indkey, a.attnum)", (f'public."{t.name}"',))
            assert [r[0] for r in cur.fetchall()] == list(t.primary_key), t.name
            if t.cursor:
                cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", (t.name,))
                keys = ", ".join([t.cursor, *t.primary_key])
                assert any(keys in d.replace('"', "") for (d,) in cur.fetchall()), t.name
            cur.execute(f'SELECT COUNT(*) FROM "{t.name}"')
            assert cur.fetchone()[0] == manifest["tables"][system][t.name], t.name
        con.close()


def test_postgres_same_data_as_sqlite_and_evolves(pg, tmp_path):
    import psycopg2

    target, manifest = pg
    lite = DemoTarget.sqlite(tmp_path / "lite")
    assert generate(lite, scale=PG_SCALE, seed=SEED)["tables"] == manifest["tables"]
    pcon = psycopg2.connect(target.commerce)
    cur = pcon.cursor()
    cur.execute("SELECT SUM(total_value), MAX(updated_at)::text, COUNT(DISTINCT serialized_data) FROM oro_order")
    pg_row = cur.fetchone()
    cur.execute("SELECT amount, entity_class FROM oro_payment_transaction ORDER BY id LIMIT 1")
    pg_tx = cur.fetchone()
    pcon.close()
    scon = connect(lite, "orocommerce")
    s_row = scon.execute("SELECT SUM(total_value), MAX(updated_at), COUNT(DISTINCT serialized_data) FROM oro_order").fetchone()
    assert abs(float(pg_row[0]) - s_row[0]) < 0.01 and pg_row[1:] == s_row[1:]
    assert pg_tx == scon.execute("SELECT amount, entity_class FROM oro_payment_transaction ORDER BY id LIMIT 1").fetchone()
    scon.close()
    assert (Path(target.inputs_dir) / csvfiles.POS_FILE).read_bytes() == (Path(lite.inputs_dir) / csvfiles.POS_FILE).read_bytes()

    pg_step = evolve(target, step=1, seed=SEED)
    lite_step = evolve(lite, step=1, seed=SEED)
    assert pg_step == lite_step
    assert pg_step["updated"]["orocommerce"]["oro_payment_transaction"] >= 1
    for system in SYSTEMS:
        pcon = psycopg2.connect(db_path(target, system))
        cur = pcon.cursor()
        for t in catalog.tables(system):
            if t.cursor:
                cur.execute(f'SELECT COUNT(*) FROM "{t.name}" WHERE "{t.cursor}" >= \'2026-11-01\'')
                assert cur.fetchone()[0] == (pg_step["inserted"][system].get(t.name, 0)
                                             + pg_step["updated"][system].get(t.name, 0)), t.name
        pcon.close()
