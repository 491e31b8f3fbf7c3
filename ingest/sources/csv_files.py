"""CSV inputs read in bounded chunks from a byte offset (never a whole file in memory).

Each file is read from the byte offset where the last committed chunk ended, so a resumed
or incremental run starts exactly at the first line not yet loaded. Offsets are bytes and
line numbers are physical lines of the file, whatever the encoding. Every record becomes one
raw row keyed by (``_source_file``, ``_source_line``): a well-formed record fills the data
columns (all text, typed later in staging); a malformed one keeps its text in ``_contenido``
with the reason in ``_rechazo``, so nothing is lost and the raw table reconciles with the file.

What real store and ERP exports contain, and what the reader does with it:

- **Encoding** (``sources.csv.encoding``, default ``auto``): per file, the first
  ``SAMPLE_BYTES`` are sampled, once: the decision is kept in the file's state
  (``resume_point``), so an incremental file is decoded the same way on every run. A UTF-8
  BOM means UTF-8-BOM; a sample that decodes as UTF-8 means UTF-8 (plain ASCII included),
  and so does a sample where some non-ASCII lines are UTF-8
  and others are not (a mixed export); otherwise the file is Windows-1252 when the sample has
  bytes 0x80-0x9F (€, curly quotes, …) and Latin-1 when it has not. Both single-byte cases
  are decoded as Windows-1252 (identical to Latin-1 for 0xA0-0xFF; the five bytes 1252 leaves
  undefined are read as their Latin-1 control characters), so a later € in a "Latin-1" file is
  still right. In a file detected as UTF-8, a later line that is not valid UTF-8 (exports
  concatenated from two systems) is decoded as Windows-1252 rather than rejected, and counted
  (``Chunk.fallback_lines``, logged as a warning). An explicit ``utf-8`` trusts the setting:
  an undecodable line is rejected (``codificación inválida (no es UTF-8)``); an explicit
  ``latin-1`` / ``cp1252`` decodes with that codec. The detected encoding is on ``Header``.
- **Delimiter**: the header decides, among ``, ; TAB |`` (in that order): the first that
  yields every required column. A header no delimiter makes complete is an unusable file.
- **Unusable files** raise ``CsvStructureError`` naming the file: a 0-byte file, a header
  lacking a required column, a header longer than ``MAX_LINE_BYTES``. (A header-only file is
  usable: no data lines.) The pipeline skips such a file with one error and keeps its earlier
  raw rows (a reloaded table is not truncated).
- **Oversized lines**: a physical line longer than ``MAX_LINE_BYTES`` is read in bounded
  pieces (never whole in memory) and rejected (``línea demasiado larga (N bytes > límite de
  M)``) with its first ``CONTENT_PREFIX_BYTES`` in ``_contenido``.
- **Quoted newlines** (RFC 4180): a record whose quoted field spans physical lines is one
  record; its ``_source_line`` is its first physical line and the next record's
  ``_source_line`` skips the continuation lines, so line numbers stay physical (every
  physical line is a row's first line or a continuation of the row before it). A record is
  capped at ``MAX_RECORD_LINES`` physical lines and ``MAX_LINE_BYTES`` bytes: an unclosed
  quote rejects its first physical line alone (``comilla sin cerrar``) and reading goes on
  with the next physical line, so it never swallows the rest of the file.
- **Unterminated last line** (no final newline): read when the file is *final*: always for
  reloaded files, and for incremental (POS) files once the file has not been modified for
  ``SETTLE_SECONDS`` (a line still being written is left for the next run). The chunk then
  reports ``open`` (offset and line number before that record); the pipeline keeps it in the
  file's state, and when the file later grows it re-reads that record from its first byte:
  the row is replaced on its (file, line) key (merge), whether the writer only added the
  newline or completed the line, so nothing is duplicated or lost.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

SAMPLE_BYTES = 2 ** 20              # sampled per file to detect the encoding (1 MiB)
MAX_LINE_BYTES = 2 ** 20            # a physical line (or a multi-line record) longer than this is rejected
MAX_RECORD_LINES = 100              # physical lines one quoted record may span
CONTENT_PREFIX_BYTES = 2048         # what _contenido keeps of an oversized line
SETTLE_SECONDS = 30.0               # an incremental file unmodified this long is complete (last line read)
DELIMITERS = (",", ";", "\t", "|")
# sources.csv.encoding values -> codec used for the data lines (None: detect per file)
ENCODINGS = {"auto": None, "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8",
             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1",
             "cp1252": "cp1252", "windows-1252": "cp1252"}
_LABELS = {"utf-8": "UTF-8", "latin-1": "Latin-1", "cp1252": "Windows-1252"}


def _c1_fallback(err: UnicodeDecodeError):
    # the bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) read as Windows does
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("puntafina_c1", _c1_fallback)


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


class CsvInputError(Exception):
    """Bad CSV input worth one clear paragraph (never retried as transient)."""


class CsvStructureError(CsvInputError):
    """A CSV file cannot be used at all (empty, header lacks required columns, …): not loaded."""


class CsvRejectError(CsvInputError):
    """A rejected line while ``sources.csv.on_error`` is ``fail``."""


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
    positions: list[int]  # where each spec column sits in a record
    width: int            # fields per well-formed record
    data_offset: int      # byte offset of the first data line
    digest: str           # identifies the file version (a rewritten file gets a new header hash)
    delimiter: str = ","
    codec: str = "utf-8"  # how data lines are decoded
    encoding: str = "UTF-8"   # what was detected (or configured): UTF-8, UTF-8-BOM, Latin-1, Windows-1252
    detected: bool = True     # False: sources.csv.encoding gave it
    strict: bool = False      # True: an undecodable line is rejected (configured UTF-8), not re-decoded

    def describe(self) -> str:
        delim = {"\t": "tab"}.get(self.delimiter, repr(self.delimiter))
        how = "detected" if self.detected else "sources.csv.encoding"
        return f"encoding {self.encoding} ({how}), delimiter {delim}"


def detect_encoding(path: Path, sample_bytes: int = SAMPLE_BYTES) -> tuple[str, str]:
    """(codec, label) of a file from its first ``sample_bytes``: one bounded read, line by line.

    UTF-8 when every sampled line decodes as UTF-8, and also when some non-ASCII lines do and
    others do not (a mixed export: those lines fall back to Windows-1252 one by one); otherwise
    Windows-1252 when the sample has bytes 0x80-0x9F, Latin-1 when it has not."""
    with path.open("rb") as fh:
        sample = fh.read(sample_bytes)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", "UTF-8-BOM"
    lines = sample.split(b"\n")
    if len(sample) >= sample_bytes and len(lines) > 1:
        lines.pop()  # cut by the sample: may end inside a character
    utf8 = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            bad += 1
    if not bad:
        return "utf-8", "UTF-8"
    if utf8:
        return "utf-8", f"UTF-8 ({bad} of {utf8 + bad} sampled non-ASCII lines read as Windows-1252)"
    if any(0x80 <= b <= 0x9F for b in set(sample)):
        return "cp1252", "Windows-1252"
    return "cp1252", "Latin-1"


def read_header(path: Path, spec: CsvSpec, encoding: str = "auto", known: dict | None = None) -> Header:
    """Check the file is usable, detect its encoding and delimiter, map the columns to positions.

    ``known``: the file's committed state; when it records the encoding detected for this same
    header (``digest``, ``codec``, ``encoding``), that decision is kept (no new sample: a POS file
    is decoded the same way on every run, and old files cost one header line per run)."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise CsvStructureError(f"{path}: the file is empty (0 bytes, not even a header); "
                                    f"expected a header {','.join(spec.columns)}. Not loaded.")
        with path.open("rb") as fh:
            raw = fh.readline(MAX_LINE_BYTES + 1)
    except OSError as exc:
        raise CsvStructureError(f"{path}: cannot be read ({exc.strerror or exc}). Not loaded.") from None
    if len(raw) > MAX_LINE_BYTES:
        raise CsvStructureError(f"{path}: the header line is longer than {MAX_LINE_BYTES} bytes "
                                f"(not a CSV export?); expected {','.join(spec.columns)}. Not loaded.")
    configured = ENCODINGS[encoding.lower()]
    if configured is None and known and known.get("codec") and known.get("digest") == _digest(raw):
        codec, label = known["codec"], known["encoding"]
    elif configured is None:
        codec, label = detect_encoding(path, SAMPLE_BYTES)
    else:
        codec, label = configured, _LABELS[configured]
        if raw.startswith(codecs.BOM_UTF8) and codec == "utf-8":
            label = "UTF-8-BOM"
    body = raw[len(codecs.BOM_UTF8):] if raw.startswith(codecs.BOM_UTF8) else raw
    text = _decode(body, codec, strict=False)[0].rstrip("\r\n")
    best: tuple[int, str, list[str]] | None = None
    for delim in DELIMITERS:
        names = [h.strip().lower() for h in next(csv.reader([text], delimiter=delim), [])]
        found = sum(c in names for c in spec.columns)
        if found == len(spec.columns):
            return Header([names.index(c) for c in spec.columns], len(names), len(raw),
                          _digest(raw), delim, codec, label,
                          configured is None, strict=configured == "utf-8")
        if best is None or found > best[0]:
            best = (found, delim, names)
    found, delim, names = best
    missing = [c for c in spec.columns if c not in names]
    read_as = "" if delim == "," else f" (read as {'tab' if delim == chr(9) else repr(delim)}-delimited)"
    raise CsvStructureError(
        f"{path}: required column(s) {', '.join(missing)} missing from the header{read_as} "
        f"({text[:300]!r}); expected {','.join(spec.columns)}. Not loaded.")


