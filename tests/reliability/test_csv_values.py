"""Bad VALUES in well-formed CSV lines (the dbt staging side): the warehouse still builds.

One throwaway project per warehouse (module scope: DuckDB, then PostgreSQL): demo sources at a
small scale, then every case below writes its lines into the CSV inputs, and one real
`run_etl.py run` builds the warehouse. The cases (file, content, expected reason):

  POS lines (ventas/transacciones_tienda*.csv)
    impossible dates 2026-02-30, 31/13/2026, 2026-04-31 (+ 2026-02-29, 2026-06-31)  fecha inválida: <text>
    a negative price / a negative discount                               precio negativo / descuento negativo
    a negative quantity                                                  kept: a return, negative amounts
    an identical repeated line, in a second POS file                     duplicado
    the same ticket and line with another quantity                       duplicado con valores distintos
  exchange rates (maestros/tipos_cambio.csv)
    two impossible EUR dates; a rate of 0 and a negative rate            fecha inválida / tasa_usd <= 0
    an identical repeated day, a repeated day with another rate          duplicado / ... con valores distintos
  targets, ERP products, stores, statuses: a negative target, a negative cost, repeated keys.

Checks: exit 0; dw.fact_ventas holds exactly the good POS lines and its POS net total equals a
recomputation of the good lines here, in Python, from the files (no SQL shared with the
models); every bad line is in staging.stg_csv__rechazos with its file, line and reason; for
every CSV raw table good + rejected + duplicates = raw lines; the dbt test that checks that
invariant passes, and fails once a staging view drops a line.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT, EtlProject

SCALE = 0.2
POS = "ventas/transacciones_tienda.csv"
POS_2 = "ventas/transacciones_tienda_20261101.csv"   # a later store export
RATES = "maestros/tipos_cambio.csv"
TARGETS = "ventas/metas_ventas.csv"
ERP = "catalogo/productos_erp.csv"
STORES = "maestros/sucursales.csv"
STATUSES = "ventas/estados_orden.csv"
CSV_TABLES = ["estados_orden", "transacciones_tienda", "metas_ventas", "productos_erp", "sucursales",
              "tipos_cambio"]
CENT = Decimal("0.01")


# ---------------------------------------------------------------- the cases, written into the inputs
class Inputs:
    """Appends lines to the CSV inputs and remembers what each bad line must become."""

    def __init__(self, root: Path):
        self.root = root
        self.expected: dict[tuple[str, int], str] = {}   # (file, line) -> reason

    def rows(self, name: str) -> list[list[str]]:
        with (self.root / name).open(encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))[1:]

    def append(self, name: str, fields: list[str], reason: str | None = None, header: list[str] | None = None):
        path = self.root / name
        if not path.exists():
            path.write_text(",".join(header) + "\n", encoding="utf-8")
        with path.open("rb") as fh:
            line = sum(1 for _ in fh) + 1
        with path.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerow(fields)
        if reason is not None:
            self.expected[(name, line)] = reason
        return line


def _pos_case(inputs: Inputs) -> dict:
    header = ["ticket", "linea", "fecha_hora", "sucursal", "sku", "cantidad", "precio", "descuento", "moneda",
              "metodo_pago", "cliente_codigo"]
    clean = next(r for r in inputs.rows(POS) if len(r) == 11 and r[5].isdigit() and r[7] == "0.00")
    sku, price = clean[4], clean[6]

    def line(ticket, fecha="2026-03-02 10:00:00", cantidad="1", precio=price, descuento="0.00"):
        return [str(ticket), "1", fecha, "S01", sku, cantidad, precio, descuento, "USD", "efectivo", ""]

    for i, fecha in enumerate(["2026-02-30 11:00:00", "31/13/2026 11:00:00", "2026-04-31 11:00:00",
                               "2026-02-29 11:00:00", "2026-06-31"]):
        inputs.append(POS, line(9_000_001 + i, fecha=fecha), f"fecha inválida: {fecha}")
    inputs.append(POS, line(9_000_011, precio="-" + price), "precio negativo")
    inputs.append(POS, line(9_000_012, descuento="-1.00"), "descuento negativo")
    inputs.append(POS, line(9_000_013, precio="-1.00"), "precio negativo")
    ret = inputs.append(POS, line(9_000_021, cantidad="-2", descuento="0.50"))   # a return: kept
    conflicting = list(clean)
    conflicting[5] = str(int(clean[5]) + 3)
    inputs.append(POS, conflicting, "duplicado con valores distintos")
    inputs.append(POS_2, list(clean), "duplicado", header=header)   # re-sent the next day, identical
    inputs.append(POS_2, line(9_000_031, fecha="2026-11-01 09:00:00"))   # a good line of the new file
    return {"return_line": (POS, ret), "kept": clean}


def _rates_case(inputs: Inputs) -> dict:
    first = inputs.rows(RATES)[0]   # e.g. 2025-11-01,EUR,1.157000
    inputs.append(RATES, ["2026-02-30", "EUR", "1.10"], "fecha inválida: 2026-02-30")
    inputs.append(RATES, ["2026-02-31", "EUR", "1.11"], "fecha inválida: 2026-02-31")
    inputs.append(RATES, ["2027-06-01", "EUR", "0"], "tasa_usd <= 0")
    inputs.append(RATES, ["2027-06-02", "GTQ", "-0.13"], "tasa_usd <= 0")
    inputs.append(RATES, list(first), "duplicado")
    inputs.append(RATES, [first[0], first[1], "9.99"], "duplicado con valores distintos")
    return {"first": first}


def _other_cases(inputs: Inputs) -> None:
    target = inputs.rows(TARGETS)[0]
    inputs.append(TARGETS, ["2027-01-01", "tienda", "", "S01", "-100.00", "USD"], "monto_meta negativo")
    inputs.append(TARGETS, list(target), "duplicado")
    erp = inputs.rows(ERP)[0]
    inputs.append(ERP, ["ZZ-NEG-1", "Producto de prueba", "-3.00", "Marca", "activo"], "costo_unitario negativo")
    inputs.append(ERP, [erp[0], erp[1], "999.00", erp[3], erp[4]], "duplicado con valores distintos")
    inputs.append(STORES, list(inputs.rows(STORES)[0]), "duplicado")
    status = inputs.rows(STATUSES)[0]
    inputs.append(STATUSES, [status[0], "Otro nombre", status[2], status[3], status[4]],
                  "duplicado con valores distintos")


# ---------------------------------------------------------------- the good POS lines, recomputed here
_DEC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _dec(text: str) -> Decimal | None:
    text = text.strip()
    return Decimal(text) if _DEC.match(text) else None


def _when(text: str) -> dt.datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            pass
    return None


def good_pos_lines(inputs_dir: Path) -> list[dict]:
    """The POS lines the warehouse must load: well formed, valid values, the first line of each
    ticket and line number (files in byte order of their names, then line order)."""
    out, seen = [], set()
    for path in sorted((inputs_dir / "ventas").glob("transacciones_tienda*.csv"), key=lambda p: p.name.encode()):
        with path.open(encoding="utf-8", newline="") as fh:
            for fields in list(csv.reader(fh))[1:]:
                if len(fields) != 11:
                    continue
                ticket, linea, fecha, _s, _sku, qty, price, disc = (f.strip() for f in fields[:8])
                q, p = _dec(qty), _dec(price)
                d = _dec(disc) if disc else Decimal(0)
                if not re.fullmatch(r"[+-]?\d+", linea) or _when(fecha) is None or q is None or p is None:
                    continue
                if d is None or p < 0 or d < 0:
                    continue
                if ticket and (ticket, int(linea)) in seen:
                    continue
                seen.add((ticket, int(linea)))
                gross = (p * q).quantize(Decimal("0.0001"))
                out.append({"ticket": ticket, "linea": int(linea), "neto": gross - (d if q >= 0 else -d)})
    return out


# ---------------------------------------------------------------- one warehouse per adapter
@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def built(request, tmp_path_factory):
    project = EtlProject(tmp_path_factory.mktemp(f"csv_values_{request.param}"), request.param)
    try:
        project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
        project.generate(scale=SCALE)
        inputs = Inputs(project.tmp / "inputs")
        pos = _pos_case(inputs)
        rates = _rates_case(inputs)
        _other_cases(inputs)
        project.run("run")
        yield project, inputs, pos, rates
    finally:
        project.close()


def _dbt(project, *args) -> subprocess.CompletedProcess:
    dbt = str(Path(sys.executable).with_name("dbt"))
    return subprocess.run([dbt, "--no-use-colors", *args, "--target", project.target], cwd=ROOT, env=project.env,
                          capture_output=True, text=True, timeout=600)


# ---------------------------------------------------------------- tests
def test_fact_holds_exactly_the_good_pos_lines(built):
    project, inputs, _pos, _rates = built
    good = good_pos_lines(project.tmp / "inputs")
    (n, neto), = project.warehouse_query(
        "select count(*), sum(monto_neto) from dw.fact_ventas where origen = 'tienda'")
    assert n == len(good), f"dw.fact_ventas has {n} POS lines, the files have {len(good)} good ones"
    expected = sum(g["neto"] for g in good)
    assert abs(Decimal(str(neto)) - expected) <= CENT, f"POS net total {neto} != recomputed {expected}"
    # no bad line reached the fact
    bad_tickets = {str(9_000_001 + i) for i in range(5)} | {"9000011", "9000012", "9000013"}
    in_fact = project.warehouse_query(
        "select numero_documento from dw.fact_ventas where origen = 'tienda' and numero_documento in ("
        + ", ".join(f"'{t}'" for t in sorted(bad_tickets)) + ")")
    assert in_fact == []


def test_each_bad_line_is_rejected_with_its_reason(built):
    project, inputs, _pos, _rates = built
    rows = project.warehouse_query(
        "select _source_file, _source_line, motivo, tipo_rechazo from staging.stg_csv__rechazos")
    found = {(f, int(n)): (motivo, tipo) for f, n, motivo, tipo in rows}
    wrong = {k: (v, found.get(k)) for k, v in inputs.expected.items() if found.get(k, (None,))[0] != v}
    assert not wrong, f"bad lines without their reason (expected, found): {wrong}"
    for key, reason in inputs.expected.items():
        assert found[key][1] == ("duplicado" if reason.startswith("duplicado") else "valor")
    # the int_fact_rechazos view counts the POS rejects for fact_ventas with their reason
    etapas = dict(project.warehouse_query(
        "select etapa, count(*) from staging.int_fact_rechazos where hecho = 'fact_ventas' and origen = 'tienda' "
        "group by etapa"))
    assert etapas.get("duplicado", 0) >= 2 and etapas.get("carga", 0) >= 8


def test_a_return_is_kept_with_negative_amounts(built):
    project, _inputs, pos, _rates = built
    file, line = pos["return_line"]
    (es_devolucion,), = project.warehouse_query(
        f"select es_devolucion from staging.stg_csv__transacciones_tienda "
        f"where _source_file = '{file}' and _source_line = {line}")
    assert es_devolucion is True
    (cantidad, bruto, descuento, neto, impuesto), = project.warehouse_query(
        "select cantidad, monto_bruto, monto_descuento, monto_neto, monto_impuesto from dw.fact_ventas "
        "where origen = 'tienda' and numero_documento = '9000021'")
    assert cantidad < 0 and bruto < 0 and descuento == Decimal("-0.5") and neto < 0 and impuesto < 0
    assert neto == bruto - descuento


def test_duplicates_keep_the_first_line(built):
    project, _inputs, pos, rates = built
    kept = pos["kept"]
    rows = project.warehouse_query(
        f"select _source_file, cantidad from staging.stg_csv__transacciones_tienda "
        f"where ticket = '{kept[0]}' and linea = {int(kept[1])}")
    assert len(rows) == 1 and rows[0][0] == POS and rows[0][1] == Decimal(kept[5])
    fecha, moneda, tasa = rates["first"]
    rows = project.warehouse_query(
        f"select tasa_usd from staging.stg_csv__tipos_cambio where fecha = cast('{fecha}' as date) "
        f"and moneda = '{moneda}'")
    assert len(rows) == 1 and rows[0][0] == Decimal(tasa)
    # the rejected duplicates name the kept line
    conservadas = project.warehouse_query(
        f"select distinct linea_conservada from staging.stg_csv__rechazos "
        f"where tabla_origen = 'tipos_cambio' and tipo_rechazo = 'duplicado'")
    assert conservadas == [(f"{RATES}:2",)]


def test_every_csv_line_is_accounted_for(built):
    project, _inputs, _pos, _rates = built
    for table in CSV_TABLES:
        (raw, good, rejected), = project.warehouse_query(
            f"select (select count(*) from raw_csv.{table}), (select count(*) from staging.stg_csv__{table}), "
            f"(select count(*) from staging.stg_csv__rechazos where tabla_origen = '{table}')")
        assert raw == good + rejected, f"{table}: raw {raw} != staged {good} + rejected/duplicates {rejected}"
    assert project.csv_line_counts() == project.raw_csv_counts()


def test_the_accounting_test_can_fail(built):
    """reconciliacion_csv_lineas passed in the run (its validation report says so) and fails once a
    staging view silently drops a line (the view is rebuilt afterwards)."""
    project, _inputs, _pos, _rates = built
    statuses = {v["status"] for path in (project.tmp / "reports" / "validation").glob("*.json")
                for v in json.loads(path.read_text())["validations"] if v["test"] == "reconciliacion_csv_lineas"}
    assert statuses == {"passed"}, statuses
    drop_one = ("create or replace view staging.stg_csv__tipos_cambio as "
                "select * from staging.base_csv__tipos_cambio where _motivo_rechazo is null and _source_line > 2")
    cols = ("fecha, moneda, tasa_usd, _source_file, _source_line, _cargado_at, _dlt_load_id")
    drop_one = drop_one.replace("select *", f"select {cols}")
    if project.target == "duckdb":
        import duckdb

        con = duckdb.connect(project.env["PUNTAFINA_DUCKDB_PATH"])
        try:
            con.execute(drop_one)
        finally:
            con.close()
    else:
        project.warehouse_query(drop_one + "; select 1")
    try:
        proc = _dbt(project, "test", "--select", "reconciliacion_csv_lineas")
        assert proc.returncode != 0 and "reconciliacion_csv_lineas" in proc.stdout, proc.stdout[-3000:]
    finally:
        restored = _dbt(project, "run", "--select", "stg_csv__tipos_cambio")
        assert restored.returncode == 0, restored.stdout[-3000:]


def test_on_error_fail_stops_the_build_at_a_rejected_line(built):
    """`sources.csv.on_error: fail` reaches dbt as the var csv_on_error: the check that stops the build
    passed under `skip` and fails, with one row per rejected line, under `fail`; a run under `fail`
    builds and checks the staging layer alone first, and stops there, before any dimension or fact is
    written, with dw left as the last good run."""
    from ingest.config import load_config

    project, inputs, _pos, _rates = built
    project.write_config(sources={"csv": {"path": str(project.tmp / "inputs"), "on_error": "fail"}})
    assert load_config(project.config_path).dbt_vars()["csv_on_error"] == "fail"
    project.write_config()  # back to the default, skip
    assert load_config(project.config_path).dbt_vars()["csv_on_error"] == "skip"
    check = "rechazos_csv_con_on_error_fail"
    assert _dbt(project, "test", "--select", check).returncode == 0
    proc = _dbt(project, "test", "--select", check, "--vars", '{"csv_on_error": "fail"}')
    assert proc.returncode != 0 and check in proc.stdout, proc.stdout[-3000:]
    (rejected,), = project.warehouse_query("select count(*) from staging.stg_csv__rechazos")
    assert rejected >= len(inputs.expected) and f"Got {rejected} result" in proc.stdout, proc.stdout[-3000:]

    dw_before = project.warehouse_query("select count(*), sum(monto_neto) from dw.fact_ventas")
    project.write_config(sources={"csv": {"path": str(project.tmp / "inputs"), "on_error": "fail"}})
    try:
        run = project.run("run", expect=1)   # the var changed: a build of everything
    finally:
        project.write_config()
    out = run.stdout
    assert "== 2/5 Validate and populate (staging) ==" in out and f"failure      test {check}: Got" in out, out[-3000:]
    assert f"FAIL  test      {check}" in run.stderr, run.stderr[-3000:]   # the console's errors
    after = out[out.index("== 3-5/5 Dimensions, facts, final checks: everything else"):]
    assert "skipped: an earlier step failed" in after and "model     dim_" not in after, out[-3000:]
    metrics = json.loads(sorted((project.tmp / "reports" / "runs").glob("etl_run_*.json"))[-1].read_text())
    assert not [r for r in metrics["relations"] if r[1].startswith(("dim_", "fact_", "int_dim_", "int_fact_"))]
    assert project.warehouse_query("select count(*), sum(monto_neto) from dw.fact_ventas") == dw_before
