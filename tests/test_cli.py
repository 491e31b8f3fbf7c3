"""The first contact with the command line: the README's quick start is what CI runs, `setup --demo`
prints its counts, `dbt test` on an unbuilt warehouse says what to run, and user mistakes are one
paragraph on stderr (and in logs/errors/) with exit code 2, never a traceback."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"#+ *Quick start.*?```[a-z]*\n(.*?)```", readme, re.S | re.I)
    assert block, "README.md has no Quick start code block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.split("#", 1)[0].strip()]


def test_ci_runs_the_readme_quick_start_exactly_as_written():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    for cmd in commands:
        assert cmd in ci_lines, f"the README's quick-start command {cmd!r} is not a line of .ci/run"
    # the pipeline first, then the tests, in the README's order
    assert ci_lines.index(commands[0]) < ci_lines.index(commands[1])


def _run_etl(tmp_path: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PUNTAFINA_DUCKDB_PATH=str(tmp_path / "wh.duckdb"), DO_NOT_TRACK="1")
    env.pop("PUNTAFINA_TARGET", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, str(ROOT / "run_etl.py"), *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT)


def _assert_one_error_on_stderr(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert "error:" not in proc.stdout, "errors belong on stderr, not stdout"
    for needle in needles:
        assert needle in errors[0], errors[0]


@pytest.mark.parametrize("args, env, needles", [
    (("statsu",), {}, ("unknown command 'statsu'", "run, ingest, validate, status, reset, setup, populate-csv")),
    (("--target", "postgres", "stauts"), {}, ("unknown command 'stauts'",)),
    (("run",), {"PUNTAFINA_TARGET": "nosuch"}, ("PUNTAFINA_TARGET='nosuch'", "duckdb, postgres")),
    (("run", "--target", "nosuch"), {}, ("invalid choice: 'nosuch'", "'duckdb', 'postgres'")),
])
def test_user_mistakes_are_one_error_on_stderr(tmp_path, args, env, needles):
    proc = _run_etl(tmp_path, *args, env_extra=env)
    if "--target" in args and "nosuch" in args:  # argparse's own message: usage line + error line
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert all(n in proc.stderr for n in needles) and not proc.stdout
        return
    _assert_one_error_on_stderr(proc, *needles)


def test_config_and_run_errors_go_to_stderr_and_the_errors_log(tmp_path):
    bad = tmp_path / "etl_config.yaml"
    bad.write_text(f"monitoring: {{log_dir: {tmp_path}/logs}}\nbatch: {{chunk_size: 0}}\n", encoding="utf-8")
    proc = _run_etl(tmp_path, "ingest", "--config", str(bad))
    _assert_one_error_on_stderr(proc, "batch.chunk_size")
    # before the config is read, the log folder is the project's logs/
    errors_log = sorted((ROOT / "logs" / "errors").glob("errors_*.log"))[-1].read_text(encoding="utf-8")
    assert "batch.chunk_size: 0 is not valid" in errors_log

    good = tmp_path / "ok.yaml"
    good.write_text(f"monitoring: {{log_dir: {tmp_path}/logs, report_dir: {tmp_path}/reports}}\n"
                    f"recovery: {{checkpoint_dir: {tmp_path}/ck}}\n"
                    "sources:\n  orocommerce: {url: 'sqlite:////nonexistent/oro.sqlite'}\n", encoding="utf-8")
    proc = _run_etl(tmp_path, "ingest", "--sources", "orocommerce", "--config", str(good))
    _assert_one_error_on_stderr(proc, "/nonexistent/oro.sqlite")
    logged = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "logs" / "errors").glob("*.log"))
    assert "/nonexistent/oro.sqlite" in logged


def test_setup_demo_and_evolve_print_their_counts(duck_project):
    out = duck_project.run("setup", "--demo", "--scale", "0.1").stdout
    assert "Traceback" not in out
    assert re.search(r"orocommerce\s+[\d,]+", out) and re.search(r"csv_data_lines\s+[\d,]+", out), out
    out = duck_project.run("setup", "--demo", "--evolve", "1").stdout
    assert re.search(r"inserted\s+orocommerce\s+[\d,]+", out), out
    assert re.search(r"deleted\s+orocommerce\s+[\d,]+", out) and re.search(r"deleted\s+orocrm\s+[\d,]+", out), out
    assert re.search(r"csv\s+\S*transacciones_tienda\S*\s+[\d,]+", out), out


def test_dbt_test_on_an_unbuilt_warehouse_says_what_to_run(tmp_path):
    dbt = str(Path(sys.executable).with_name("dbt"))
    env = dict(os.environ, PUNTAFINA_DUCKDB_PATH=str(tmp_path / "wh.duckdb"), DBT_TARGET_PATH=str(tmp_path / "t"),
               DBT_LOG_PATH=str(tmp_path / "dbt_logs"), DO_NOT_TRACK="1")
    proc = subprocess.run([dbt, "--no-use-colors", "test"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Traceback" not in out, out
    assert "The warehouse (target duckdb) is not built yet" in out and "python run_etl.py" in out, out
    assert "raw_csv." in out, "the message names what is missing"


def test_status_before_anything_was_built(tmp_path):
    """`status` on a fresh installation: no warehouse yet, no run, nothing loaded; exit 0, read-only."""
    env = dict(os.environ, PUNTAFINA_DUCKDB_PATH=str(tmp_path / "none.duckdb"), DO_NOT_TRACK="1")
    cfg = tmp_path / "etl_config.yaml"
    cfg.write_text(f"recovery: {{checkpoint_dir: {tmp_path / 'cp'}}}\nmonitoring: {{log_dir: {tmp_path / 'logs'}}}\n")
    proc = subprocess.run([sys.executable, str(ROOT / "run_etl.py"), "status", "--config", str(cfg)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "the warehouse does not exist yet" in proc.stdout and "no run recorded yet" in proc.stdout
    assert "orocommerce  never loaded" in proc.stdout
    assert not (tmp_path / "none.duckdb").exists(), "status must not create the warehouse"


def test_version():
    proc = subprocess.run([sys.executable, str(ROOT / "run_etl.py"), "--version"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and re.fullmatch(r"puntafina-etl \S+ \(dbt-core 1\.11\.\S+, .*dlt \S+; Python \S+\)\n",
                                                 proc.stdout), proc.stdout + proc.stderr


def test_the_installed_puntafina_command(tmp_path):
    """pyproject.toml's `puntafina` command (installed editable by dev.py install) is run_etl.py:
    same version (pyproject's = dbt_project.yml's), --help with the exit codes and examples, and a
    user mistake is exit 2 with the valid choices; it works from any folder."""
    import tomllib

    exe = Path(sys.executable).with_name("puntafina.exe" if os.name == "nt" else "puntafina")
    assert exe.is_file(), f"{exe} is missing: python3 dev.py install puts it there"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dbt_version = re.search(r'^version:\s*"?([^"\s]+)', (ROOT / "dbt_project.yml").read_text(encoding="utf-8"), re.M)
    assert project["version"] == dbt_version.group(1)
    assert project["scripts"]["puntafina"] == "run_etl:main"

    def run(*args):
        return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith(f"puntafina-etl {project['version']} ("), proc.stderr
    proc = run("--help")
    assert proc.returncode == 0 and "Exit codes: 0 success" in proc.stdout and "puntafina run" in proc.stdout
    assert proc.stdout.startswith("usage: puntafina"), proc.stdout[:200]
    proc = run("nosuch")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "populate-csv" in proc.stderr, proc.stderr


@pytest.mark.parametrize("verbosity, shown, hidden", [
    ("quiet", ["the summary line", "an error"], ["a progress line", "a warning", "a passing check"]),
    ("normal", ["the summary line", "an error", "a progress line", "a warning"], ["a passing check"]),
    ("verbose", ["the summary line", "an error", "a progress line", "a warning", "a passing check"], []),
])
def test_quiet_and_verbose_console(tmp_path, verbosity, shown, hidden):
    """--quiet: the summary and errors only; --verbose: DEBUG too; the log file is the same for all."""
    import io

    from ingest.logs import SUMMARY, get_logger, setup_logging

    console = io.StringIO()
    log = setup_logging(tmp_path / "logs", "INFO", "text", console=console, verbosity=verbosity)
    log.info("a progress line")
    log.debug("a passing check")
    log.warning("a warning")
    get_logger(SUMMARY[len("puntafina."):]).info("the summary line")
    log.error("an error")
    text = console.getvalue()
    assert all(s in text for s in shown) and not any(h in text for h in hidden), text
    etl_log = next((tmp_path / "logs" / "etl").glob("*.log")).read_text()
    assert all(s in etl_log for s in ("a progress line", "a warning", "the summary line", "an error"))
    assert "a passing check" not in etl_log  # monitoring.log_level INFO: the file does not follow --verbose


def _run_on_a_terminal(project, *args: str) -> tuple[int, str]:
    """The command with a pseudo-terminal as its stdout and stderr, as a person at a terminal runs it."""
    master, slave = os.openpty()
    env = dict(project.env, COLUMNS="120", LINES="40", TERM="xterm-256color")
    env.pop("PUNTAFINA_PROGRESS", None)
    proc = subprocess.Popen(project.cmd(*args), env=env, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL,
                            cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the command closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    text = b"".join(chunks).decode("utf-8", "replace")
    return proc.wait(timeout=600), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # without the colours


def test_progress_bars_on_a_terminal_and_plain_lines_elsewhere(duck_project):
    """On a terminal: a bar per table with its rows read of the rows counted at the start and the
    time left, then a bar of dbt nodes for the build; not on a terminal (cron, CI, a pipe): no bar,
    the periodic lines. The bars do not swallow the log lines: the summary is there either way."""
    project = duck_project
    project.env["DBT_TARGET_PATH"] = str(project.tmp / "dbt_target")
    project.generate(scale=0.1)
    rc, out = _run_on_a_terminal(project, "run")
    assert rc == 0, out[-3000:]
    n_lines = project.source_query("orocommerce", "select count(*) from oro_order_line_item")[0][0]
    assert re.search(rf"orocommerce\.oro_order_line_item .*━.* {n_lines}/{n_lines}\s+rows eta", out), out[-3000:]
    assert re.search(r"dbt: Build everything .*━.* \d+/\d+\s+nodes eta", out), out[-3000:]
    assert "status       SUCCESS" in out

    piped = project.run("ingest", "--full-refresh")  # stdout is a pipe here
    assert "━" not in piped.stdout and "chunk" in piped.stdout and "status       SUCCESS" in piped.stdout


def test_a_console_reader_that_goes_away_prints_no_traceback(tmp_path, capsys):
    """`run_etl.py … | head`: once the reader has gone, the console's lines go nowhere (no
    BrokenPipeError traceback per line on stderr) and the log file still gets every line."""
    from ingest.logs import setup_logging

    class GoneReader:
        def write(self, _text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

    log = setup_logging(tmp_path, "INFO", console=GoneReader())
    try:
        for i in range(3):
            log.info(f"line {i}")
        log.error("an error after the reader left")
    finally:
        for h in list(log.handlers):
            h.close()
            log.removeHandler(h)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    (etl_log,) = (tmp_path / "etl").glob("*.log")
    text = etl_log.read_text()
    assert "line 2" in text and "an error after the reader left" in text
