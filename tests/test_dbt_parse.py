"""A run parses the project once (ingest.dbt_runner.prepare), from dbt's partial-parse file of the
last run when there is one. dbt 1.11's partial parse can lose a node (seen here: after a generic
test's macro changed, the snapshot `snap_clientes`, declared in YAML, went missing, and every run
stopped with "depends on a node named 'snap_clientes' which was not found" until the file was
deleted by hand). The run then parses the whole project: the real dbt, on a copy of the project,
with a partial-parse file that lost that node."""
from __future__ import annotations

import logging
import shutil

from conftest import ROOT


def test_a_partial_parse_that_lost_a_node_falls_back_to_a_full_parse(tmp_path, monkeypatch):
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumaro_encoder, extended_mashumuro_decoder

    from ingest import dbt_runner

    proj = tmp_path / "proyecto"
    for folder in ("models", "macros", "seeds", "snapshots", "tests/generic"):
        shutil.copytree(ROOT / folder, proj / folder)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(ROOT / name, proj / name)
    monkeypatch.setenv("DBT_TARGET_PATH", str(proj / "target"))
    monkeypatch.setenv("PUNTAFINA_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    monkeypatch.setattr(dbt_runner, "_MANIFESTS", {})
    dbt_vars = {"csv_on_error": "skip"}
    assert dbt_runner.prepare(proj, "duckdb", dbt_vars)     # the first parse writes the file

    # the file loses the snapshot, and a model that reads it changes (so its refs are resolved again)
    saved = proj / "target" / "partial_parse.msgpack"
    manifest = Manifest.from_msgpack(saved.read_bytes(), decoder=extended_mashumuro_decoder)
    assert manifest.nodes.pop("snapshot.puntafina.snap_clientes", None) is not None
    saved.write_bytes(manifest.to_msgpack(extended_mashumaro_encoder))
    model = proj / "models" / "dimensions" / "dim_cliente.sql"
    model.write_text(model.read_text() + "\n-- changed\n")

    said = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    logger = logging.getLogger("puntafina")
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.INFO
    monkeypatch.setattr(dbt_runner, "_MANIFESTS", {})
    try:
        assert dbt_runner.prepare(proj, "duckdb", dbt_vars)
    finally:
        logger.removeHandler(handler)
        logger.level = level
    assert any("partial parse failed" in line and "snap_clientes" in line for line in said), said
    parsed = next(iter(dbt_runner._MANIFESTS.values()))
    assert "snapshot.puntafina.snap_clientes" in parsed.nodes
    # the full parse rewrote the file: it holds the snapshot again
    again = Manifest.from_msgpack(saved.read_bytes(), decoder=extended_mashumuro_decoder)
    assert "snapshot.puntafina.snap_clientes" in again.nodes
