"""dbt through its Python API (dbtRunner), with one progress line per finished node.

dbt runs (opens the warehouse) only after every dlt pipeline has finished and closed its
connection, so the DuckDB file is never held by two writers; it may parse the project before,
while the extract runs (``prepare``).
"""
from __future__ import annotations

import json
import os
import threading
import time
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


_MANIFESTS: dict[tuple, object] = {}
_PARSING = threading.Lock()
# read by macros/publicacion.sql's on-run-end hook only while it runs (never while parsing):
# "no" keeps a `dbt build` from publishing dw (run_etl.py publishes from its last invocation only)
PUBLISH_ENV = "PUNTAFINA_PUBLICAR"
# a progress line (nodes done / total, time left) at most this often while dbt builds
PROGRESS_EVERY_S = float(os.environ.get("PUNTAFINA_PROGRESS_EVERY_S", "5"))


def _manifest(common: list[str]):
    """The project parsed once per process and settings: every dbt invocation of a run (the build,
    a retry, a rebuild after an upgrade) uses it instead of parsing the project again (seconds
    each, before any SQL). Keyed by the flags that shape the manifest (target, vars) and the
    environment variables profiles.yml reads. None when parsing fails: the invocation then parses
    and reports it."""
    env = tuple(sorted((k, v) for k, v in os.environ.items()
                       if k.startswith(("PUNTAFINA_", "DW_", "DBT_")) and k != PUBLISH_ENV))
    key = (tuple(common), env)
    with _PARSING:  # one parse at a time: a run's build waits for the parse begun during its extract
        if key not in _MANIFESTS:
            from dbt.cli.main import dbtRunner

            # --no-write-json: the build writes manifest.json; written here too it cost a second
            # write of the same manifest, 1.6-1.8 s a run at this project's size
            # (benchmarks/README.md). The partial-parse file is still written.
            res = dbtRunner().invoke(["parse", "--no-write-json", *common])
            if not res.success or res.result is None:
                # dbt's partial parse (the last parse's target/partial_parse.msgpack, updated with the
                # files that changed) can lose nodes: with dbt 1.11, after a generic test's macro
                # changed, a snapshot declared in YAML went missing ("depends on a node named
                # 'snap_clientes' which was not found"). A full parse settles whether the project
                # itself is broken, and rewrites that file for the next run.
                get_logger("dbt").info(f"    dbt's partial parse failed ({_first_line(res.exception)}): "
                                       "parsing the whole project")
                res = dbtRunner().invoke(["parse", "--no-write-json", "--no-partial-parse", *common])
                if not res.success or res.result is None:
                    return None
            _MANIFESTS[key] = res.result
        return _MANIFESTS[key]


def _first_line(exc) -> str:
    """An exception's message on one line, shortened."""
    text = " ".join(str(exc or "no manifest").split())
    return text[:240] + ("…" if len(text) > 240 else "")


_WRITTEN: set[tuple[int, str]] = set()  # (manifest, target path) whose manifest.json this process wrote


def _write_manifest_once() -> None:
    """dbt writes target/manifest.json at the end of every invocation (about 1.2 s at this
    project's size: the manifest as a dict, then JSON). Every invocation of a run uses the one
    manifest parsed for the run (``_manifest``): the build, and a retry after the warehouse went
    away or a rebuild after an upgrade, which would write the same file again: each later write
    is skipped while that file exists. run_results.json is still written by every invocation.
    Patches dbt 1.11's ``dbt.task.runnable.write_manifest``, the one call that writes it after a
    run; a dbt without it is left as it is."""
    import dbt.task.runnable as runnable

    original = getattr(runnable, "write_manifest", None)
    if original is None or getattr(original, "_puntafina_once", False):
        return

    def write_manifest(manifest, target_path, which=None):
        key = (id(manifest), str(target_path))
        if key in _WRITTEN and (Path(target_path) / "manifest.json").is_file():
            return
        original(manifest, target_path, which)
        _WRITTEN.add(key)

    write_manifest._puntafina_once = True
    runnable.write_manifest = write_manifest


def _common(root: Path, target: str, dbt_vars: dict) -> list[str]:
    """The flags of every invocation of a run (they shape the manifest). dbt's log goes where dbt
    run by hand writes it (its default: logs/dbt.log in the project; `log-path` in
    dbt_project.yml is deprecated since dbt 1.5), so there is one dbt log."""
    return ["--project-dir", str(root), "--profiles-dir", str(root), "--target", target,
            "--vars", json.dumps(dbt_vars, sort_keys=True), "--log-path", str(root / "logs"),
            "--log-level", "none", "--log-level-file", "info"]


