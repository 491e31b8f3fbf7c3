"""What real store and ERP exports contain, on the ingestion side (ingest/sources/csv_files.py).

Each case writes its own file into tmp_path and checks the rows the reader gives (the data
columns, ``_source_line``, ``_rechazo``); one test puts several bad files through the real path
(``run_etl.py ingest --sources csv`` into DuckDB, twice) and checks the raw tables line by line.
"""
from __future__ import annotations

import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from ingest.config import CSV_ENCODINGS, ConfigError, load_config
from ingest.sources import csv_files as cf
from ingest.sources.csv_files import CSV_FILES, CsvStructureError, read_chunk, read_header

POS = CSV_FILES["transacciones_tienda"]
ERP = CSV_FILES["productos_erp"]
STORES = CSV_FILES["sucursales"]
POS_HEADER = ",".join(POS.columns)
STORES_HEADER = ",".join(STORES.columns)


def pos_line(ticket: int, linea: int = 1, cantidad: str = "2", precio: str = "3.50") -> str:
    return f"T{ticket},{linea},2026-03-01 10:00:00,S01,SKU{ticket},{cantidad},{precio},0,USD,efectivo,C{ticket}"


def write(tmp_path: Path, name: str, data: bytes | str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def read_all(path: Path, spec=POS, chunk_size: int = 10_000, encoding: str = "auto", **kw):
    """Every row of a file, read in chunks of chunk_size from the first data line."""
    header = read_header(path, spec, encoding)
    offset, line, rows = header.data_offset, 1, []
    while True:
        ch = read_chunk(path, path.name, spec, header, offset, line, chunk_size, **kw)
        rows += ch.table.to_pylist()
        offset, line = ch.offset, ch.line
        if ch.eof:
            return header, rows, ch


def brief(rows, *cols):
    return [(r["_source_line"], *(r[c] for c in cols), r["_rechazo"]) for r in rows]


# ---------------------------------------------------------------- files that cannot be used at all
def test_empty_pos_file_is_an_unusable_file_naming_it(tmp_path):
    path = write(tmp_path, "transacciones_tienda_20260302.csv", b"")
    with pytest.raises(CsvStructureError, match=r"transacciones_tienda_20260302\.csv: the file is empty \(0 bytes"):
        read_header(path, POS)


def test_header_lacking_a_required_column_names_file_and_columns(tmp_path):
    path = write(tmp_path, "sucursales.csv", "codigo,nombre,tipo\nS01,Centro,tienda\n")
    with pytest.raises(CsvStructureError) as exc:
        read_header(path, STORES)
    assert "sucursales.csv: required column(s) ciudad, departamento missing from the header" in str(exc.value)


def test_semicolon_header_missing_a_column_says_how_it_was_read(tmp_path):
    path = write(tmp_path, "sucursales.csv", "codigo;nombre;tipo;ciudad\nS01;Centro;tienda;San Salvador\n")
    with pytest.raises(CsvStructureError, match=r"departamento missing from the header \(read as ';'-delimited\)"):
        read_header(path, STORES)


@pytest.mark.parametrize("delim,shown", [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_other_delimiters_are_detected_and_read(tmp_path, delim, shown):
    text = STORES_HEADER.replace(",", delim) + "\n" + delim.join(
        ["S01", "Centro, local 2", "tienda", "San Salvador", "San Salvador"]) + "\n"
    path = write(tmp_path, "sucursales.csv", text)
    header, rows, _ = read_all(path, STORES)
    assert header.delimiter == delim
    assert header.describe() == f"encoding UTF-8 (detected), delimiter {shown}"
    assert brief(rows, "codigo", "nombre", "departamento") == [(2, "S01", "Centro, local 2", "San Salvador", None)]


# ---------------------------------------------------------------- a 50 MB line
def test_a_50mb_line_is_a_bounded_reject_not_a_failure(tmp_path):
    big = 50 * 2 ** 20
    path = tmp_path / "transacciones_tienda.csv"
    with path.open("wb") as fh:
        fh.write(f"{POS_HEADER}\n{pos_line(1)}\n".encode())
        fh.write(b"T2,1," + b"x" * big + b"\n")
        fh.write(f"{pos_line(3)}\n".encode())
    size = path.stat().st_size
    tracemalloc.start()
    try:
        header, rows, ch = read_all(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 * 2 ** 20, f"reading held {peak:,} bytes at once"  # the line alone is 50 MB
    n = big + len(b"T2,1,\n")
    assert brief(rows, "ticket") == [
        (2, "T1", None),
        (3, None, f"línea demasiado larga ({n} bytes > límite de {cf.MAX_LINE_BYTES})"),
        (4, "T3", None),
    ]
    assert rows[1]["_contenido"] == "T2,1," + "x" * (cf.CONTENT_PREFIX_BYTES - 5) + "…"
    assert ch.offset == size and ch.line == 4


# ---------------------------------------------------------------- encodings
ERP_NAMES = ["Café molido", "Jabón de cuña", "Piñata", "Acción", "Pequeño"]


def erp_export(encoding: str, lines: int = 191) -> tuple[bytes, list[str]]:
    """A Windows ERP export: 191 products, about one in five with an accented name."""
    names = [ERP_NAMES[i % 5] if i % 5 == 0 or i % 27 == 0 else f"Producto {i}" for i in range(lines)]
    text = "codigo,nombre,costo_unitario,marca,estado\r\n" + "".join(
        f"SKU{i},{name},{i}.25,Marca,activo\r\n" for i, name in enumerate(names))
    return text.encode(encoding), names


@pytest.mark.parametrize("encoding,label", [
    ("latin-1", "Latin-1"), ("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8-BOM")])
def test_erp_export_encoding_is_detected_and_decoded(tmp_path, encoding, label):
    data, names = erp_export(encoding)
    path = write(tmp_path, "productos_erp.csv", data)
    header, rows, _ = read_all(path, ERP)
    assert header.encoding == label and header.describe().startswith(f"encoding {label} (detected)")
    assert [r["_rechazo"] for r in rows] == [None] * 191  # before: every accented Latin-1 line was rejected
    assert [r["nombre"] for r in rows] == names
    assert rows[-1]["costo_unitario"] == "190.25" and rows[-1]["_source_line"] == 192


def test_windows_1252_bytes_are_detected(tmp_path):
    text = "codigo,nombre,costo_unitario,marca,estado\n" + "P1,Té “premium” – 1 €,2.00,Marca,activo\n"
    path = write(tmp_path, "productos_erp.csv", text, "cp1252")
    header, rows, _ = read_all(path, ERP)
    assert header.encoding == "Windows-1252"
    assert rows[0]["nombre"] == "Té “premium” – 1 €"


def test_a_non_utf8_line_after_the_sample_is_read_as_windows_1252(tmp_path, monkeypatch):
    monkeypatch.setattr(cf, "SAMPLE_BYTES", 4096)  # the bad line lies beyond the sampled head
    good = "".join(f"SKU{i},Niño {i},1.00,Marca,activo\n" for i in range(200)).encode()
    bad = "SKU900,Señal,1.00,Marca,activo\n".encode("cp1252")
    path = write(tmp_path, "productos_erp.csv", b"codigo,nombre,costo_unitario,marca,estado\n" + good + bad)
    header, rows, ch = read_all(path, ERP)
    assert header.encoding == "UTF-8"
    assert (rows[-1]["_source_line"], rows[-1]["nombre"], rows[-1]["_rechazo"]) == (202, "Señal", None)
    assert ch.fallback_lines == [202] and rows[0]["nombre"] == "Niño 0"
    # sources.csv.encoding: utf-8 trusts the setting: the same line is a reject, as before
    _, rows, _ = read_all(path, ERP, encoding="utf-8")
    assert rows[-1]["_rechazo"] == "codificación inválida (no es UTF-8)" and rows[-1]["codigo"] is None
    # sources.csv.encoding: latin-1 decodes every line as Latin-1 (the UTF-8 ones become mojibake)
    header, rows, _ = read_all(path, ERP, encoding="latin-1")
    assert header.describe() == "encoding Latin-1 (sources.csv.encoding), delimiter ','"
    assert rows[0]["nombre"] == "NiÃ±o 0" and rows[-1]["nombre"] == "Señal"


def test_the_encoding_detected_once_is_kept_for_the_file(tmp_path, monkeypatch):
    """An incremental file is decoded the same way on every run, and only its header is read again."""
    path = write(tmp_path, "transacciones_tienda.csv", f"{POS_HEADER}\n{pos_line(1)}\n")
    header = read_header(path, POS)
    state, _ = cf.resume_point(None, header, path.stat().st_size)
    assert (state["codec"], state["encoding"]) == ("utf-8", "UTF-8")
    with path.open("ab") as fh:
        fh.write("T2,1,2026-03-01 10:00:00,S01,SKU2,1,2.00,0,USD,efectivo,Peña\n".encode("latin-1"))

    def no_sampling(*args):
        raise AssertionError("the file was sampled again")

    monkeypatch.setattr(cf, "detect_encoding", no_sampling)
    again = read_header(path, POS, known=state)
    assert again.encoding == "UTF-8"
    ch = read_chunk(path, path.name, POS, again, state["offset"], state["line"], 10)
    assert ch.table.to_pylist()[-1]["cliente_codigo"] == "Peña" and ch.fallback_lines == [3]
    with pytest.raises(AssertionError, match="sampled again"):  # another header: a new file, detected anew
        read_header(path, POS, known=dict(state, digest="other"))


def test_encoding_setting_names_match_the_reader():
    assert set(CSV_ENCODINGS) == set(cf.ENCODINGS)


# ---------------------------------------------------------------- quoted newlines, unclosed quotes
def test_quoted_field_with_embedded_newline_is_one_record(tmp_path):
    text = (STORES_HEADER + "\r\n"
            + 'S01,"Centro\r\nlocal 2",tienda,San Salvador,San Salvador\r\n'
            + 'S02,"Norte ""A""\n\nedificio B",bodega,Santa Ana,Santa Ana\r\n'
            + "S03,Sur,tienda,San Miguel,San Miguel\r\n")
    path = write(tmp_path, "sucursales.csv", text)
    _, rows, ch = read_all(path, STORES)
    assert brief(rows, "codigo", "nombre", "tipo") == [
        (2, "S01", "Centro\r\nlocal 2", "tienda", None),
        (4, "S02", 'Norte "A"\n\nedificio B', "bodega", None),
        (7, "S03", "Sur", "tienda", None),
    ]
    assert ch.line == 7 and ch.offset == path.stat().st_size
    # resumed one record at a time from each returned offset: the same rows and line numbers
    _, one_by_one, _ = read_all(path, STORES, chunk_size=1)
    assert one_by_one == rows


def test_unclosed_quote_rejects_its_line_and_does_not_swallow_the_file(tmp_path):
    lines = [pos_line(1), 'T2,1,"2026-03-01 10:00:00,S01,SKU2,1,2.00,0,USD,efectivo,C2'] + [
        pos_line(i) for i in range(3, 503)]
    path = write(tmp_path, "transacciones_tienda.csv", POS_HEADER + "\n" + "\n".join(lines) + "\n")
    _, rows, ch = read_all(path)
    assert len(rows) == 502 and ch.line == 503
    assert [r["_source_line"] for r in rows] == list(range(2, 504))
    assert [r["_source_line"] for r in rows if r["_rechazo"]] == [3]
    assert rows[1]["_rechazo"].startswith("comilla sin cerrar")
    assert rows[1]["_contenido"] == lines[1]
    assert [r["ticket"] for r in rows[2:]] == [f"T{i}" for i in range(3, 503)]


def test_unclosed_quote_on_the_last_line_is_rejected(tmp_path):
    path = write(tmp_path, "transacciones_tienda.csv", f'{POS_HEADER}\n{pos_line(1)}\nT2,1,"x\n')
    _, rows, _ = read_all(path)
    assert [(r["_source_line"], (r["_rechazo"] or "")[:18]) for r in rows] == [(2, ""), (3, "comilla sin cerrar")]


# ---------------------------------------------------------------- no newline at the end
def test_reloaded_file_reads_an_unterminated_last_line(tmp_path):
    path = write(tmp_path, "sucursales.csv", STORES_HEADER + "\nS01,Centro,tienda,SS,SS\nS02,Norte,bodega,SA,SA")
    _, rows, ch = read_all(path, STORES)  # final=True: the default for reloaded files
    assert brief(rows, "codigo", "departamento") == [(2, "S01", "SS", None), (3, "S02", "SA", None)]
    assert ch.open == {"offset": len(STORES_HEADER) + 25, "line": 2}


def test_pos_file_unterminated_last_line_then_the_file_grows(tmp_path):
    """Incremental: held back while the file is still being written; read once settled; when the
    file grows afterwards, the record is read again from its first byte and its row replaced."""
    path = write(tmp_path, "transacciones_tienda.csv", f"{POS_HEADER}\n{pos_line(1)}\n{pos_line(2)[:-1]}")
    header = read_header(path, POS)
    raw: dict[tuple, dict] = {}  # the raw table: merged on (_source_file, _source_line)
    state = None

    def load(final: bool):
        nonlocal state
        f, _ = cf.resume_point(state, header, path.stat().st_size)
        ch = read_chunk(path, path.name, POS, header, f["offset"], f["line"], 10_000, final=final)
        f.update(offset=ch.offset, line=ch.line)
        if ch.open:
            f["open"] = ch.open
        elif ch.table.num_rows:
            f.pop("open", None)
        state = f
        for r in ch.table.to_pylist():
            raw[(r["_source_file"], r["_source_line"])] = r
        return ch

    ch = load(final=False)  # modified just now: the last line may still be being written
    assert ch.held_back and sorted(k[1] for k in raw) == [2]
    ch = load(final=True)   # unchanged for SETTLE_SECONDS: the line is complete, read it
    assert raw[(path.name, 3)]["cliente_codigo"] == "C"  # what the file said then
    assert state["open"] == {"offset": header.data_offset + len(pos_line(1)) + 1, "line": 2}
    assert load(final=True).table.num_rows == 0  # no change: nothing read again
    with path.open("a") as fh:  # the writer finishes the line and adds two more
        fh.write(f"2\n{pos_line(3)}\n{pos_line(4)}\n")
    ch = load(final=True)
    assert [r["_source_line"] for r in ch.table.to_pylist()] == [3, 4, 5]
    assert "open" not in state
    assert [(k[1], r["ticket"], r["cliente_codigo"], r["_rechazo"]) for k, r in sorted(raw.items())] == [
        (2, "T1", "C1", None), (3, "T2", "C2", None), (4, "T3", "C3", None), (5, "T4", "C4", None)]
    # a file that only gets its final newline: the same row again, nothing new, no duplicate
    path.write_text(f"{POS_HEADER}\n{pos_line(1)}", encoding="utf-8")
    header = read_header(path, POS)
    state, raw = None, {}
    load(final=True)
    with path.open("a") as fh:
        fh.write("\n")
    load(final=True)
    assert [(k[1], r["ticket"]) for k, r in raw.items()] == [(2, "T1")] and state["line"] == 2


# ---------------------------------------------------------------- already handled: keep so
def test_line_level_rejects_and_oddities_kept_as_before(tmp_path):
    text = ("\ufeff" + POS_HEADER + ",notas\r\n"            # BOM, CRLF, an extra column
            + pos_line(1) + ",ok\r\n"
            + "T2,1,2026-03-01 10:00:00,S01\r\n"            # wrong number of fields
            + pos_line(3, cantidad="dos") + ",\r\n"         # non-numeric quantity: text, typed in staging
            + "\r\n"                                        # empty line
            + pos_line(5) + ",x,y\r\n")                     # one field too many
    path = write(tmp_path, "transacciones_tienda.csv", text)
    header, rows, _ = read_all(path)
    assert header.encoding == "UTF-8-BOM" and header.width == 12
    assert brief(rows, "ticket", "cantidad", "cliente_codigo") == [
        (2, "T1", "2", "C1", None),
        (3, None, None, None, "se esperaban 12 campos, hay 4"),
        (4, "T3", "dos", "C3", None),
        (5, None, None, None, "línea vacía"),
        (6, None, None, None, "se esperaban 12 campos, hay 13"),
    ]
    assert rows[1]["_contenido"] == "T2,1,2026-03-01 10:00:00,S01"


def test_header_only_file_has_no_rows(tmp_path):
    path = write(tmp_path, "transacciones_tienda.csv", POS_HEADER + "\n")
    _, rows, ch = read_all(path)
    assert rows == [] and ch.eof and ch.line == 1


# ---------------------------------------------------------------- sources.csv.on_error / encoding
@pytest.mark.parametrize("key,value,expected", [
    ("on_error", "ignore", "sources.csv.on_error: 'ignore' is not valid; expected skip or fail."),
    ("encoding", "ebcdic", "sources.csv.encoding: 'ebcdic' is not valid; expected one of auto, utf-8"),
])
def test_csv_settings_are_validated(tmp_path, key, value, expected):
    cfg = write(tmp_path, "etl_config.yaml", f"sources:\n  csv:\n    {key}: {value}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg, root=tmp_path)
    assert str(exc.value).startswith(expected)
    assert load_config(None).raw["sources"]["csv"] | {} == {"path": "data/inputs", "encoding": "auto",
                                                             "on_error": "skip"}


# ---------------------------------------------------------------- through the real path
def _inputs(root: Path) -> dict[str, Path]:
    files = {
        "estados_orden": "ventas/estados_orden.csv", "pos": "ventas/transacciones_tienda.csv",
        "metas_ventas": "ventas/metas_ventas.csv", "productos_erp": "catalogo/productos_erp.csv",
        "sucursales": "maestros/sucursales.csv", "tipos_cambio": "maestros/tipos_cambio.csv",
    }
    return {k: root / v for k, v in files.items()}


def _settle(path: Path) -> None:
    past = time.time() - 10 * cf.SETTLE_SECONDS
    os.utime(path, (past, past))


def test_bad_files_together_through_the_pipeline(duck_project):
    p = duck_project
    f = _inputs(p.tmp / "inputs")
    for path in f.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    f["estados_orden"].write_text("codigo,nombre,descripcion,es_final,orden\nopen,Abierta,,false,1\n")
    f["pos"].write_text(f"{POS_HEADER}\n{pos_line(1)}\n{pos_line(2)}\n{pos_line(3)[:-1]}")  # no newline
    f["metas_ventas"].write_text("mes,canal,empleado_email,sucursal,monto_meta,moneda\n"
                                 "2026-03,tienda,,S01,1000,USD\n2026-03,web,,,500,USD\n")
    f["productos_erp"].write_text("codigo,nombre,costo_unitario,marca,estado\nP1,Uno,1.00,M,activo\n")
    f["sucursales"].write_text(f"{STORES_HEADER}\nS01,Centro,tienda,SS,SS\nS02,Norte,bodega,SA,SA\n")
    f["tipos_cambio"].write_text("fecha,moneda,tasa_usd\n2026-03-01,EUR,1.08\n")
    _settle(f["pos"])
    p.run("ingest", "--sources", "csv")
    first = dict(p.warehouse_query("select _source_file || ':' || _source_line, _dlt_load_id from raw_csv.sucursales"))
    assert p.warehouse_query("select cliente_codigo from raw_csv.transacciones_tienda where _source_line = 4") == [
        ("C",)]
    ck = json.loads((p.tmp / "checkpoints" / "csv.checkpoint").read_text())["tables"]
    assert ck["transacciones_tienda"]["files"]["ventas/transacciones_tienda.csv"] == {
        "line": 4, "offset": f["pos"].stat().st_size, "unterminated_last_line": True}

    # the next day's exports
    f["sucursales"].write_text("codigo,nombre,tipo,ciudad\nS01,Centro,tienda,SS\n")  # a column missing
    f["metas_ventas"].write_bytes(b"")                                               # 0 bytes
    (f["pos"].parent / "transacciones_tienda_20260302.csv").write_bytes(b"")          # 0 bytes, a new POS file
    with f["pos"].open("a") as fh:  # the unterminated line completed, a 3 MB line, a good line
        fh.write("3\n" + "T9,1," + "9" * (3 * 2 ** 20) + "\n" + pos_line(5) + "\n")
    _settle(f["pos"])
    f["productos_erp"].write_bytes((  # Windows ERP: Latin-1, semicolons, a quoted newline, an unclosed quote
        "codigo;nombre;costo_unitario;marca;estado\r\n"
        "P1;Café;1,50;Marca Ñ;activo\r\n"
        'P2;"Jabón\r\nde cuña";2,00;M;activo\r\n'
        'P3;"Piñata;3,00;M;activo\r\n'
        "P4;Acción;4,00;M;inactivo\r\n").encode("latin-1"))
    f["estados_orden"].write_bytes("\ufeffcodigo,nombre,descripcion,es_final,orden\r\n"
                                   "open,Abierta,,false,1\r\nclosed,Cerrada,Orden \"final\",true,4".encode())
    (f["pos"].parent / "transacciones_tienda_20260303.csv").write_text(
        POS_HEADER.replace(",", ";") + "\n" + pos_line(7).replace(",", ";") + "\n")
    proc = p.run("ingest", "--sources", "csv", expect=1)  # the job went on; exit 1: not all inputs usable

    runs = sorted((p.tmp / "reports" / "runs").glob("etl_run_*.json"))
    metrics = json.loads(runs[-1].read_text())
    assert metrics["status"] == "partial"
    assert "3 input(s) could not be used" in proc.stderr, proc.stderr
    assert sorted(e.split(": ")[1] for e in metrics["errors"]) == [
        "maestros/sucursales.csv", "ventas/metas_ventas.csv", "ventas/transacciones_tienda_20260302.csv"]
    assert "csv: maestros/sucursales.csv: required column(s) departamento missing from the header" in "".join(
        metrics["errors"])
    errors_log = "".join(x.read_text() for x in (p.tmp / "logs" / "errors").glob("*.log"))
    for name in ("maestros/sucursales.csv", "ventas/metas_ventas.csv", "ventas/transacciones_tienda_20260302.csv"):
        assert name in errors_log and name in proc.stdout
    assert "catalogo/productos_erp.csv: encoding Latin-1 (detected), delimiter ';'" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr

    # unusable reloaded files: yesterday's rows stay, from yesterday's load
    assert dict(p.warehouse_query(
        "select _source_file || ':' || _source_line, _dlt_load_id from raw_csv.sucursales")) == first
    assert p.warehouse_query("select count(*) from raw_csv.metas_ventas") == [(2,)]
    # POS: the completed line replaced its row, the 3 MB line is a reject, the ';' file is read
    pos = p.warehouse_query("select _source_file, _source_line, ticket, cliente_codigo, _rechazo, "
                            "length(_contenido) from raw_csv.transacciones_tienda order by 1, 2")
    assert pos == [
        ("ventas/transacciones_tienda.csv", 2, "T1", "C1", None, None),
        ("ventas/transacciones_tienda.csv", 3, "T2", "C2", None, None),
        ("ventas/transacciones_tienda.csv", 4, "T3", "C3", None, None),
        ("ventas/transacciones_tienda.csv", 5, None, None,
         f"línea demasiado larga ({3 * 2 ** 20 + 6} bytes > límite de {cf.MAX_LINE_BYTES})", cf.CONTENT_PREFIX_BYTES + 1),
        ("ventas/transacciones_tienda.csv", 6, "T5", "C5", None, None),
        ("ventas/transacciones_tienda_20260303.csv", 2, "T7", "C7", None, None),
    ]
    erp = p.warehouse_query("select _source_line, codigo, nombre, costo_unitario, marca, left(_rechazo, 18) "
                            "from raw_csv.productos_erp order by 1")
    assert erp == [(2, "P1", "Café", "1,50", "Marca Ñ", None), (3, "P2", "Jabón\r\nde cuña", "2,00", "M", None),
                   (5, None, None, None, None, "comilla sin cerrar"), (6, "P4", "Acción", "4,00", "M", None)]
    assert p.warehouse_query("select _source_line, codigo, descripcion from raw_csv.estados_orden order by 1") == [
        (2, "open", ""), (3, "closed", 'Orden "final"')]
    # every physical data line is a row's first line or a continuation of the row before it
    lines = {name: sum(1 for _ in path.open("rb")) - 1 for name, path in f.items() if name not in (
        "sucursales", "metas_ventas")}
    last = dict(p.warehouse_query("select 'productos_erp', max(_source_line) - 1 from raw_csv.productos_erp union all "
                                  "select 'estados_orden', max(_source_line) - 1 from raw_csv.estados_orden"))
    assert last == {"productos_erp": lines["productos_erp"], "estados_orden": lines["estados_orden"]}
    ck = json.loads((p.tmp / "checkpoints" / "csv.checkpoint").read_text())["tables"]
    assert "transacciones_tienda_20260302.csv" not in json.dumps(ck)  # read from the start once usable
    assert "csv: raw_csv.sucursales is not reloaded this run (its rows from the last load stay) because " \
           "maestros/sucursales.csv cannot be used" in metrics["warnings"]

    # --full-refresh does not truncate a table with an unusable file either (the others reload)
    p.run("ingest", "--sources", "csv", "--full-refresh", expect=1)  # still partial: the same files are unusable
    assert dict(p.warehouse_query(
        "select _source_file || ':' || _source_line, _dlt_load_id from raw_csv.sucursales")) == first
    assert p.warehouse_query("select _source_file, _source_line, ticket, cliente_codigo, _rechazo, "
                             "length(_contenido) from raw_csv.transacciones_tienda order by 1, 2") == pos
    assert p.warehouse_query("select count(*), min(_source_line) from raw_csv.productos_erp") == [(4, 2)]


def test_on_error_fail_stops_at_the_first_bad_line(duck_project):
    p = duck_project
    f = _inputs(p.tmp / "inputs")
    f["pos"].parent.mkdir(parents=True)
    f["pos"].write_text(f"{POS_HEADER}\n{pos_line(1)}\nT2,1,2026-03-01\n{pos_line(3)}\n")
    p.write_config(sources={"csv": {"path": str(p.tmp / "inputs"), "on_error": "fail"}})
    proc = p.run("ingest", "--sources", "csv", expect=1)
    out = proc.stdout + proc.stderr
    assert ("ventas/transacciones_tienda.csv, line 3: se esperaban 11 campos, hay 3 "
            "(sources.csv.on_error is fail") in out
    assert "Traceback" not in out and "attempt" not in out  # not retried as transient
    assert p.warehouse_query("select count(*) from information_schema.tables where table_schema = 'raw_csv' "
                             "and table_name = 'transacciones_tienda'") == [(0,)]  # nothing of that round loaded
    # and at the first unusable file
    f["pos"].write_text(f"{POS_HEADER}\n{pos_line(1)}\n")
    (f["pos"].parent / "transacciones_tienda_2.csv").write_bytes(b"")
    proc = p.run("ingest", "--sources", "csv", expect=1)
    assert ("ventas/transacciones_tienda_2.csv: the file is empty (0 bytes, not even a header)"
            in proc.stdout + proc.stderr)
