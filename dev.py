#!/usr/bin/env python3
"""The two quick-start commands, needing nothing but Python 3.10+:

    python3 dev.py run     # install (once) into .venv, then run the whole pipeline (args go to run_etl.py)
    python3 dev.py test    # install (once) into .venv, then run the test suite (args go to pytest;
                           # default: -q --durations=15 -n <cores, at most 4> --dist loadscope
                           # --no-loadscope-reorder tests)

Installation creates .venv, installs the pinned requirements.lock and the `puntafina`
command (pyproject.toml, editable: `.venv/bin/puntafina run` = `python run_etl.py run`);
it is redone only when requirements.lock or pyproject.toml changes. `python3 dev.py
install` installs without running anything.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def install() -> None:
    stamp = VENV / ".requirements.sha256"
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return
    if sys.version_info < (3, 10):
        sys.exit(f"Python 3.10 or newer is needed (this is {sys.version.split()[0]}).")
    print(f"Installing into {VENV} (once; takes a minute or two) ...", flush=True)
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    subprocess.run(pip + ["-r", str(LOCK)], check=True)
    # the `puntafina` command (pyproject.toml), editable, without touching the pinned packages;
    # quiet unless it fails (setuptools warns about every editable install)
    proc = subprocess.run(pip + ["--no-deps", "-e", str(ROOT)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"Installing the puntafina command failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "install"):
        print(__doc__)
        return 2
    install()
    env = dict(os.environ, DO_NOT_TRACK="1", RUNTIME__DLTHUB_TELEMETRY="false",
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    if argv[0] == "install":
        return 0
    if argv[0] == "run":
        cmd = [str(PY), str(ROOT / "run_etl.py"), *argv[1:]]
    else:
        # one pytest-xdist worker per core (at most 4: each runs whole pipelines); tests that share
        # a built warehouse stay on one worker (tests/conftest.py: one unit per module and warehouse),
        # and units go out slowest first as conftest orders them (xdist's own reorder sorts by test
        # count, which left the longest single test, a 5-minute one, to run alone at the end)
        workers = str(max(1, min(4, os.cpu_count() or 1)))
        cmd = [str(PY), "-m", "pytest",
               *(argv[1:] or ["-q", "--durations=15", "-n", workers, "--dist", "loadscope",
                              "--no-loadscope-reorder", "tests"])]
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
