"""dbt through its Python API (dbtRunner), with one progress line per finished node.

dbt runs in this process only after every dlt pipeline has finished and closed its
connection, so the DuckDB file is never held by two writers.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ingest.logs import get_logger

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

_MARK = {"success": "ok", "pass": "ok", "warn": "WARN", "error": "ERROR", "fail": "FAIL", "skipped": "skip"}


@dataclass
class DbtResult:
    ok: bool
    counts: dict[str, int] = field(default_factory=dict)   # status -> nodes
    built: dict[str, int] = field(default_factory=dict)    # resource type -> nodes built
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: list = field(default_factory=list)


def run_dbt(args: list[str], root: Path, target: str, dbt_vars: dict, quiet_nodes: bool = False) -> DbtResult:
    from dbt.cli.main import dbtRunner

    log = get_logger("dbt")
    out = DbtResult(ok=True)

    def on_event(event) -> None:
        if event.info.name != "NodeFinished":
            return
        data = event.data
        info = data.node_info
        status = data.run_result.status
        rtype = info.resource_type
        name = info.node_name
        mark = _MARK.get(status, status)
        secs = data.run_result.execution_time
        msg = data.run_result.message or ""
        line = f"    {mark:<5} {rtype:<9} {name}  ({secs:.1f} s)"
        if status in ("error", "fail"):
            out.failures.append(f"{rtype} {name}: {msg}")
            log.error(line + (f"  {msg}" if msg else ""))
        elif status == "warn":
            out.warnings.append(f"{rtype} {name}: {msg}")
            log.warning(line + (f"  {msg}" if msg else ""))
        elif rtype in ("test", "unit_test") or quiet_nodes:
            log.debug(line)  # passing tests: in the log file at DEBUG, counted in the summary
        else:
            log.info(line)

    # unit tests are development checks (run by the test suite with `dbt test`), not part of a load
    full = [*args, "--exclude-resource-type", "unit_test", "--project-dir", str(root), "--profiles-dir", str(root), "--target", target,
            "--vars", json.dumps(dbt_vars), "--log-path", str(root / "logs" / "dbt"),
            "--log-level", "none", "--log-level-file", "info"]
    res = dbtRunner(callbacks=[on_event]).invoke(full)
    if res.exception is not None:
        out.ok = False
        text = " ".join(line.strip() for line in str(res.exception).strip().splitlines() if line.strip())
        out.failures.append(f"dbt could not run: {text[:600] or type(res.exception).__name__}")
        log.error(f"    {out.failures[-1]}")
        return out
    results = getattr(res.result, "results", None) or []
    out.results = results
    for r in results:
        status = str(r.status)
        out.counts[status] = out.counts.get(status, 0) + 1
        if status == "success":
            rtype = r.node.resource_type
            out.built[str(rtype)] = out.built.get(str(rtype), 0) + 1
    out.ok = bool(res.success)
    return out
