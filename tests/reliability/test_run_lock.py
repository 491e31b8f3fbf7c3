"""One run at a time per warehouse: a second run refuses at once naming the running one; a lock
left by a killed run is found stale and cleared. Real subprocesses, both targets."""
from __future__ import annotations

import json
import os
import signal
import time


def _lock_path(project):
    if project.target == "duckdb":
        return project.tmp / "warehouse.duckdb.lock"
    return project.tmp / "checkpoints" / f"run_{project.env['DW_DATABASE']}.lock"


def _wait_for_holder(proc, path, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the first run ended before the second one started"
        try:
            doc = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            doc = {}
        if doc.get("pid") == proc.pid:
            return doc
        time.sleep(0.2)
    raise AssertionError(f"the first run never took the lock {path}")


def test_second_run_refuses_then_a_killed_runs_lock_is_cleared(project):
    project.generate(scale=0.3)
    project.write_config(batch={"chunk_size": 300, "max_retries": 0, "retry_delay": 0})
    first = project.popen("ingest")
    try:
        holder = _wait_for_holder(first, _lock_path(project))
        t0 = time.monotonic()
        second = project.run("run", expect=3)
        refused_in = time.monotonic() - t0
        assert "another run is using" in second.stderr and f"pid {first.pid}" in second.stderr, second.stderr
        assert holder["started_at"][:10] in second.stderr and "run_etl.py ingest" in second.stderr
        assert "Traceback" not in second.stdout + second.stderr
        assert "Extract" not in second.stdout, "a refused run must do nothing"
        assert refused_in < 60, f"refusing took {refused_in:.0f} s"
        assert first.poll() is None, "the refused run must not disturb the running one"
    finally:
        if first.poll() is None:
            os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=60)
    # the killed run's lock file still names it, but its lock died with it: stale, cleared
    assert json.loads(_lock_path(project).read_text(encoding="utf-8"))["pid"] == first.pid
    again = project.run("ingest")
    assert "was found stale and cleared" in again.stdout + again.stderr, again.stdout[-3000:]
    assert f"pid {first.pid}" in again.stdout + again.stderr
    assert _lock_path(project).read_text(encoding="utf-8") == "", "a finished run leaves its lock free"
    assert project.raw_counts() == project.source_counts()
