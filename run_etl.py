#!/usr/bin/env python3
"""PuntaFina ETL: keep the DW_oro warehouse in step with OroCommerce, OroCRM and CSV exports.

    python run_etl.py                      # run: extract (dlt) then dbt build, on the default target
    python run_etl.py run --target postgres --full-refresh
    python run_etl.py ingest               # extract only (raw_* schemas)
    python run_etl.py validate             # checks only: staging models and tests, nothing into dw
    python run_etl.py status               # last runs, checkpoints, freshness, what the next run would do
    python run_etl.py reset [JOB]          # the next run reloads a job (orocommerce, orocrm, csv) or all from scratch
    python run_etl.py setup --demo [--scale N] [--seed S] [--evolve STEP]
    python run_etl.py populate-csv data/inputs/ventas/estados_orden.csv
    puntafina run                          # the same commands, once installed (python3 dev.py install)

Exit codes: 0 success, 1 the run failed (a load, a model or a check), 2 bad input or config,
3 another run is using the warehouse (nothing done).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

COMMANDS = ("run", "ingest", "validate", "status", "reset", "setup", "populate-csv")
TARGETS = ("duckdb", "postgres")
EXIT_BUSY = 3  # another run holds the warehouse: nothing was done
# options of the top-level parser that take a value (the value is not a command)
_VALUE_OPTIONS = ("--config", "--target")


def _command_position(argv: list[str]) -> int | None:
    """Index of the first positional argument (the command), or None when there is none."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-"):
            i += 2 if arg in _VALUE_OPTIONS else 1
            continue
        return i
    return None


def _common(defaults: bool) -> argparse.ArgumentParser:
    """--config / --target, accepted before or after the command. Subcommands leave a value
    given before them alone (their own default is 'not given')."""
    common = argparse.ArgumentParser(add_help=False)
    target_default = os.environ.get("PUNTAFINA_TARGET", "duckdb") if defaults else argparse.SUPPRESS
    common.add_argument("--config", metavar="PATH", default=None if defaults else argparse.SUPPRESS,
                        help="etl_config.yaml to use (default: ./etl_config.yaml if present)")
    common.add_argument("--target", choices=TARGETS, default=target_default,
                        help="warehouse target (default duckdb, or $PUNTAFINA_TARGET)")
    talk = common.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", default=False if defaults else argparse.SUPPRESS,
                      help="console: the summary and errors only (the log files are unchanged)")
    talk.add_argument("-v", "--verbose", action="store_true", default=False if defaults else argparse.SUPPRESS,
                      help="console: everything, every passing check and each node's time (DEBUG)")
    return common


def _version() -> str:
    """The project's version (dbt_project.yml) and the versions of the tools it runs on."""
    import re
    from importlib.metadata import PackageNotFoundError, version

    m = re.search(r'^version:\s*"?([^"\s]+)', (ROOT / "dbt_project.yml").read_text(encoding="utf-8"), re.M)
    tools = []
    for dist in ("dbt-core", "dbt-duckdb", "dbt-postgres", "dlt"):
        try:
            tools.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    return f"puntafina-etl {m.group(1) if m else '?'} ({', '.join(tools)}; Python {sys.version.split()[0]})"


def build_parser() -> argparse.ArgumentParser:
    common = _common(defaults=False)
    head, examples, codes = __doc__.strip().split("\n\n")[:3]
    # prog: the name it was called by (run_etl.py, or the installed `puntafina` command)
    p = argparse.ArgumentParser(description=head, epilog=f"examples:\n{examples}\n\n{codes}",
                                formatter_class=argparse.RawDescriptionHelpFormatter, parents=[_common(True)])
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, hlp in (("run", "extract then build the warehouse (default)"),
                      ("ingest", "extract only: sources -> raw schemas")):
        sp = sub.add_parser(name, help=hlp, parents=[common])
        sp.add_argument("--full-refresh", action="store_true",
                        help="reload every source table from scratch and rebuild incremental models")
        sp.add_argument("--sources", default="orocommerce,orocrm,csv",
                        help="comma-separated source systems to extract (default all)")
        if name == "run":
            sp.add_argument("--select", metavar="SELECTOR", help="dbt selector to build instead of everything")
    sp = sub.add_parser("validate", help="checks only (staging models and tests), nothing loaded into dw",
                        parents=[common])
    sp.add_argument("--select", metavar="SELECTOR", help="dbt selector to validate (default: sources and staging)")
    sub.add_parser("status", help="last runs, checkpointed jobs, freshness and what the next run would do "
                                  "(read-only)", parents=[common])
    sp = sub.add_parser("reset", help="the next run reloads JOB (or every job) from scratch", parents=[common])
    sp.add_argument("job", nargs="?", choices=("orocommerce", "orocrm", "csv"), help="the job (default: all)")
    sp = sub.add_parser("setup", help="create the warehouse and its schemas; --demo generates demo sources",
                        parents=[common])
    sp.add_argument("--demo", action="store_true", help="generate the demo OroCommerce/OroCRM sources and CSV inputs")
    sp.add_argument("--scale", type=float, default=1.0, help="demo volume (1 = about 25k Oro rows)")
    sp.add_argument("--seed", type=int, default=42, help="demo random seed (same seed, same data)")
    sp.add_argument("--evolve", type=int, metavar="STEP",
                    help="apply day STEP of source changes to existing demo sources (inserts, updates, late rows)")
    sp.add_argument("--force", action="store_true",
                    help="with --demo: overwrite CSV inputs the demo generator did not write")
    sp = sub.add_parser("populate-csv", help="complete an incomplete CSV by the population rules", parents=[common])
    sp.add_argument("csv", help="path of the CSV to complete")
    return p


