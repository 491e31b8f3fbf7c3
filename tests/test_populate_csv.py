"""`run_etl.py populate-csv`: complete an incomplete CSV by the rules, beside the input, with a report."""
from __future__ import annotations

import csv
import json


def test_populate_estados_orden_from_oro(duck_project):
    p = duck_project
    manifest = p.generate(scale=0.1)
    missing = manifest["csv"]["ventas/estados_orden.csv"]["missing_codes"]
    assert missing
    src = p.tmp / "inputs" / "ventas" / "estados_orden.csv"
    with src.open("a", encoding="utf-8") as fh:
        fh.write(",En espera,,false,9\n")  # a row with no codigo: gets a generated id
    before = list(csv.DictReader(src.open(encoding="utf-8")))
    empty_description = [r["codigo"] for r in before if r["codigo"] and not r["descripcion"]]
    assert empty_description, "the demo leaves one status without a description"
    original = src.read_bytes()
    out = p.run("populate-csv", str(src)).stdout
    result = p.tmp / "inputs" / "ventas" / "estados_orden_completo.csv"
    assert result.exists() and "estados_orden_completo.csv" in out
    rows = list(csv.DictReader(result.open(encoding="utf-8")))
    codes = {r["codigo"] for r in rows}
    assert set(missing) <= codes
    assert len(rows) == len(before) + len(missing)
    assert any(c.startswith("AUTO_ESTADOS_ORDEN_") for c in codes)
    for r in rows:
        if r["codigo"] in missing:
            assert r["nombre"] and r["es_final"] in ("true", "false")
        if r["codigo"] in empty_description:  # every column the rules can fill is filled
            assert r["descripcion"].endswith("(completado desde Oro)"), r
    report = json.loads((p.tmp / "reports" / "validation" / "populate_estados_orden.json").read_text())
    assert report["original_rows"] == len(before)
    assert report["final_rows"] == len(rows)
    assert report["rows_added"] == len(missing)
    pops = {(x["column"], x["rule"]): x["filled"] for x in report["populations"]}
    assert pops[("codigo", "fila_desde_oro")] == len(missing)
    assert pops[("codigo", "id_generado")] == 1
    assert pops[("descripcion", "valor_desde_oro")] == len(empty_description)
    assert f"descripcion: {len(empty_description)} valores" in report["fields_populated"]
    assert {v["check"]: v["status"] for v in report["validations"]} == {
        "lineas_mal_formadas": "passed", "claves_vacias": "fixed"}
    assert src.read_bytes() == original, "the input is never modified"


def test_populate_missing_file_is_a_clear_error(duck_project):
    proc = duck_project.run("populate-csv", str(duck_project.tmp / "nope.csv"), expect=2)
    assert "nope.csv does not exist" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