def _digest(header_line: bytes) -> str:
    return hashlib.sha1(header_line).hexdigest()[:12]


def _decode(raw: bytes, codec: str, strict: bool) -> tuple[str, bool | None]:
    """(text, how): how is None when decoded as the file's codec, True when a UTF-8 file's line was
    re-decoded as Windows-1252, False when it could not be decoded (strict UTF-8: a reject)."""
    if codec == "cp1252":
        return raw.decode("cp1252", errors="puntafina_c1"), None
    if codec == "latin-1":
        return raw.decode("latin-1"), None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        if strict:
            return raw.decode("utf-8", errors="replace"), False
        return raw.decode("cp1252", errors="puntafina_c1"), True


def _ends_in_quotes(text: str, delim: str, inq: bool) -> bool:
    """Whether ``text`` ends inside a quoted field (the csv module's default dialect: a quote opens a
    field only at its start, a doubled quote inside is a literal)."""
    at_start = not inq
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if inq:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 2
                    continue
                inq = False
        elif c == '"' and at_start:
            inq = True
            at_start = False
        else:
            at_start = c == delim
        i += 1
    return inq


@dataclass(slots=True)
class _Phys:
    """One physical line: bytes [start, end) of the file."""
    start: int
    end: int
    raw: bytes | None    # the line with its terminator; None when longer than the limit
    terminated: bool     # ends with a newline
    prefix: bytes = b""  # the first CONTENT_PREFIX_BYTES of an oversized line

    @property
    def size(self) -> int:
        return self.end - self.start