def load_dotenv(path: Path) -> None:
    """KEY=VALUE lines of a git-ignored .env; variables already set win."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, val = line.removeprefix("export ").split("=", 1)
        os.environ.setdefault(key.strip(), val.strip().strip('"').strip("'"))


def main(argv: list[str] | None = None) -> int:
    from ingest.logs import early_error

    argv = list(sys.argv[1:] if argv is None else argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, even through a pipe
    env_target = os.environ.get("PUNTAFINA_TARGET")
    if env_target is not None and env_target not in TARGETS:
        early_error(ROOT / "logs", f"error: PUNTAFINA_TARGET={env_target!r} is not a warehouse target; "
                    f"choose from {', '.join(TARGETS)} (or unset it for the default, duckdb).")
        return 2
    command_at = _command_position(argv)
    if command_at is None:
        if not {"-h", "--help", "--version"} & set(argv):
            argv.insert(0, "run")  # no command: `run`, the documented default
    elif argv[command_at] not in COMMANDS:
        early_error(ROOT / "logs", f"error: unknown command {argv[command_at]!r}; choose from "
                    f"{', '.join(COMMANDS)} (`python run_etl.py --help` describes them).")
        return 2
    args = build_parser().parse_args(argv)
    os.chdir(ROOT)
    load_dotenv(ROOT / ".env")

    from ingest.config import ConfigError, load_config
    from ingest.logs import setup_logging

    try:
        cfg_path = args.config or (ROOT / "etl_config.yaml" if (ROOT / "etl_config.yaml").is_file() else None)
        cfg = load_config(cfg_path, root=ROOT)
    except ConfigError as exc:
        early_error(ROOT / "logs", f"error: {exc}")
        return 2
    # batch.max_workers and batch.max_memory_mb reach dbt (profiles.yml), DuckDB and dlt from one place
    from ingest import budget

    budget.export(cfg)
    mon = cfg["monitoring"]
    log = setup_logging(cfg.log_dir, mon["log_level"], mon["log_format"],
                        verbosity="quiet" if args.quiet else "verbose" if args.verbose else "normal")
    try:
        return COMMAND_FUNCS[args.command](args, cfg, log)
    except KeyboardInterrupt:
        log.error("\ninterrupted: committed chunks are kept; the next run resumes where this one stopped")
        return 130


def _take_run_lock(wh, cfg, log, command: str):
    """(the warehouse's run lock (ingest/lock.py), 0), or (None, exit code) after saying why not."""
    from ingest.lock import RunLock, RunLockBusy
    from ingest.warehouse import WarehouseError

    lock = RunLock(wh, cfg.checkpoint_dir, command)
    try:
        if wh.target == "postgres":
            wh.check()  # an unreachable warehouse is a configuration error (exit 2), not a busy lock
        note = lock.acquire()
    except RunLockBusy as exc:
        log.error(f"error: {exc}")
        return None, EXIT_BUSY
    except WarehouseError as exc:
        return None, _user_error(log, exc)
    except OSError as exc:
        return None, _user_error(log, f"cannot take the run lock {lock.path}: {exc.strerror or exc}")
    if note:
        log.warning(f"  {note}")
    return lock, 0


def _user_error(log, exc: Exception) -> int:
    log.error(f"error: {exc}")
    return 2


def cmd_run(args, cfg, log, extract_only: bool = False) -> int:
    from ingest.pipeline import SYSTEMS
    from ingest.warehouse import Warehouse

    wh = Warehouse(args.target, ROOT)
    systems = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        return _user_error(log, f"--sources: unknown source system(s) {', '.join(unknown)}; choose from orocommerce, orocrm, csv.")
    full = args.full_refresh or cfg["loading"]["strategy"] == "full"
    lock, rc = _take_run_lock(wh, cfg, log, "ingest" if extract_only else "run")
    if lock is None:
        return rc
    with lock:
        return _run(args, cfg, log, wh, systems, full, extract_only)


def _progress_bars(args, cfg):
    """Progress bars for the work inside (ingest/progress.py): on a terminal, not with --quiet or JSON logs."""
    from ingest import progress

    return progress.shown(progress.wanted("quiet" if getattr(args, "quiet", False) else "normal",
                                          cfg.raw["monitoring"]["log_format"]))


def _run(args, cfg, log, wh, systems, full, extract_only) -> int:
    import psutil

    from ingest import orchestrator as orch

    t0, cpu0 = time.monotonic(), psutil.Process().cpu_times()
    metrics = orch.new_metrics("ingest" if extract_only else "run", args.target)
    from ingest.logs import set_context

    set_context(run_id=metrics.run_id)  # on every JSON log line from here on
    log.info(f"PuntaFina ETL  run {metrics.run_id}  target {args.target}: {wh.describe()}"
             + ("  [full refresh]" if full else ""))
    try:
        if orch.demo_missing(cfg, wh, systems):
            log.info("Demo sources not found: generating them first (scale 1; `setup --demo --scale N` for more)")
            # first run: CSV inputs already in the folder are kept (the generator only adds missing ones)
            rc = cmd_setup(argparse.Namespace(demo=True, scale=1.0, seed=42, evolve=None, target=args.target,
                                              force=False, inputs="missing"), cfg, log)
            if rc:
                return rc
        orch.preflight(cfg, wh, systems)
    except orch.PreflightError as exc:
        return _user_error(log, exc)
    rebuild = orch.rebuild_requested(cfg, wh)
    from ingest.pipeline import SYSTEMS

    partial = getattr(args, "select", None) or set(systems) != set(SYSTEMS)
    if rebuild and partial:
        log.warning(f"  a rebuild from scratch is pending ({rebuild}); this run (--select or --sources) does not "
                    "do it: the next run of every source without --select does")
        rebuild = None
    elif rebuild:
        full = True
        log.info(f"  rebuild from scratch [full refresh]: {rebuild}; every source table is reloaded and the "
                 "warehouse is rebuilt from nothing (snapshots and fact_inventario included)"
                 + ("" if not extract_only else " by the next `run` (this `ingest` reloads the sources)"))
    with _progress_bars(args, cfg):
        ok = _extract_and_build(args, cfg, log, wh, systems, full, extract_only, metrics, bool(rebuild))
    orch.finish_metrics(metrics, ok, t0, cpu0)
    path = orch.write_metrics(cfg, wh, metrics)
    orch.summary(log, metrics, path)
    if metrics.status == "partial":
        log.error(f"error: {len(metrics.errors)} input(s) could not be used (named above and in logs/errors/); "
                  f"everything else was {'loaded' if extract_only else 'loaded and built'}, and each of those "
                  f"tables keeps its rows from the last load.")
    return 0 if metrics.status == "success" else 1


def _extract_and_build(args, cfg, log, wh, systems, full, extract_only, metrics, rebuild=False) -> bool:
    from functools import partial

    from ingest import orchestrator as orch
    from ingest.dbt_runner import prepare as prepare_dbt

    select = getattr(args, "select", None)
    # the extract, then the build's four layers (one dbt invocation, headed "2-5/5"), or a selection
    total = 1 if extract_only else 1 + (1 if select else len(orch.LAYERS))
    orch._phase(log, 1, total, "Extract (dlt -> raw)", metrics)
    # a `run` parses its dbt project while the extract runs (in a child process where it can):
    # from the start when it will build whatever the extract finds, else once the extract has
    # committed rows (then it builds what reads them; a run that loads nothing parses nothing)
    ok = orch.extract(cfg, wh, systems, full, metrics,
                      meanwhile=None if extract_only else partial(prepare_dbt, cfg.root, wh.target, cfg.dbt_vars()),
                      at_once=not extract_only and orch.build_certain(cfg, wh, full, select))
    loaded = sorted(t for t, rows in metrics.tables.items() if rows)
    if loaded and wh.target == "postgres":
        try:
            secs = wh.analyze(loaded)
            log.info(f"  planner statistics: ANALYZE of {len(loaded)} loaded raw table(s) in {secs:.1f} s")
        except Exception as exc:  # noqa: BLE001 - statistics make plans good, their absence is not a failure
            log.warning(f"  could not ANALYZE the loaded raw tables: {exc}")
            metrics.warnings.append(f"ANALYZE of the raw tables failed: {exc}")
    orch.end_phase(metrics, "ok" if ok else "failed")
    orch.prepared()  # the dbt parse begun during the extract, if it is still going
    if not extract_only and ok:
        if rebuild:
            orch.rebuild_from_scratch(wh)
        plan, facts = orch.build_plan(cfg, wh, full, select)
        metrics.build_plan = plan.reason
        log.info(f"\n  build plan: {plan.reason}")
        # the incremental staging tables and facts are rebuilt whenever everything is (the project changed)
        # sources.csv.on_error: fail stops the build at the first CSV line rejected in staging: that layer first
        steps = orch.transform_steps(select, plan.changes, rebuild_incremental=plan.everything and not full,
                                     staging_first=cfg.dbt_vars().get("csv_on_error") == "fail")
        if steps:
            ok = orch.transform(cfg, wh, steps, full, metrics, 2, total)
        if ok and steps and not select:  # a complete build: the next run builds only what changes after it
            orch.record_build(wh, metrics, plan, facts)
            if rebuild:
                orch.rebuild_marker(cfg, wh).unlink(missing_ok=True)
    elif not extract_only:
        log.info("\nTransform skipped: the extract failed (committed chunks are kept; fix the cause and rerun)")
    return ok


def cmd_ingest(args, cfg, log) -> int:
    return cmd_run(args, cfg, log, extract_only=True)


def cmd_validate(args, cfg, log) -> int:
    from ingest.warehouse import Warehouse, WarehouseError

    wh = Warehouse(args.target, ROOT)
    try:
        wh.check()
    except WarehouseError as exc:
        return _user_error(log, exc)
    lock, rc = _take_run_lock(wh, cfg, log, "validate")
    if lock is None:
        return rc
    with lock:
        return _validate(args, cfg, log, wh)


def _validate(args, cfg, log, wh) -> int:
    import psutil

    from ingest import orchestrator as orch

    t0, cpu0 = time.monotonic(), psutil.Process().cpu_times()
    metrics = orch.new_metrics("validate", args.target)
    log.info(f"PuntaFina ETL  validate  target {args.target}: {wh.describe()}")
    select = args.select or "source:* path:models/staging"
    with _progress_bars(args, cfg):
        ok = orch.transform(cfg, wh, [("Validate (sources and staging)", ["build", "--select", *select.split()])],
                            False, metrics, 1, 1, publish=False)
    orch.finish_metrics(metrics, ok, t0, cpu0)
    path = orch.write_metrics(cfg, wh, metrics)
    orch.summary(log, metrics, path)
    return 0 if ok else 1


def cmd_setup(args, cfg, log) -> int:
    from ingest.warehouse import Warehouse, WarehouseError

    wh = Warehouse(args.target, ROOT)
    try:
        if args.target == "postgres" and wh.create_database():
            log.info(f"created the warehouse database {wh.pg['database']}")
        wh.check()
    except WarehouseError as exc:
        return _user_error(log, exc)
    if args.demo:
        if args.scale <= 0:
            return _user_error(log, f"--scale must be positive, got {args.scale:g}")
        from ingest import demo

        target = _demo_target(cfg, wh)
        if args.evolve is not None:
            if args.evolve < 1:
                return _user_error(log, "--evolve takes a day number from 1 up")
            log.info(f"Evolving the demo sources: day {args.evolve} of changes")
            changes = demo.evolve(target, step=args.evolve, seed=args.seed)
            _print_counts(log, changes)
        else:
            log.info(f"Generating demo sources: scale {args.scale:g}, seed {args.seed}")
            t0 = time.monotonic()
            mode = getattr(args, "inputs", None) or ("force" if getattr(args, "force", False) else "owned")
            before = demo.read_manifest(target)
            try:
                manifest = demo.generate(target, scale=args.scale, seed=args.seed, inputs=mode)
            except demo.DemoInputsError as exc:
                return _user_error(log, f"setup --demo: {exc}")
            replaced = demo.replaced_sources(before, manifest)
            if replaced:
                from ingest import orchestrator as orch

                orch.request_rebuild(cfg, wh, f"the demo sources were replaced ({replaced})")
                log.info(f"  the demo sources were replaced ({replaced}): the same keys now name other rows, so "
                         "the next run reloads every source table and rebuilds the warehouse from scratch")
            if manifest.get("inputs_kept"):
                log.info(f"  kept {len(manifest['inputs_kept'])} existing CSV input(s) as they are: "
                         + ", ".join(manifest["inputs_kept"]))
            _print_counts(log, manifest)
            log.info(f"  done in {time.monotonic() - t0:.1f} s")
    return 0


def _print_counts(log, doc: dict) -> None:
    """Print a demo manifest's totals (rows per demo database, CSV data lines) or, for
    ``evolve()``'s result, what changed per source: every count is an int or a mapping of
    name -> int; anything else in the document (lists of codes, dirt rates) is not a count,
    but for evolve's ``deleted`` (table -> deleted ids), counted by its ids."""
    def total(val) -> int | None:
        if isinstance(val, bool):
            return None
        if isinstance(val, int):
            return val
        if isinstance(val, dict):
            counts = [total(v) for v in val.values()]
            return sum(c for c in counts if c is not None) if any(c is not None for c in counts) else None
        return None

    for key, val in (doc.get("totals") or {}).items():
        if total(val) is not None:
            log.info(f"  {key:<16} {total(val):>10,}")
    if "step" not in doc:  # a manifest: its per-file "csv" entries are summed in totals already
        return
    for key in ("inserted", "updated", "late", "csv"):
        for system, tables in (doc.get(key) or {}).items():
            n = total(tables)
            if n is not None:
                log.info(f"  {key:<9} {system:<38} {n:>8,}")
    for system, tables in (doc.get("deleted") or {}).items():
        if tables:
            log.info(f"  {'deleted':<9} {system:<38} {sum(len(ids) for ids in tables.values()):>8,}")


def _demo_target(cfg, wh):
    from ingest import demo

    inputs = cfg.csv_dir
    if wh.target == "postgres":
        c = wh.pg
        return demo.DemoTarget.postgres(c["host"], c["port"], c["user"], c["password"],
                                        commerce_db="orocommerce_demo", crm_db="orocrm_demo", inputs_dir=inputs)
    demo_dir = cfg.resolve(cfg["sources"]["demo_dir"])
    return demo.DemoTarget(kind="sqlite", commerce=demo_dir / "orocommerce.sqlite", crm=demo_dir / "orocrm.sqlite",
                           inputs_dir=inputs)


def cmd_status(args, cfg, log) -> int:
    from ingest.status import report
    from ingest.warehouse import Warehouse

    return report(cfg, Warehouse(args.target, ROOT), log)


def cmd_reset(args, cfg, log) -> int:
    """Ask for a job's (or every job's) reload from scratch: its next run truncates and reloads
    every table, forgetting the cursor positions and CSV offsets, and the build that follows
    rebuilds what reads them. Nothing is deleted now; taken under the run lock, so a run in
    progress is never changed under its feet."""
    from ingest.pipeline import SYSTEMS, reset_marker
    from ingest.warehouse import Warehouse

    wh = Warehouse(args.target, ROOT)
    lock, rc = _take_run_lock(wh, cfg, log, "reset")
    if lock is None:
        return rc
    with lock:
        jobs = [args.job] if args.job else list(SYSTEMS)
        for job in jobs:
            marker = reset_marker(cfg, job)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S") + "\n", encoding="utf-8")
            log.info(f"reset {job}: its next run reloads every table from scratch ({marker})")
    return 0


def cmd_populate_csv(args, cfg, log) -> int:
    from ingest.populate import PopulateError, populate_csv

    try:
        out, report = populate_csv(Path(args.csv), cfg)
    except PopulateError as exc:
        return _user_error(log, exc)
    log.info(f"wrote {out} and {report}")
    return 0


COMMAND_FUNCS = {"run": cmd_run, "ingest": cmd_ingest, "validate": cmd_validate, "status": cmd_status,
                 "reset": cmd_reset, "setup": cmd_setup, "populate-csv": cmd_populate_csv}

if __name__ == "__main__":
    sys.exit(main())
