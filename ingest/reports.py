"""Validation reports: one JSON per staging model under ``reports/validation/``.

Shaped as the contract asks: ``{source, original_rows, final_rows, rows_added,
validations: [...], populations: [...]}``. ``source`` is the raw table the model reads,
``original_rows`` its row count, ``final_rows`` the staging model's (fewer when duplicates
or rejected lines were dropped). ``validations``: one entry per check, each with its
``validation`` (structure, types, required_fields, referential_integrity, ranges,
duplicates, reconciliation, other), ``status`` (passed | fixed | failed) and failing rows:
structure (declared columns present in the raw table), types (values that did not convert,
from ``audit.audit_conversiones``), then every dbt test on the model, the ``base_`` models it
builds on and the source; a required field that passes because a population rule filled it
is ``fixed``. ``populations``: per rule, ``fields_populated`` as ``"estado: 25 valores"``
(from ``audit.audit_poblacion``).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ingest.logs import get_logger


def _target_path(root: Path) -> Path:
    p = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    return p if p.is_absolute() else root / p


class _Warehouse:
    def __init__(self, wh):
        self.con = wh.connect()

    def query(self, sql: str) -> list[tuple]:
        cur = self.con.cursor()
        try:
            cur.execute(sql)
            return cur.fetchall()
        finally:
            cur.close()

    def close(self) -> None:
        self.con.close()


def _relation(node: dict) -> str:
    return f'"{node["schema"]}"."{node.get("alias") or node.get("identifier") or node["name"]}"'


# dbt's result status -> the report's: passed | fixed (set where a population rule filled the
# field the check requires) | failed (a warn-severity check with failing rows is failed, severity warn)
_STATUS = {"pass": "passed", "success": "passed", "warn": "failed", "fail": "failed", "error": "failed",
           "skipped": "skipped"}
_KINDS = {"not_null": "required_fields", "unique": "duplicates", "combinacion_unica": "duplicates",
          "relationships": "referential_integrity",
          "accepted_values": "ranges", "rango_valores": "ranges", "no_negativo": "ranges",
          "vigencia_scd2": "ranges", "recuento_igual": "reconciliation", "suma_igual": "reconciliation"}


def _kind(generic: str | None, name: str) -> str:
    """What a test validates: structure, types, required_fields, referential_integrity, ranges,
    duplicates (the contract's list), or reconciliation / other for the remaining checks."""
    if generic:
        return _KINDS.get(generic, "other")
    return "reconciliation" if name.startswith("reconciliacion") else "other"


def _structure(con, src: dict) -> dict:
    """Structure: every column the source declares is present in the raw table."""
    declared = {c.lower() for c in src.get("columns", {})}
    rows = con.query("select lower(column_name) from information_schema.columns "
                     f"where table_schema = '{src['schema']}' and table_name = '{src['identifier']}'")
    missing = sorted(declared - {r[0] for r in rows})
    return {"validation": "structure", "test": "declared columns present", "status": "failed" if missing else "passed",
            "failing_rows": 0, "missing_columns": missing}


def _upstream(model: dict, nodes: dict) -> tuple[list[str], list[str]]:
    """The sources a staging model reads, directly or through the staging models it builds on
    (``base_*``), and those intermediate staging models."""
    sources, chain, todo, seen = [], [], list(model["depends_on"]["nodes"]), set()
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        if uid.startswith("source."):
            sources.append(uid)
        elif uid in nodes and nodes[uid]["resource_type"] == "model" and nodes[uid]["path"].startswith("staging/"):
            chain.append(uid)
            todo.extend(nodes[uid]["depends_on"]["nodes"])
    return sorted(sources), sorted(chain)


# what a failing rule of a columnas_validas test means, and what its figure counts
_RULE_FAILS = {"required_fields": "{:,} row(s) with a null (required)", "duplicates": "{:,} repeated value(s) (a key)",
               "ranges": "{:,} row(s) outside the accepted values or range",
               "referential_integrity": "{:,} row(s) whose key its parent lacks"}


_SOURCE_CALL = re.compile(r"""source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)""")


def _rules(meta, sources: dict) -> list[tuple[str, str]]:
    """The checks of one ``columnas_validas`` test (a model's column rules in one query), as
    (validation kind, column) in the order of the test's arguments, one per rule as the
    per-column tests gave them (a key of several columns is named "a, b"). The rules of its raw
    table (``fuente``) name their column ``<table>.<column>``, as the test does."""
    kw = meta.kwargs or {}

    def required_and_keys(args: dict, prefix: str = "") -> list[tuple[str, str]]:
        def listed(name: str) -> list:   # a single name is a list of one, as the test reads it
            value = args.get(name) or []
            return [value] if isinstance(value, str) else list(value)

        return ([("required_fields", prefix + c) for c in listed("requeridas")]
                + [("duplicates", prefix + (k if isinstance(k, str) else ", ".join(k))) for k in listed("unicas")])

    out = required_and_keys(kw)
    out += [("ranges", c) for c in (kw.get("aceptados") or {})]
    out += [("ranges", c) for c in (kw.get("rangos") or {})]
    out += [("referential_integrity", c) for c in (kw.get("relaciones") or {})]
    fuente = kw.get("fuente") or {}
    call = _SOURCE_CALL.search(str(fuente.get("relacion") or ""))
    if call:
        src = next((s for s in sources.values() if (s["source_name"], s["name"]) == call.groups()), None)
        table = (src.get("identifier") or src["name"]) if src else call.group(2)
        out += required_and_keys(fuente, f"{table}.")
    return out


def _per_rule(entry: dict, rules: list[tuple[str, str]], result, failed: list) -> list[dict]:
    """One report entry per rule of a ``columnas_validas`` test. When the test failed, each rule's
    count of failing rows is read from the test's own SQL afterwards (``failed``)."""
    out = []
    sql = getattr(result.node, "compiled_code", None) if entry["status"] == "failed" else None
    for kind, column in rules:
        one = {**entry, "validation": kind, "column": column,
               "failing_rows": 0 if entry["status"] == "passed" else entry["failing_rows"]}
        out.append(one)
        if sql:
            failed.append((one, sql))
    return out


def write_validation_reports(root: Path, report_dir: Path, wh, results: list) -> list[Path]:
    """Write the reports for every staging model that this run built or tested. A model the run
    left alone (a build of what changed) keeps the report of the run that last checked it."""
    log = get_logger("audit")
    manifest_path = _target_path(root) / "manifest.json"
    if not manifest_path.is_file():
        return []
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes, sources = manifest["nodes"], manifest["sources"]
    tests_by_parent: dict[str, list[dict]] = {}
    ran = {getattr(r.node, "unique_id", None) for r in results}
    failed_rules: list[tuple[dict, str]] = []  # (rule entry, the test's SQL): counted below
    for r in results:
        node = r.node
        if getattr(node, "resource_type", None) != "test":
            continue
        meta = getattr(node, "test_metadata", None)
        entry = {"validation": _kind(getattr(meta, "name", None), node.name), "test": node.name,
                 "column": getattr(node, "column_name", None), "status": _STATUS.get(str(r.status), "failed"),
                 "failing_rows": int(r.failures or 0), "severity": str(node.config.severity).lower()}
        entries, parents = [entry], node.depends_on.nodes
        if getattr(meta, "name", None) == "columnas_validas":  # one query, one check per rule
            entries = _per_rule(entry, _rules(meta, sources), r, failed_rules)
            # the tested model's checks (its relations' parents are read, not tested)
            parents = [node.attached_node] if getattr(node, "attached_node", None) else parents
        for parent in parents:
            tests_by_parent.setdefault(parent, []).extend(entries)
    staging = [n for n in nodes.values() if n["resource_type"] == "model" and n["path"].startswith("staging/")]
    if not staging:
        return []
    con = _Warehouse(wh)
    written = []
    try:
        try:
            pops = con.query("select modelo, columna, regla, filas_pobladas from audit.audit_poblacion")
        except Exception:  # noqa: BLE001 - the audit model may not be built in a partial run
            pops = []
        try:
            invalid = con.query("select modelo, columna, filas_invalidas from audit.audit_conversiones")
        except Exception:  # noqa: BLE001
            invalid = []
        found_by_sql: dict[str, dict] = {}
        for rule_entry, sql in failed_rules:  # which rules of a failed columnas_validas fail, and by how many rows
            if sql not in found_by_sql:
                try:
                    found_by_sql[sql] = {(v, c): n for v, c, n in
                                         con.query(f"select validacion, columna, filas from ({sql}) as fallos")}
                except Exception:  # noqa: BLE001 - the relation is gone: the test's own total stays
                    found_by_sql[sql] = None
            found = found_by_sql[sql]
            if found is None:
                continue
            rule_entry["failing_rows"] = int(found.get((rule_entry["validation"], rule_entry["column"]), 0) or 0)
            rule_entry["status"] = "failed" if rule_entry["failing_rows"] else "passed"
            if rule_entry["failing_rows"]:   # dbt says only "Got N results": which rule, on the console
                get_logger().warning(f"    {rule_entry['test']}: {rule_entry['column']}: "
                                     + _RULE_FAILS[rule_entry["validation"]].format(rule_entry["failing_rows"]))
        out_dir = report_dir / "validation"
        out_dir.mkdir(parents=True, exist_ok=True)
        for model in sorted(staging, key=lambda n: n["name"]):
            if not model["name"].startswith("stg_"):
                continue  # base_* models are steps inside a staging model; their checks go in its report
            src_ids, chain = _upstream(model, nodes)
            if len(src_ids) != 1:
                continue
            if not any(uid in ran or uid in tests_by_parent for uid in [model["unique_id"], *chain]):
                continue   # neither built nor tested by this run: its last report stays true
            src = sources[src_ids[0]]
            try:
                original = con.query(f"select count(*) from {_relation(src)}")[0][0]
                final = con.query(f"select count(*) from {_relation(model)}")[0][0]
            except Exception:  # noqa: BLE001 - not built in this run
                continue
            filled = [(c, rule, int(n)) for m, c, rule, n in pops if m == model["name"] and int(n) > 0]
            names = {model["name"], *(nodes[u]["name"] for u in chain)}
            tests = [dict(t) for uid in [model["unique_id"], *chain, src["unique_id"]]
                     for t in tests_by_parent.get(uid, [])]
            populated = {c: n for c, _rule, n in filled}
            for t in tests:  # a required field that passes because the population rules filled it: fixed
                if t["validation"] == "required_fields" and t["status"] == "passed" and populated.get(t["column"]):
                    t["status"], t["fixed_rows"] = "fixed", populated[t["column"]]
            bad_types = [(c, int(n)) for m, c, n in invalid if m in names and int(n) > 0]
            doc = {
                "source": f"{src['schema']}.{src['name']}",
                "model": f"{model['schema']}.{model['name']}",
                "original_rows": int(original),
                "final_rows": int(final),
                "rows_added": int(final) - int(original),
                "validations": [_structure(con, src), {
                    "validation": "types", "test": "audit_conversiones",
                    "status": "failed" if bad_types else "passed",
                    "failing_rows": sum(n for _c, n in bad_types),
                    "columns": {c: n for c, n in bad_types},
                }, *tests],
                "populations": [
                    {"rule": rule,
                     "fields_populated": [f"{c}: {n} valores" for c, r, n in filled if r == rule],
                     "values_populated": sum(n for _c, r, n in filled if r == rule)}
                    for rule in sorted({r for _c, r, _n in filled})],
            }
            path = out_dir / f"{model['name']}.json"
            path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
            written.append(path)
            failed = sum(1 for v in doc["validations"] if v["status"] == "failed")
            log.info(f"validation {doc['source']} -> {doc['model']}: {original} -> {final} rows, "
                     f"{len(doc['validations'])} checks ({failed} failed), "
                     f"{sum(p['values_populated'] for p in doc['populations'])} values populated")
    finally:
        con.close()
    return written


def warehouse_row_counts(wh, schema: str = "dw") -> dict[str, int]:
    """Rows in every table of a warehouse schema (the dimensions and facts after a build)."""
    con = _Warehouse(wh)
    try:
        names = [r[0] for r in con.query(
            "select table_name from information_schema.tables "
            f"where table_schema = '{schema}' and table_type = 'BASE TABLE' order by table_name")]
        return {n: int(con.query(f'select count(*) from "{schema}"."{n}"')[0][0]) for n in names}
    finally:
        con.close()