def _physical_lines(fh, offset: int, max_bytes: int):
    """Physical lines from ``offset``; an oversized one is skipped in bounded pieces (prefix kept)."""
    fh.seek(offset)
    while True:
        piece = fh.readline(max_bytes + 1)
        if not piece:
            return
        start = offset
        if len(piece) <= max_bytes:
            offset += len(piece)
            yield _Phys(start, offset, piece, piece.endswith(b"\n"))
            continue
        prefix = piece[:CONTENT_PREFIX_BYTES]
        size, last = len(piece), piece
        while not last.endswith(b"\n"):
            last = fh.readline(max_bytes)
            if not last:
                break
            size += len(last)
        offset += size
        yield _Phys(start, offset, None, last.endswith(b"\n"), prefix)


def resume_point(state: dict | None, header: Header, size: int) -> tuple[dict, str | None]:
    """Where to read a file from, given its committed state (``offset``, ``line``, ``digest``, and
    ``open`` when its last record was read without a newline) and its current size.

    Returns (state to read from, note): a new or rewritten file (other header, or shorter than the
    committed offset) starts at its first data line; a file whose last record was unterminated and
    that grew since goes back to that record's first byte, so the record is read again whole and
    its row replaced on its (file, line) key; otherwise it goes on from the committed offset."""
    if state is None or state.get("digest") != header.digest or size < state["offset"]:
        note = None if state is None else "the file was rewritten since the last load; reading it again from the start"
        fresh = {"offset": header.data_offset, "line": 1, "digest": header.digest}
        if header.detected:
            fresh.update(codec=header.codec, encoding=header.encoding)
        return fresh, note
    state = dict(state)
    if header.detected:  # remembered, so later runs decode this file the same way without sampling it
        state.setdefault("codec", header.codec)
        state.setdefault("encoding", header.encoding)
    opened = state.pop("open", None)
    if opened is None:
        return state, None
    if size > state["offset"]:
        state["offset"], state["line"] = opened["offset"], opened["line"]
        return state, "the last line had no newline when it was read and the file grew since: reading it again"
    state["open"] = opened
    return state, None


@dataclass
class Chunk:
    table: pa.Table
    offset: int                 # byte offset after the last record read
    line: int                   # last physical line number read
    eof: bool                   # nothing more to read now
    open: dict | None = None    # the last record read has no newline: {offset, line} before it
    held_back: bool = False     # an unterminated last line was left for later (file not final)
    fallback_lines: list[int] | None = None   # lines of a UTF-8 file read as Windows-1252
    first_reject: tuple[int, str] | None = None  # (line, reason) of the first rejected record

    @property
    def rejected(self) -> int:
        return self.table.num_rows - self.table.column("_rechazo").null_count


