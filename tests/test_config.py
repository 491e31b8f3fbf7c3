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
    ("deletes:\n  check_every_days: 0\n", "deletes.check_every_days: 0 is not valid; expected a positive number"),
    ("deletes:\n  small_table_rows: -1\n", "deletes.small_table_rows: -1 is not valid"),
    ("deletes:\n  enabled: sometimes\n", "deletes.enabled: expected true/false"),
    ("deletes:\n  every_days: 3\n", "deletes.every_days: unknown key"),
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
    assert cfg["deletes"] == {"enabled": True, "check_every_days": 7, "small_table_rows": 100000}


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


# ------------------------------------------------------------------ what reaches SQL (issue 9, item 8)
# Identifiers from the config (column names of the population rules, the id prefix, the schemas of a
# source URL's search_path) are never quoted in SQL, so a quote or `;` is refused before anything runs.
# Values (population defaults) are data: quotes and `;` are kept and written as quoted SQL literals;
# tests/reliability/test_privilege_privacy.py shows such a default reaching dim_almacen as written.
QUOTE_AND_SEMICOLON = "x'; drop table dw.dim_cliente; --"


@pytest.mark.parametrize("text, needle", [
    (f'population_rules:\n  defaults:\n    "{QUOTE_AND_SEMICOLON}": activo\n',
     f"population_rules.defaults.{QUOTE_AND_SEMICOLON}: not a valid column name"),
    ('population_rules:\n  defaults:\n    "pais;": El Salvador\n', "population_rules.defaults.pais;: not a valid column name"),
    (f'population_rules:\n  default_dates: [created_at, "{QUOTE_AND_SEMICOLON}"]\n',
     "population_rules.default_dates: \"x'; drop table dw.dim_cliente; --\" is not a valid column name"),
    ("population_rules:\n  generated_ids: {prefix: \"AUTO'_\"}\n",
     "population_rules.generated_ids.prefix: \"AUTO'_\" is not valid"),
    ("population_rules:\n  generated_ids: {prefix: \"AUTO_;\"}\n",
     "population_rules.generated_ids.prefix: 'AUTO_;' is not valid"),
    ('population_rules:\n  defaults:\n    pais: "El\\u0000Salvador"\n',
     "population_rules.defaults.pais: the default 'El\\x00Salvador' holds a control character"),
    ("population_rules:\n  defaults:\n    moneda: .nan\n", "population_rules.defaults.moneda: nan is not a usable default"),
    ("sources:\n  orocommerce:\n    url: \"postgresql://etl:secret@127.0.0.1:5432/oro?options=-csearch_path%3Doro'%3Bdrop\"\n",
     "sources.orocommerce.url: the search_path of its options names the schema \"oro';drop\""),
    ("sources:\n  orocrm:\n    url: \"postgresql://etl:secret@127.0.0.1:5432/crm?options=-c%20search_path%3Dcrm,%22pub%22\"\n",
     "sources.orocrm.url: the search_path of its options names the schema '\"pub\"'"),
])
def test_identifiers_with_quotes_or_semicolons_are_refused(tmp_path, text, needle):
    proc = _run(tmp_path, text + _paths(tmp_path))
    _assert_user_error(proc, needle)
    assert "secret" not in proc.stdout + proc.stderr, "credentials must never be printed"
    assert not (tmp_path / "wh.duckdb").exists(), "nothing may be written before the config is valid"


def test_values_with_quotes_and_semicolons_are_kept_as_data(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f'population_rules:\n  defaults:\n    pais: "{QUOTE_AND_SEMICOLON}"\n    moneda: 7.5\n'
                   "sources:\n  orocommerce:\n    url: postgresql://etl@h:5432/oro?options=-c%20search_path%3Doro,public\n"
                   f"  csv:\n    path: \"{tmp_path}/o'brien; drop\"\n", encoding="utf-8")
    loaded = load_config(cfg)
    assert loaded.dbt_vars()["population_rules"]["defaults"] == {"pais": QUOTE_AND_SEMICOLON, "moneda": 7.5}
    assert loaded.csv_dir == tmp_path / "o'brien; drop"
    from ingest.config import search_path_schemas

    assert search_path_schemas(loaded["sources"]["orocommerce"]["url"]) == ["oro", "public"]


def test_a_search_path_in_a_source_url_reaches_every_source_connection():
    """The readers add their timeout and read-only options after the URL's own, never instead of them
    (before, the slices and fingerprints dropped a search_path the column check used)."""
    from urllib.parse import parse_qsl, urlsplit

    from ingest.sources.sql_tables import PostgresReader

    reader = PostgresReader("postgresql://etl@h:5432/oro?options=-c%20search_path%3Doro&sslmode=prefer", timeout=30)
    sent = dict(parse_qsl(urlsplit(reader.cx_url).query))
    assert sent["options"] == reader.options == ("-c search_path=oro -c statement_timeout=30000 "
                                                 "-c default_transaction_read_only=on")
    assert sent["sslmode"] == "prefer"
    plain = PostgresReader("postgresql://etl@h:5432/oro", timeout=2)
    assert plain.options == "-c statement_timeout=2000 -c default_transaction_read_only=on"
