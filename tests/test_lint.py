"""SQL style: sqlfluff with the dbt templater is clean on every model and snapshot (.sqlfluff)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_sqlfluff_clean(tmp_path):
    env = dict(os.environ, PUNTAFINA_DUCKDB_PATH=str(tmp_path / "lint.duckdb"), DBT_TARGET_PATH=str(tmp_path / "t"),
               DO_NOT_TRACK="1")
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    proc = subprocess.run([str(sqlfluff), "lint", "models", "snapshots", "--format", "json", "--processes", "2"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    files = json.loads(proc.stdout or "[]")
    assert len(files) > 50, proc.stderr[-3000:]
    violations = [f"{f['filepath']}:{v['start_line_no']} {v['code']} {v['description']}"
                  for f in files for v in f["violations"]]
    assert not violations, "\n".join(violations[:50])
