"""Bad configuration is a one-paragraph error naming the key or host, exit code 2, nothing written."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from conftest import ROOT
from ingest.config import ConfigError, load_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(tmp_path, config_text: str | None, *extra: str, env_extra: dict | None = None):
    import os

    env = dict(os.environ, PUNTAFINA_DUCKDB_PATH=str(tmp_path / "wh.duckdb"), DO_NOT_TRACK="1")
    env.update(env_extra or {})
    args = [sys.executable, str(ROOT / "run_etl.py"), "ingest"]
    if config_text is not None:
        cfg = tmp_path / "etl_config.yaml"
        cfg.write_text(config_text, encoding="utf-8")
        args += ["--config", str(cfg)]
    return subprocess.run(args + list(extra), capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def _paths(tmp_path) -> str:
    return (f"monitoring: {{log_dir: {tmp_path}/logs, report_dir: {tmp_path}/reports}}\n"
            f"recovery: {{checkpoint_dir: {tmp_path}/ck}}\n")


def _assert_user_error(proc, *needles: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out, out
    for n in needles:
        assert n in out, f"{n!r} not in:\n{out}"
    error_lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, out


@pytest.mark.parametrize("text, needle", [
    ("batch:\n  chunk_sise: 10\n", "batch.chunk_sise: unknown key (did you mean batch.chunk_size?)"),
    ("batch:\n  chunk_size: many\n", "batch.chunk_size: expected an integer"),
    ("batch:\n  chunk_size: 0\n", "batch.chunk_size: 0 is not valid"),
    ("batch:\n  timeout: true\n", "batch.timeout: expected an integer or a number"),
    ("loading:\n  strategy: sometimes\n", "loading.strategy: 'sometimes' is not valid; expected incremental or full"),
    ("monitoring:\n  log_format: xml\n", "monitoring.log_format"),
    ("recovery:\n  enable_checkpoints: maybe\n", "recovery.enable_checkpoints: expected true/false"),
    ("population_rules:\n  defaults:\n    Bad-Col: x\n", "population_rules.defaults.Bad-Col"),
    ("sources:\n  orocommerce:\n    url: ${PUNTAFINA_UNSET_VAR_FOR_TEST}\n", "PUNTAFINA_UNSET_VAR_FOR_TEST is not set"),
    ("batch: [1, 2\n", "is not valid YAML at line"),
    ("surprise: 1\n", "surprise: unknown key"),
])
def test_bad_config_is_one_clear_error(tmp_path, text, needle):
    proc = _run(tmp_path, text)
    _assert_user_error(proc, needle)
    assert not (tmp_path / "wh.duckdb").exists(), "nothing may be written before the config is valid"


def test_missing_config_file(tmp_path):
    args = [sys.executable, str(ROOT / "run_etl.py"), "ingest", "--config", str(tmp_path / "nope.yaml")]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=ROOT)
    _assert_user_error(proc, "nope.yaml does not exist")


def test_unreachable_source_database_names_the_host(tmp_path):
    port = _free_port()
    text = (f"sources:\n  orocommerce:\n    url: postgresql://etl:secret@127.0.0.1:{port}/oro\n"
            f"  csv:\n    path: {tmp_path}\n" + _paths(tmp_path))
    proc = _run(tmp_path, text, "--sources", "orocommerce")
    _assert_user_error(proc, "sources.orocommerce.url", f"127.0.0.1:{port}/oro", "unreachable")
    assert "secret" not in proc.stdout + proc.stderr, "credentials must never be printed"
    assert not (tmp_path / "wh.duckdb").exists()


def test_missing_sqlite_source(tmp_path):
    text = f"sources:\n  orocrm:\n    url: sqlite:///{tmp_path}/missing.sqlite\n" + _paths(tmp_path)
    proc = _run(tmp_path, text, "--sources", "orocrm")
    _assert_user_error(proc, "sources.orocrm.url", "missing.sqlite does not exist")


def test_unreachable_postgres_warehouse_names_the_host(tmp_path):
    port = _free_port()
    text = f"sources:\n  csv:\n    path: {tmp_path}\n" + _paths(tmp_path)
    proc = _run(tmp_path, text, "--sources", "csv", "--target", "postgres",
                env_extra={"DW_HOST": "127.0.0.1", "DW_PORT": str(port), "DW_DATABASE": "DW_oro"})
    _assert_user_error(proc, f"127.0.0.1:{port}", "DW_oro", "unreachable")


def test_unknown_source_system(tmp_path):
    proc = _run(tmp_path, _paths(tmp_path), "--sources", "oracle")
    _assert_user_error(proc, "--sources: unknown source system(s) oracle")


def test_env_defaults_and_values(monkeypatch, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources:\n  orocrm:\n    url: ${CRM_URL_T:-sqlite:///x.sqlite}\n", encoding="utf-8")
    assert load_config(cfg)["sources"]["orocrm"]["url"] == "sqlite:///x.sqlite"
    monkeypatch.setenv("CRM_URL_T", "postgresql://h/db")
    assert load_config(cfg)["sources"]["orocrm"]["url"] == "postgresql://h/db"
    with pytest.raises(ConfigError):
        cfg.write_text("batch: {max_workers: -2}\n", encoding="utf-8")
        load_config(cfg)


def test_shipped_config_is_valid():
    cfg = load_config(ROOT / "etl_config.yaml")
    assert cfg.batch["chunk_size"] > 0 and cfg["loading"]["strategy"] == "incremental"


@pytest.mark.parametrize("argv, target, config", [
    (["--target", "postgres", "setup"], "postgres", None),
    (["setup", "--target", "postgres"], "postgres", None),
    (["--config", "y.yaml", "ingest", "--target", "postgres"], "postgres", "y.yaml"),
    (["run"], "duckdb", None),
])
def test_options_before_or_after_the_command(argv, target, config, monkeypatch):
    monkeypatch.delenv("PUNTAFINA_TARGET", raising=False)
    import run_etl

    args = run_etl.build_parser().parse_args(argv)
    assert (args.target, args.config) == (target, config)


def test_config_values_reach_dbt_as_vars(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("symmetry: {priority: csv}\nprivacy: {mask_pii: true}\n"
                   "population_rules: {defaults: {moneda: EUR}, generated_ids: {prefix: GEN_}}\n", encoding="utf-8")
    v = load_config(cfg).dbt_vars()
    assert v["prioridad_simetria"] == "csv" and v["mask_pii"] is True
    assert v["population_rules"]["defaults"] == {"moneda": "EUR"}
    assert v["population_rules"]["generated_ids"]["prefix"] == "GEN_"
    cfg.write_text("symmetry: {priority: erp}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="symmetry.priority"):
        load_config(cfg)