def read_chunk(path: Path, rel: str, spec: CsvSpec, header: Header, offset: int, line_no: int,
               chunk_size: int, final: bool = True, max_bytes: int = MAX_LINE_BYTES,
               max_lines: int = MAX_RECORD_LINES) -> Chunk:
    """Read up to ``chunk_size`` records from byte ``offset`` (physical line ``line_no`` is the last
    one loaded). ``final``: the file is complete, so an unterminated last line is read too;
    otherwise it is left for later (a line still being written)."""
    cols: dict[str, list] = {c: [] for c in spec.columns}
    meta: dict[str, list] = {m: [] for m in META_COLUMNS}
    width, positions, delim = header.width, header.positions, header.delimiter
    codec, strict = header.codec, header.strict
    out = Chunk(None, offset, line_no, False)  # type: ignore[arg-type]
    fallback: set[int] = set()

    def emit(line: int, values, reason, content):
        for j, c in enumerate(spec.columns):
            cols[c].append(values[j] if values is not None else None)
        meta["_source_file"].append(rel)
        meta["_source_line"].append(line)
        meta["_rechazo"].append(reason)
        meta["_contenido"].append(content if reason else None)
        if reason and out.first_reject is None:
            out.first_reject = (line, reason)

    def decode(p: _Phys, line: int) -> tuple[str, str | None]:
        text, how = _decode(p.raw, codec, strict)
        if how is True:
            fallback.add(line)
        return text, ("codificación inválida (no es UTF-8)" if how is False else None)

    count = 0
    with path.open("rb") as fh:
        lines = _physical_lines(fh, offset, max_bytes)
        pushed: deque[_Phys] = deque()

        def nxt() -> _Phys | None:
            return pushed.popleft() if pushed else next(lines, None)

        while count < chunk_size:
            p = nxt()
            if p is None:
                out.eof = True
                break
            if not p.terminated and not final:
                out.eof = out.held_back = True  # still being written: read it next time
                break
            first = line_no + 1
            if p.raw is None:
                emit(first, None, f"línea demasiado larga ({p.size} bytes > límite de {max_bytes})",
                     p.prefix.decode(codec, errors="replace") + "…")
                parts = [p]
            else:
                text, reason = decode(p, first)
                parts = [p]
                record = text
                if reason is None and '"' in text and _ends_in_quotes(text.rstrip("\r\n"), delim, False):
                    # a quoted field goes on to the next physical line(s), up to the caps
                    inq, total, held = True, p.size, False
                    while inq:
                        q = nxt()
                        if q is None or (not q.terminated and not final):
                            if q is not None or not final:
                                held = True  # the rest may still be written: leave the record for later
                            if q is not None:
                                parts.append(q)
                            break
                        if q.raw is None or total + q.size > max_bytes or len(parts) >= max_lines:
                            parts.append(q)
                            break
                        qtext, qreason = decode(q, first + len(parts))
                        if qreason is not None:
                            parts.append(q)
                            break
                        parts.append(q)
                        total += q.size
                        record += qtext
                        inq = _ends_in_quotes(qtext.rstrip("\r\n"), delim, True)
                    if held:
                        out.eof = out.held_back = True
                        break
                    if inq:
                        # unclosed quote: reject the first physical line alone, go on with the next one
                        pushed.extendleft(reversed(parts[1:]))
                        parts = [p]
                        reason = (f"comilla sin cerrar (el campo entre comillas no se cierra en "
                                  f"{max_lines} líneas / {max_bytes} bytes ni al final del archivo)")
                        record = text
                record = record.rstrip("\r\n")
                values = None
                if reason is None:
                    if not record.strip():
                        reason = "línea vacía"
                    else:
                        fields = next(csv.reader([record], delimiter=delim), [])
                        if len(fields) != width:
                            reason = f"se esperaban {width} campos, hay {len(fields)}"
                        else:
                            values = [fields[i] for i in positions]
                emit(first, values, reason, record)
            count += 1
            last = parts[-1]
            out.open = None if last.terminated else {"offset": p.start, "line": line_no}
            line_no += len(parts)
            out.offset = last.end
        else:
            out.eof = not pushed and not fh.peek(1)
    out.line = line_no
    out.fallback_lines = sorted(fallback)
    out.table = pa.Table.from_pydict({**cols, **meta}, schema=arrow_schema(spec))
    return out
