"""generate(): build both demo databases and the CSV inputs from scratch, write the manifest."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from . import commerce, crm, csvfiles, orders, world as world_mod
from . import reference as ref
from .sinks import Loader, open_sink
from .target import DemoTarget
from .world import World

MANIFEST_FORMAT = 1
INPUT_MODES = ("owned", "missing", "force")


class DemoInputsError(ValueError):
    """The CSV inputs folder holds files the demo generator did not write: it will not overwrite them."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def owned_inputs(target: DemoTarget) -> set[str]:
    """CSV inputs the generator wrote and nobody changed since: recorded in the manifest with
    the SHA-256 they have now."""
    manifest = read_manifest(target) or {}
    inputs = Path(target.inputs_dir)
    owned = set()
    for name, entry in (manifest.get("csv") or {}).items():
        path = inputs / name
        if isinstance(entry, dict) and entry.get("sha256") and path.is_file() and file_sha256(path) == entry["sha256"]:
            owned.add(name)
    return owned


def foreign_inputs(target: DemoTarget) -> list[str]:
    """The CSV inputs generate() would write that exist and were not written by it (or were changed)."""
    inputs = Path(target.inputs_dir)
    owned = owned_inputs(target)
    return sorted(n for n in csvfiles.HEADERS if (inputs / n).exists() and n not in owned)


def batch_size_for(kind: str) -> int:
    return 5000 if kind == "sqlite" else 20000


def _load(target: DemoTarget, where: str, system: str, write) -> tuple[dict, dict]:
    sink = open_sink(target.kind, where, system, fresh=True)
    ok = False
    try:
        sink.reset()
        out = Loader(sink, batch_size_for(target.kind))
        dirt = write(out)
        sink.create_indexes()
        ok = True
    finally:
        sink.close(commit=ok)
    return dict(out.counts), dirt


def dirt_rates() -> dict:
    """The configured probabilities behind the dirt counts (see docs/DEMO_DATA.md)."""
    return {
        "oro_order.customer_id_null": commerce.P_ORDER_CUSTOMER_NULL,
        "oro_order.customer_user_id_orphan": commerce.P_ORDER_CU_ORPHAN,
        "oro_payment_transaction.entity_identifier_orphan (per order)": commerce.P_ORDER_DELETED,
        "oro_order_line_item.product_id_null": orders.P_LINE_PRODUCT_NULL,
        "oro_order_line_item.product_id_orphan": orders.P_LINE_PRODUCT_ORPHAN,
        "oro_customer.group_id_null": world_mod.P_CUSTOMER_GROUP_NULL,
        "oro_product.brand_id_null (variants; the 3 TAG products always)": world_mod.P_VARIANT_BRAND_NULL,
        "orocrm_sales_customer.customer_e197f906_id_orphan (per B2B customer)": world_mod.P_DELETED_B2B_CUSTOMER,
        "orocrm_sales_opportunity.customer_association_id_null": crm.P_OPPORTUNITY_ASSOCIATION_NULL,
        "transacciones_tienda.wrong_field_count": csvfiles.P_POS_MALFORMED,
        "transacciones_tienda.non_numeric_cantidad": csvfiles.P_POS_NON_NUMERIC,
        "transacciones_tienda.unknown_sku": csvfiles.P_POS_UNKNOWN_SKU,
        "transacciones_tienda.duplicate_ticket_linea": csvfiles.P_POS_DUPLICATE,
        "transacciones_tienda.unknown_sucursal (per ticket)": csvfiles.P_POS_UNKNOWN_STORE,
        "productos_erp.only_in_oro": csvfiles.P_ERP_ONLY_IN_ORO,
        "productos_erp.only_in_erp (besides deleted Oro products)": csvfiles.ERP_ONLY_SHARE,
        "productos_erp.nombre_mismatch": csvfiles.P_ERP_NAME_MISMATCH,
        "productos_erp.marca_mismatch": csvfiles.P_ERP_BRAND_MISMATCH,
    }