def prepare(root: Path, target: str, dbt_vars: dict) -> bool:
    """Import dbt and parse the project now, for the invocations of this run (``run_dbt`` with
    the same arguments and environment uses that manifest). A `run` calls it while its extract
    runs in a child process (orchestrator.extract), so the two share the machine's cores
    instead of following each other. Parsing reads the project's files only: it opens no
    connection to the warehouse. False when the project does not parse; the build then parses
    it again and reports why."""
    return _manifest(_common(root, target, dbt_vars)) is not None


def run_dbt(args: list[str], root: Path, target: str, dbt_vars: dict, quiet_nodes: bool = False,
            publish: bool = True) -> DbtResult:
    """One dbt invocation. ``publish``: whether a `build` that passes publishes dw (write-audit-publish,
    macros/publicacion.sql); False for a phase that later phases complete."""
    from dbt.cli.main import dbtRunner

    from ingest import progress as progress_bars
    from ingest.logs import context

    log = get_logger("dbt")
    out = DbtResult(ok=True)
    progress = {"total": 0, "done": 0, "t0": None, "shown": time.monotonic()}

    def on_event(event) -> None:
        if event.info.name == "LogStartLine":  # "12 of 417 START …": the invocation's node count
            progress["total"] = max(progress["total"], int(getattr(event.data, "total", 0) or 0))
            if progress["t0"] is None:   # the clock of the estimate starts with the first node, not the parse
                progress["t0"] = time.monotonic()
            return
        if event.info.name != "NodeFinished":
            return
        progress["done"] += 1
        now = time.monotonic()
        done, total = progress["done"], progress["total"]
        bars = progress_bars.current()
        if bars is not None:  # on a terminal: the phase's bar (ingest/progress.py)
            bars.nodes(str(context("phase", "build")), done, total)
        if total and done < total and now - progress["shown"] >= PROGRESS_EVERY_S:
            progress["shown"] = now
            # an estimate from the first few nodes says nothing (one slow first test): wait for 5 %
            if done >= max(3, total // 20):
                left = (now - (progress["t0"] or now)) / done * (total - done)
                log.info(f"    … {done}/{total} nodes done, about {left:.0f} s left",
                         extra={"data": {"nodes_done": done, "nodes_total": total, "eta_s": round(left, 1)}})
            else:
                log.info(f"    … {done}/{total} nodes done",
                         extra={"data": {"nodes_done": done, "nodes_total": total}})
        data = event.data
        info = data.node_info
        status = data.run_result.status
        rtype = info.resource_type
        name = info.node_name
        mark = _MARK.get(status, status)
        secs = data.run_result.execution_time
        msg = data.run_result.message or ""
        line = f"    {mark:<5} {rtype:<9} {name}  ({secs:.1f} s)"
        data = {"data": {"node": name, "resource_type": str(rtype), "status": str(status),
                         "duration_s": round(float(secs or 0), 3)}}
        if status in ("error", "fail"):
            out.failures.append(f"{rtype} {name}: {msg}")
            log.error(line + (f"  {msg}" if msg else ""), extra=data)
        elif status == "warn":
            out.warnings.append(f"{rtype} {name}: {msg}")
            log.warning(line + (f"  {msg}" if msg else ""), extra=data)
        elif rtype in ("test", "unit_test") or quiet_nodes:
            log.debug(line, extra=data)  # passing tests: in the log file at DEBUG, counted in the summary
        else:
            log.info(line, extra=data)

    # unit tests are development checks (run by the test suite with `dbt test`), not part of a load
    common = _common(root, target, dbt_vars)
    full = [*args, "--exclude-resource-type", "unit_test", *common]
    if os.environ.get("PUNTAFINA_THREADS"):  # batch.max_workers (ingest/budget.py); profiles.yml reads it too
        full += ["--threads", os.environ["PUNTAFINA_THREADS"]]
    _write_manifest_once()
    manifest = _manifest(common)
    os.environ[PUBLISH_ENV] = "si" if publish else "no"
    try:
        res = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke(full)
    finally:
        os.environ.pop(PUBLISH_ENV, None)
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
