"""CSV inputs read in bounded chunks from a byte offset (never a whole file in memory).

Each file is read line by line from the offset where the last committed chunk ended, so a
resumed or incremental run starts exactly at the first line not yet loaded. Every line of
a file becomes one raw row keyed by (``_source_file``, ``_source_line``): a well-formed line
fills the data columns (all text, typed later in staging); a malformed one (wrong number
of fields, undecodable bytes) keeps its text in ``_contenido`` with the reason in
``_rechazo``, so nothing is lost and the raw table reconciles line for line with the file.
"""
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa


@dataclass(frozen=True)
class CsvSpec:
    name: str          # raw table name
    pattern: str       # glob under the inputs dir
    columns: tuple[str, ...]
    incremental: bool  # True: new files and new lines only; False: reloaded every run
    description: str


CSV_FILES: dict[str, CsvSpec] = {s.name: s for s in [
    CsvSpec("estados_orden", "ventas/estados_orden.csv",
            ("codigo", "nombre", "descripcion", "es_final", "orden"), False,
            "Order status catalogue (may be incomplete)."),
    CsvSpec("transacciones_tienda", "ventas/transacciones_tienda*.csv",
            ("ticket", "linea", "fecha_hora", "sucursal", "sku", "cantidad", "precio", "descuento",
             "moneda", "metodo_pago", "cliente_codigo"), True,
            "Point-of-sale ticket lines: every file matching the pattern, new lines only."),
    CsvSpec("metas_ventas", "ventas/metas_ventas.csv",
            ("mes", "canal", "empleado_email", "sucursal", "monto_meta", "moneda"), False,
            "Monthly sales targets."),
    CsvSpec("productos_erp", "catalogo/productos_erp.csv",
            ("codigo", "nombre", "costo_unitario", "marca", "estado"), False,
            "ERP product export (codigo = Oro SKU)."),
    CsvSpec("sucursales", "maestros/sucursales.csv",
            ("codigo", "nombre", "tipo", "ciudad", "departamento"), False,
            "Stores and warehouses."),
    CsvSpec("tipos_cambio", "maestros/tipos_cambio.csv",
            ("fecha", "moneda", "tasa_usd"), False,
            "Daily exchange rates (USD per unit of currency)."),
]}

META_COLUMNS = ("_source_file", "_source_line", "_rechazo", "_contenido")


class CsvStructureError(Exception):
    """A CSV file's header lacks required columns: the file is not loaded."""


def arrow_schema(spec: CsvSpec) -> pa.Schema:
    return pa.schema(
        [pa.field(c, pa.string()) for c in spec.columns]
        + [pa.field("_source_file", pa.string(), nullable=False),
           pa.field("_source_line", pa.int64(), nullable=False),
           pa.field("_rechazo", pa.string()), pa.field("_contenido", pa.string())]
    )


def files_for(spec: CsvSpec, root: Path) -> list[Path]:
    return sorted(p for p in root.glob(spec.pattern) if p.is_file())


@dataclass(frozen=True)
class Header:
    positions: list[int]  # where each spec column sits in a line
    width: int            # fields per well-formed line
    data_offset: int      # byte offset of the first data line
    digest: str           # identifies the file version (a rewritten file gets a new header hash)


def read_header(path: Path, spec: CsvSpec) -> Header:
    """Check the header has every required column and map the columns to positions."""
    with path.open("rb") as fh:
        raw = fh.readline()
    text = raw.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    header = [h.strip().lower() for h in next(csv.reader([text]), [])]
    missing = [c for c in spec.columns if c not in header]
    if missing:
        raise CsvStructureError(
            f"{path}: required column(s) {', '.join(missing)} missing from the header "
            f"({text!r}); expected {','.join(spec.columns)}.")
    return Header([header.index(c) for c in spec.columns], len(header), len(raw),
                  hashlib.sha1(raw).hexdigest()[:12])


def read_chunk(path: Path, rel: str, spec: CsvSpec, header: Header,
               offset: int, line_no: int, chunk_size: int) -> tuple[pa.Table, int, int, bool]:
    """Read up to chunk_size lines from byte ``offset`` (line ``line_no`` is the last one loaded).

    Returns (rows, new offset, new last line number, reached end of file). Only complete
    lines (ending in a newline) are read, so a line still being written is left for later.
    """
    cols: dict[str, list] = {c: [] for c in spec.columns}
    meta: dict[str, list] = {m: [] for m in META_COLUMNS}
    width, positions = header.width, header.positions
    eof = False
    with path.open("rb") as fh:
        fh.seek(offset)
        for _ in range(chunk_size):
            raw = fh.readline()
            if not raw:
                eof = True
                break
            if not raw.endswith(b"\n"):
                eof = True  # partial last line: not yet complete, read it next time
                break
            offset += len(raw)
            line_no += 1
            reason, values = None, None
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                reason = "codificación inválida (no es UTF-8)"
            if reason is None:
                if not text.strip():
                    reason = "línea vacía"
                else:
                    fields = next(csv.reader([text]), [])
                    if len(fields) != width:
                        reason = f"se esperaban {width} campos, hay {len(fields)}"
                    else:
                        values = [fields[i] for i in positions]
            for c, i in zip(spec.columns, range(len(spec.columns))):
                cols[c].append(values[i] if values is not None else None)
            meta["_source_file"].append(rel)
            meta["_source_line"].append(line_no)
            meta["_rechazo"].append(reason)
            meta["_contenido"].append(text if reason else None)
        else:
            eof = not fh.peek(1)
    data = {**cols, **meta}
    return pa.Table.from_pydict(data, schema=arrow_schema(spec)), offset, line_no, eof
