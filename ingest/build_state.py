"""What a run must build: only what reads a raw table that changed since the last complete build.

After every complete, successful build (all phases, no ``--select``) the run records in the
warehouse (``audit.etl_build_state``, one row) what that build was made from:

- ``code``: a hash of everything dbt builds from (models, macros, seeds, snapshots, data
  tests, ``dbt_project.yml``, ``profiles.yml``), the dbt version, the target and the run's
  ``--vars`` (the config's population rules, ``csv_on_error``, …);
- ``versions``: each raw table's version (``ingest.pipeline.table_versions``: a counter
  committed with the rows of every slice that changed the table);
- ``day``: the UTC day of the build (models tagged ``diario`` depend on the day of the run);
- ``relations``: the tables and views that build wrote.

The next run compares (``plan``):

- no record, a different ``code``, or a relation of the last build missing → everything is
  built, as before this existed;
- otherwise only the raw tables whose version moved, and the ``diario`` models when the day
  changed: one dbt build of ``source:<table>+`` of those (the models reading them, their
  descendants, and every test on any of those nodes);
- nothing moved → nothing is built, and the run says so.

A failed or partial build (a failed node, or ``--select``) does not record anything, so the
next run builds the same changes again, with whatever is new. The record lives in the
warehouse itself, so a new or restored warehouse is always built in full.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ingest.warehouse import Warehouse

TABLE = "audit.etl_build_state"
_KEY = "ultima_construccion"
_DBT_DIRS = ("models", "macros", "seeds", "snapshots", "tests")
_DBT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".jinja"}
DAILY_TAG = "diario"


def code_fingerprint(root: Path, dbt_vars: dict, target: str) -> str:
    """A hash of what dbt builds from: every dbt file of the project, the dbt version, the
    target and the variables. Python files under tests/ (pytest) are not dbt's and not hashed."""
    from dbt.version import __version__ as dbt_version

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"dbt {dbt_version}\0target {target}\0vars {json.dumps(dbt_vars, sort_keys=True)}\0".encode())
    files = [root / "dbt_project.yml", root / "profiles.yml"]
    for folder in _DBT_DIRS:
        files += sorted(p for p in (root / folder).rglob("*") if p.is_file() and p.suffix in _DBT_SUFFIXES)
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass
class Plan:
    """The build a run does: everything (``changes`` is None) or what reads the changed tables."""
    reason: str
    changes: list[str] | None = None      # dbt selectors of what changed (source:<s>.<t>, tag:diario)
    last_run: str | None = None
    tables: list[str] = field(default_factory=list)  # changed raw tables, as raw_<system>.<table>

    @property
    def everything(self) -> bool:
        return self.changes is None

    @property
    def nothing(self) -> bool:
        return self.changes == []


def read(wh: Warehouse, read_only: bool = False) -> dict | None:
    """The record of the last complete build, or None (never built, or built before this existed)."""
    try:
        con = wh.connect(read_only=read_only)
    except Exception:  # noqa: BLE001 - an unreachable warehouse fails later, with its own message
        return None
    try:
        cur = con.cursor()
        cur.execute(f"select doc from {TABLE} where clave = '{_KEY}'")
        row = cur.fetchone()
        return json.loads(row[0]) if row else None
    except Exception:  # noqa: BLE001 - no such table yet
        return None
    finally:
        con.close()


def _existing(wh: Warehouse, relations: list[list[str]], read_only: bool = False) -> set[tuple[str, str]]:
    schemas = sorted({s for s, _ in relations})
    if not schemas:
        return set()
    con = wh.connect(read_only=read_only)
    try:
        cur = con.cursor()
        marks = ", ".join(["?" if wh.target == "duckdb" else "%s"] * len(schemas))
        cur.execute("select table_schema, table_name from information_schema.tables "
                    f"where table_schema in ({marks})", schemas)
        return {(s.lower(), t.lower()) for s, t in cur.fetchall()}
    finally:
        con.close()


def plan(wh: Warehouse, code: str, versions: dict[str, int], today: str, read_only: bool = False) -> Plan:
    """``versions``: raw table (``<system>.<table>``) -> version, for every source system."""
    last = read(wh, read_only)
    if last is None:
        return Plan("no complete build of this warehouse is recorded yet: building everything")
    run = last.get("run_id")
    if last.get("code") != code:
        return Plan("the project (models, macros, seeds, tests, vars or dbt version) changed since the last "
                    "build: building everything", last_run=run)
    relations = [r for r in last.get("relations", []) if len(r) == 2]
    try:
        have = _existing(wh, relations, read_only)
    except Exception:  # noqa: BLE001
        have = set()
    missing = [f"{s}.{t}" for s, t in relations if (s.lower(), t.lower()) not in have]
    if missing:
        return Plan(f"{len(missing)} relation(s) of the last build are missing ({', '.join(missing[:3])}"
                    f"{', …' if len(missing) > 3 else ''}): building everything", last_run=run)
    built = last.get("versions", {})
    moved = sorted(t for t, v in versions.items() if built.get(t) != v)
    changes = [f"source:{t}+" for t in moved]
    daily = last.get("day") != today
    if daily:
        changes.append(f"tag:{DAILY_TAG}+")
    if not changes:
        return Plan(f"nothing changed since the last build (run {run}): no source table moved, the project "
                    f"is the same, so nothing is rebuilt or retested", changes=[], last_run=run)
    what = (f"{len(moved)} raw table(s) changed since the last build" if moved else "no raw table changed")
    if daily:
        what += f"; a new day ({today}) for the models tagged {DAILY_TAG}"
    return Plan(f"{what}: building what reads them", changes=changes, last_run=run,
                tables=[f"raw_{t}" for t in moved])


def builds_anyway(wh: Warehouse, code: str, today: str) -> bool:
    """Whether the next ``plan`` builds something whatever the extract finds: no complete build
    recorded, another project, or a new day (the ``diario`` models). Read before the extract."""
    last = read(wh)
    return last is None or last.get("code") != code or last.get("day") != today


def record(wh: Warehouse, run_id: str, code: str, versions: dict[str, int], today: str,
           relations: list[tuple[str, str]], keep_relations: bool) -> None:
    """Record a complete, successful build. ``keep_relations``: the build was partial by
    design (only the changes), so the relations of the last record are kept too."""
    rels = {(s, t) for s, t in relations}
    if keep_relations:
        last = read(wh) or {}
        rels |= {tuple(r) for r in last.get("relations", []) if len(r) == 2}
    doc = {"run_id": run_id, "code": code, "versions": versions, "day": today,
           "recorded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "relations": sorted([list(r) for r in rels])}
    p = "?" if wh.target == "duckdb" else "%s"
    con = wh.connect()
    try:
        cur = con.cursor()
        cur.execute("create schema if not exists audit")
        cur.execute(f"create table if not exists {TABLE} (clave varchar primary key, doc text)")
        cur.execute(f"delete from {TABLE} where clave = {p}", [_KEY])
        cur.execute(f"insert into {TABLE} (clave, doc) values ({p}, {p})", [_KEY, json.dumps(doc, sort_keys=True)])
    finally:
        con.close()

