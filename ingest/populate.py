"""``populate-csv``: complete an incomplete CSV by the population rules.

Reads the file in a streaming pass, fills empty cells by ``population_rules`` (column
defaults, default dates, ``AUTO_`` ids for an empty key in the first column), and for the
order status catalogue fills what Oro knows of each status (an empty ``nombre``,
``descripcion``, ``es_final`` or ``orden``, from the OroCommerce source's
``oro_enum_option``) and adds the statuses Oro knows but the file lacks. Writes
``<name>_completo.csv`` beside the input (the input is never touched) and a report
``reports/validation/populate_<name>.json`` shaped like every validation report:
``{source, original_rows, final_rows, rows_added, validations, populations}``, each
validation with its status (passed | fixed | failed) and the populations with
``fields_populated`` (``"descripcion: 1 valores"``).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from ingest.config import Config

FINAL_STATUSES = {"closed", "cancelled"}


class PopulateError(Exception):
    """The CSV cannot be completed (missing, empty, or not a CSV)."""


def _oro_statuses(cfg: Config) -> list[tuple[str, str, int]]:
    """(internal_id, label, priority) of Oro's order_internal_status enum, from the source DB."""
    import pyarrow as pa  # noqa: F401 - make sure the arrow stack is importable

    from ingest.catalog import get
    from ingest.pipeline import source_url
    from ingest.sources.sql_tables import SourceError, make_reader
    from ingest.warehouse import Warehouse

    try:
        reader = make_reader(source_url("orocommerce", cfg, Warehouse("duckdb", cfg.root)),
                             cfg.batch["timeout"], cfg.root)
        data = reader.read(get("orocommerce", "oro_enum_option"), None, 100000)
    except SourceError:
        return []
    rows = [r for r in data.to_pylist() if r["enum_code"] == "order_internal_status"]
    return [(r["internal_id"], r["name"], r["priority"]) for r in rows]


def _per_column(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (col, rule), n in counts.items():
        if rule != "fila_desde_oro":  # whole rows added, not cells filled
            out[col] = out.get(col, 0) + n
    return out


def populate_csv(path: Path, cfg: Config) -> tuple[Path, Path]:
    path = path if path.is_absolute() else cfg.root / path
    if not path.is_file():
        raise PopulateError(f"{path} does not exist.")
    rules = cfg["population_rules"]
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    out = path.with_name(path.stem + "_completo.csv")
    counts: dict[tuple[str, str], int] = {}
    validations = {"lineas_mal_formadas": 0, "claves_vacias": 0}
    original = final = 0
    seen_keys: set[str] = set()
    statuses = _oro_statuses(cfg) if path.name == "estados_orden.csv" else []
    oro = {internal_id: (label, priority) for internal_id, label, priority in statuses}
    with path.open(newline="", encoding="utf-8-sig") as src, out.open("w", newline="", encoding="utf-8") as dst:
        reader = csv.reader(src)
        header = next(reader, None)
        if not header:
            raise PopulateError(f"{path} is empty: a header line is needed.")
        header = [h.strip() for h in header]
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow(header)
        key = header[0]
        for n, row in enumerate(reader, start=2):
            original += 1
            if len(row) != len(header):
                validations["lineas_mal_formadas"] += 1
                writer.writerow(row)  # kept as it is: nothing is lost, the load flags it
                final += 1
                continue
            rec = dict(zip(header, row))
            for col, val in rules["defaults"].items():
                if col in rec and not rec[col].strip():
                    rec[col] = str(val)
                    counts[(col, "valor_por_defecto")] = counts.get((col, "valor_por_defecto"), 0) + 1
            for col in rules["default_dates"]:
                if col in rec and not rec[col].strip():
                    rec[col] = now
                    counts[(col, "fecha_por_defecto")] = counts.get((col, "fecha_por_defecto"), 0) + 1
            known = oro.get(rec[key].strip())
            if known is not None:  # an Oro status: what Oro says fills the empty cells
                label, priority = known
                filled = {"nombre": label, "descripcion": f"{label} (completado desde Oro)",
                          "es_final": str(rec[key].strip() in FINAL_STATUSES).lower(), "orden": str(priority)}
                for col, val in filled.items():
                    if col in rec and not rec[col].strip():
                        rec[col] = val
                        counts[(col, "valor_desde_oro")] = counts.get((col, "valor_desde_oro"), 0) + 1
            if not rec[key].strip():
                validations["claves_vacias"] += 1
                rec[key] = f"{rules['generated_ids']['prefix']}{path.stem.upper()}_{n}"
                counts[(key, "id_generado")] = counts.get((key, "id_generado"), 0) + 1
            seen_keys.add(rec[key])
            writer.writerow([rec[h] for h in header])
            final += 1
        added = 0
        if path.name == "estados_orden.csv" and {"codigo", "nombre", "es_final", "orden"} <= set(header):
            for internal_id, label, priority in statuses:
                if internal_id in seen_keys:
                    continue
                rec = {h: "" for h in header}
                rec.update(codigo=internal_id, nombre=label, es_final=str(internal_id in FINAL_STATUSES).lower(),
                           orden=str(priority))
                if "descripcion" in rec:
                    rec["descripcion"] = f"{label} (completado desde Oro)"
                writer.writerow([rec[h] for h in header])
                added += 1
                final += 1
            if added:
                counts[("codigo", "fila_desde_oro")] = added
    report = cfg.report_dir / "validation" / f"populate_{path.stem}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "source": str(path.relative_to(cfg.root) if path.is_relative_to(cfg.root) else path),
        "output": str(out.relative_to(cfg.root) if out.is_relative_to(cfg.root) else out),
        "original_rows": original,
        "final_rows": final,
        "rows_added": final - original,
        "validations": [{"check": k, "failed_rows": v,
                         "status": "passed" if not v else "fixed" if k == "claves_vacias" else "failed"}
                        for k, v in validations.items()],
        "populations": [{"column": c, "rule": r, "filled": v} for (c, r), v in sorted(counts.items())],
        "fields_populated": [f"{c}: {n} valores" for c, n in sorted(_per_column(counts).items())],
    }
    report.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return out, report