def generate(target: DemoTarget | None = None, scale: float = 1.0, seed: int = 42, inputs: str = "owned") -> dict:
    """Create the OroCommerce and OroCRM demo sources and the CSV inputs from scratch.

    Existing demo tables are dropped and recreated (SQLite files are replaced; PostgreSQL
    databases are created when missing). Same (seed, scale) -> identical data.
    Returns the manifest, also written to ``target.manifest_path``.

    The generator never writes over a CSV input it did not write. ``inputs`` says what to do
    with the six CSV inputs:
    - ``owned`` (default): write them all, but if one exists and is not the generator's own
      (recorded in the manifest with its SHA-256, unchanged since), raise DemoInputsError
      before anything is written;
    - ``missing``: write only the files that do not exist; existing ones are kept as they are
      (``inputs_kept`` in the manifest) — what a first run's auto-generation does;
    - ``force``: overwrite them all.
    """
    target = target or DemoTarget.sqlite()
    scale = float(scale)
    seed = int(seed)
    if inputs not in INPUT_MODES:
        raise ValueError(f"inputs must be one of {INPUT_MODES}, got {inputs!r}")
    inputs_dir = Path(target.inputs_dir)
    if inputs == "owned":
        foreign = foreign_inputs(target)
        if foreign:
            raise DemoInputsError(
                f"the CSV inputs folder {inputs_dir} holds {len(foreign)} file(s) the demo generator did not "
                f"write ({', '.join(foreign)}); generating the demo would overwrite them. Move them away, point "
                f"sources.csv.path at another folder, or pass --force to overwrite them.")
    keep = sorted(n for n in csvfiles.HEADERS if (inputs_dir / n).exists()) if inputs == "missing" else []
    w = World(seed, scale)
    tables, dirt = {}, {}
    tables["orocommerce"], dirt["orocommerce"] = _load(target, target.commerce, "orocommerce",
                                                       lambda out: commerce.write_commerce(w, out))
    tables["orocrm"], dirt["orocrm"] = _load(target, target.crm, "orocrm", lambda out: crm.write_crm(w, out))
    files, dirt["csv"] = _write_inputs(w, inputs_dir, keep)
    manifest = {
        "generator": "ingest.demo",
        "format": MANIFEST_FORMAT,
        "seed": seed,
        "scale": scale,
        "period": {"start": ref.START.isoformat(), "end": ref.END.isoformat()},
        "target": target.describe(),
        "tables": tables,
        "totals": {"orocommerce": sum(tables["orocommerce"].values()),
                   "orocrm": sum(tables["orocrm"].values()),
                   "csv_data_lines": sum(f["data_lines"] for f in files.values())},
        "csv": files,
        "inputs_kept": keep,
        "dirt": dirt,
        "dirt_rates": dirt_rates(),
        "evolve": [],
    }
    write_manifest(target, manifest)
    return manifest


def _write_inputs(w: World, inputs_dir: Path, keep: list[str]) -> tuple[dict, dict]:
    """Write the CSV inputs into a scratch folder beside ``inputs_dir``, then move each into place
    (one rename per file) except those in ``keep``. Each written file's SHA-256 goes into its
    manifest entry: that is how a later run knows the file is the generator's own."""
    inputs_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".demo-inputs-", dir=inputs_dir.parent))
    try:
        files, dirt = csvfiles.write_csvs(w, scratch)
        for name in list(files):
            if name in keep:
                del files[name]
                dirt.pop(name, None)
                continue
            dest = inputs_dir / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            files[name]["sha256"] = file_sha256(scratch / name)
            os.replace(scratch / name, dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return files, dirt


def write_manifest(target: DemoTarget, manifest: dict) -> None:
    path = target.manifest_path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_manifest(target: DemoTarget) -> dict | None:
    path = target.manifest_path
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def replaced_sources(before: dict | None, after: dict) -> str | None:
    """How a generation changed the demo sources a warehouse may have been built from, or
    None when it wrote the same data again (same seed and scale over sources that were never
    evolved) or there were none. Anything else reuses the same primary keys for other rows:
    an incremental run would merge the two source systems."""
    if not before:
        return None

    def describe(doc: dict) -> str:
        days = len(doc.get("evolve") or [])
        return f"scale {float(doc.get('scale', 0)):g}, seed {doc.get('seed')}" + (f", {days} day(s) evolved" if days else "")

    same = (float(before.get("scale", -1)) == float(after["scale"]) and before.get("seed") == after["seed"]
            and not before.get("evolve"))
    return None if same else f"{describe(before)} -> {describe(after)}"
