"""python -m ingest.demo --scale N --seed S [--postgres URL] [--evolve STEP ...]

Generates the demo sources (SQLite files under <base-dir>/demo by default, or two
databases on the PostgreSQL server of URL) and the CSV inputs, then prints the manifest
summary. With --evolve, applies those day steps to existing sources instead.
"""
from __future__ import annotations

import argparse
import sys
import time

from . import evolve, generate
from .target import DemoTarget, redact


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ingest.demo", description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="size factor (1 = ~25k Commerce rows; default 1)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--base-dir", default="data", help="SQLite mode: files go to BASE/demo, CSVs to BASE/inputs")
    p.add_argument("--postgres", metavar="URL", help="server URL, e.g. postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--commerce-db", default="orocommerce_demo", help="PostgreSQL database for OroCommerce")
    p.add_argument("--crm-db", default="orocrm_demo", help="PostgreSQL database for OroCRM")
    p.add_argument("--inputs-dir", help="CSV folder (default BASE/inputs)")
    p.add_argument("--evolve", type=int, nargs="+", metavar="STEP",
                   help="apply these day steps (1 = the day after the generated period) instead of generating")
    return p


def _target(args) -> DemoTarget:
    if args.postgres:
        return DemoTarget.postgres_url(args.postgres, args.commerce_db, args.crm_db,
                                       args.inputs_dir or f"{args.base_dir}/inputs")
    t = DemoTarget.sqlite(args.base_dir)
    if args.inputs_dir:
        t = DemoTarget("sqlite", t.commerce, t.crm, args.inputs_dir)
    return t


def summary(manifest: dict) -> str:
    lines = [f"seed {manifest['seed']}, scale {manifest['scale']:g}, period {manifest['period']['start']} .. "
             f"{manifest['period']['end']}"]
    for system, counts in manifest["tables"].items():
        big = sorted(counts.items(), key=lambda kv: -kv[1])[:6]
        lines.append(f"{system}: {sum(counts.values()):,} rows in {len(counts)} tables ("
                     + ", ".join(f"{t} {n:,}" for t, n in big) + ", ...)")
    for name, c in manifest["csv"].items():
        lines.append(f"csv {name}: {c['data_lines']:,} lines"
                     + (f", {c['malformed_lines']} malformed, {c['duplicate_lines']} duplicates"
                        if c["malformed_lines"] or c["duplicate_lines"] else ""))
    lines.append("dirt:")
    for system, per_table in manifest["dirt"].items():
        for table, kinds in per_table.items():
            lines.append(f"  {system} {table}: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    target = _target(args)
    where = (f"{target.commerce}, {target.crm}" if target.kind == "sqlite"
             else f"{redact(target.commerce)}, {redact(target.crm)}")
    started = time.perf_counter()
    try:
        if args.evolve:
            for step in args.evolve:
                changes = evolve(target, step=step, seed=args.seed)
                ins = {s: sum(c.values()) for s, c in changes["inserted"].items()}
                upd = {s: sum(c.values()) for s, c in changes["updated"].items()}
                gone = {s: sum(len(ids) for ids in t.values()) for s, t in changes["deleted"].items()}
                print(f"step {step} ({changes['day']}): inserted {ins}, updated {upd}, deleted {gone}, "
                      f"late orders {changes['late']['oro_order']}, csv lines {changes['csv']}")
        else:
            manifest = generate(target, scale=args.scale, seed=args.seed)
            print(f"demo sources: {where}; CSV inputs: {target.inputs_dir}")
            print(summary(manifest))
            print(f"manifest: {target.manifest_path}")
    except (ValueError, FileNotFoundError, ConnectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
