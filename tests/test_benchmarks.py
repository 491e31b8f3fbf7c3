"""The benchmarks keep working (issue 7: a CI-sized smoke, so they cannot rot).

Nothing here asserts a time: the machines are shared and noisy. Each benchmark runs at a
tiny size through its real path and must finish, check its own rows and print the figures
and ratios it exists for; the figures themselves are in benchmarks/README.md.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT, require_pg


def _bench(*args: str, timeout: int = 900) -> str:
    env = dict(os.environ, DO_NOT_TRACK="1", RUNTIME__DLTHUB_TELEMETRY="false", PYTHONUNBUFFERED="1")
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args[0]} exited {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_run_cost_smoke():
    out = _bench("benchmarks/run_cost.py", "--scale", "0.05", "--runs", "full", "rebuild", "direct", "no_change")
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("0.05 ")]
    assert [r[2] for r in rows] == ["full", "rebuild", "no_change"], out
    assert all(float(r[3]) > 0 and float(r[4]) > 0 and float(r[5]) > 0 for r in rows), out  # wall, CPU, RSS
    # the full run and the rebuild publish dw, the no-change one has nothing to
    assert float(rows[0][6]) > 0 and float(rows[1][6]) > 0 and float(rows[2][6]) == 0, out
    assert "scale 0.05 duckdb: no-change/full" in out and "rebuild (warm full run)" in out, out
    # the rebuild's compiled SQL, run without dbt: every model and data test of the project
    direct = re.search(r"dbt vs direct SQL: the rebuild run's dbt phases ([\d.]+) s wall, its (\d+) compiled "
                       r"models and tests \(of (\d+) in the project\) run directly ([\d.]+) s", out)
    assert direct and int(direct[2]) == int(direct[3]) > 200 and float(direct[1]) > 0 and float(direct[4]) > 0, out


def test_el_throughput_smoke():
    require_pg()
    out = _bench("benchmarks/el_throughput.py", "--rows", "20000", "--chunk-size", "5000")
    assert "COPY binary" in out and "run_etl ingest -> duckdb" in out and "run_etl ingest -> postgres" in out, out
    assert "| NO |" not in out, out


def test_run_cost_ingest_against_copy_smoke():
    """run_cost's `copy`: the extract of `ingest --full-refresh` beside a binary COPY of the same
    Oro tables in the same run (PostgreSQL sources), with rows on both sides."""
    require_pg()
    out = _bench("benchmarks/run_cost.py", "--scale", "0.05", "--target", "postgres", "--runs", "full", "copy")
    m = re.search(r"ingest vs COPY: the extract of `ingest --full-refresh` ([\d.]+) s \(([\d,]+) Oro rows.*COPY binary "
                  r"of the same (\d+) tables psql -> psql ([\d.]+) s \(([\d,]+) rows.*ingest / COPY ([\d.]+)", out)
    assert m, out
    assert int(m[3]) >= 40 and float(m[1]) > 0 and float(m[4]) > 0, out
    # the extract loaded what COPY copied (every source row, quarantined ones aside: none in the demo)
    assert int(m[2].replace(",", "")) == int(m[5].replace(",", "")) > 0, out
