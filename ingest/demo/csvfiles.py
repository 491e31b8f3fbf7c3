"""CSV inputs under ``inputs_dir``: POS ticket lines, sales targets, ERP products, stores,
exchange rates and the (deliberately incomplete) order status catalogue.

All files are UTF-8, comma-separated, '\\n' line ends, header first, one record per line.
POS times are local store time (America/El_Salvador, UTC-6), as the POS exports them;
Oro timestamps are UTC.
"""
from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

from . import reference as ref
from .world import World, cumulative, rng_for, weighted_index

POS_FILE = "ventas/transacciones_tienda.csv"
STATUS_FILE = "ventas/estados_orden.csv"
TARGETS_FILE = "ventas/metas_ventas.csv"
ERP_FILE = "catalogo/productos_erp.csv"
STORES_FILE = "maestros/sucursales.csv"
RATES_FILE = "maestros/tipos_cambio.csv"

HEADERS = {
    STATUS_FILE: ["codigo", "nombre", "descripcion", "es_final", "orden"],
    POS_FILE: ["ticket", "linea", "fecha_hora", "sucursal", "sku", "cantidad", "precio", "descuento", "moneda",
               "metodo_pago", "cliente_codigo"],
    TARGETS_FILE: ["mes", "canal", "empleado_email", "sucursal", "monto_meta", "moneda"],
    ERP_FILE: ["codigo", "nombre", "costo_unitario", "marca", "estado"],
    STORES_FILE: ["codigo", "nombre", "tipo", "ciudad", "departamento"],
    RATES_FILE: ["fecha", "moneda", "tasa_usd"],
}


def daily_pos_file(day: int) -> str:
    return f"ventas/transacciones_tienda_{ref.ds(day).replace('-', '')}.csv"


POS_LINES_PER_SCALE = 650
FIRST_TICKET = 1000001
# Dirt rates (documented in docs/DEMO_DATA.md); line dirt kinds exclude each other
P_POS_MALFORMED = 0.003        # a line with 10 or 12 fields
P_POS_NON_NUMERIC = 0.003      # cantidad is a word
P_POS_UNKNOWN_SKU = 0.01       # sku not in oro_product
P_POS_DUPLICATE = 0.005        # a clean line written twice (same ticket + linea)
P_POS_UNKNOWN_STORE = 0.005    # per ticket: sucursal not in sucursales.csv
# ERP shares are exact (at least one product each), not per-row draws
P_ERP_ONLY_IN_ORO = 0.03       # Oro product missing from the ERP export
P_ERP_NAME_MISMATCH = 0.04
P_ERP_BRAND_MISMATCH = 0.03
ERP_ONLY_SHARE = 0.02          # extra ERP codes unknown to Oro (besides products deleted from Oro)

# statuses left out of estados_orden.csv, and the one with an empty description
STATUS_ROWS = [("open", "Abierta", "Orden recibida, pendiente de revisión", "false", 1),
               ("processing", "En proceso", "", "false", 3),
               ("closed", "Cerrada", "Orden entregada y facturada", "true", 4)]
MISSING_STATUSES = ["pending", "cancelled"]
NON_NUMERIC = ["dos", "tres", "N/A", "uno", "x2"]


def open_csv(path: Path, header: list[str], append: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    if append and path.is_file():
        return path.open("a", encoding="utf-8", newline="")
    fh = path.open("w", encoding="utf-8", newline="")
    fh.write(",".join(header) + "\n")
    return fh


def write_rows(path: Path, header: list[str], rows) -> int:
    with open_csv(path, header) as fh:
        writer = csv.writer(fh, lineterminator="\n")
        n = 0
        for row in rows:
            writer.writerow(row)
            n += 1
    return n


class PosWriter:
    """Writes POS tickets (several lines each) to one open file and counts what it wrote.

    ``world`` needs: sellable / sellable_cum (products), deleted_products, pos_customer_ids
    (Oro customer ids a 'C' code may use) and n_store_customers (pool of 'T' codes).
    """

    def __init__(self, world, rng: random.Random, fh, next_ticket: int, dirty: bool):
        self.w, self.rng, self.fh, self.ticket, self.dirty = world, rng, fh, next_ticket, dirty
        self.stats = Counter(data_lines=0, malformed_lines=0, duplicate_lines=0)
        self.dirt = Counter(unknown_sucursal=0, unknown_sku=0, non_numeric_cantidad=0, wrong_field_count=0,
                            duplicate_ticket_linea=0)
        self.store_cum = cumulative(ref.STORE_WEIGHTS)
        self.pay_cum = cumulative(w for _m, w in ref.POS_PAYMENT_METHODS)

    def _ticket(self) -> list[list[str]]:
        """The lines of one ticket (duplicates re-sent by the POS last); time and number set later."""
        rng, w = self.rng, self.w
        store = ref.STORES[weighted_index(rng, self.store_cum)]
        unknown_store = self.dirty and rng.random() < P_POS_UNKNOWN_STORE
        if unknown_store:
            store = rng.choice(ref.UNKNOWN_SUCURSALES)
        r = rng.random()
        if r < 0.70 or not w.pos_customer_ids:
            client = ""
        elif r < 0.88:
            client = f"C{rng.choice(w.pos_customer_ids):06d}"
        else:
            client = f"T{rng.randrange(1, w.n_store_customers + 1):06d}"
        method = ref.POS_PAYMENT_METHODS[weighted_index(rng, self.pay_cum)][0]
        lines, duplicates = [], []
        for linea in range(1, rng.choices((1, 2, 3, 4, 5), (50, 25, 13, 8, 4))[0] + 1):
            p = w.sellable[weighted_index(rng, w.sellable_cum)]
            qty = rng.choices((1, 2, 3, 4, 6), (70, 18, 6, 4, 2))[0]
            discount = 0 if rng.random() < 0.85 else p.price * qty * rng.choice((5, 10, 15)) // 100
            fields = ["", str(linea), "", store, p.sku, str(qty), f"{p.price / 100:.2f}",
                      f"{discount / 100:.2f}", "USD", method, client]
            kind = "clean"
            if self.dirty:
                r = rng.random()
                if r < P_POS_MALFORMED:
                    kind = "malformed"
                elif r < P_POS_MALFORMED + P_POS_NON_NUMERIC:
                    kind = "non_numeric"
                elif r < P_POS_MALFORMED + P_POS_NON_NUMERIC + P_POS_UNKNOWN_SKU:
                    kind = "unknown_sku"
            if kind == "malformed":
                # 10 fields (last one lost) or 12 (a stray separator inside cantidad)
                fields = fields[:-1] if rng.random() < 0.5 else fields[:5] + ["1", "x"] + fields[6:]
                self.stats["malformed_lines"] += 1
                self.dirt["wrong_field_count"] += 1
            else:
                if kind == "non_numeric":
                    fields[5] = rng.choice(NON_NUMERIC)
                    self.dirt["non_numeric_cantidad"] += 1
                elif kind == "unknown_sku":
                    fields[4] = (rng.choice(w.deleted_products).sku if w.deleted_products and rng.random() < 0.5
                                 else f"SKU-TEMP-{rng.randrange(100, 999)}")
                    self.dirt["unknown_sku"] += 1
                if unknown_store:
                    self.dirt["unknown_sucursal"] += 1
                elif kind == "clean" and self.dirty and rng.random() < P_POS_DUPLICATE:
                    duplicates.append(fields)
            lines.append(fields)
        self.stats["duplicate_lines"] += len(duplicates)
        self.dirt["duplicate_ticket_linea"] += len(duplicates)
        return lines + duplicates

    def day(self, day: int, n_lines: int, opening: int = 9 * 3600, closing: int = 21 * 3600) -> int:
        """Tickets of one local store day until at least n_lines lines; numbered in time order."""
        tickets, planned = [], 0
        while planned < n_lines:
            tickets.append(self._ticket())
            planned += len(tickets[-1])
        times = sorted(self.rng.randrange(opening, closing) for _ in tickets)
        for lines, sec in zip(tickets, times):
            when = f"{ref.ds(day)} {sec // 3600:02d}:{sec % 3600 // 60:02d}:{sec % 60:02d}"
            number = str(self.ticket)
            self.ticket += 1
            for fields in lines:   # malformed lines too keep ticket and fecha_hora at 0 and 2
                fields[0], fields[2] = number, when
                self.fh.write(",".join(fields) + "\n")
        self.stats["data_lines"] += planned
        return planned


def write_pos(w: World, inputs: Path) -> tuple[dict, dict]:
    rng = rng_for(w.seed, "pos")
    days = list(range(ref.START_DAY, ref.END_DAY + 1))
    per_day = ref.allocate(w.n(POS_LINES_PER_SCALE), [ref.day_weight(d, "tienda") for d in days])
    with open_csv(inputs / POS_FILE, HEADERS[POS_FILE]) as fh:
        pos = PosWriter(w, rng, fh, FIRST_TICKET, dirty=True)
        planned = 0
        for day, n in zip(days, per_day):
            planned += n   # a ticket may overshoot its day's quota: the next day makes up for it
            if pos.stats["data_lines"] < planned:
                pos.day(day, planned - pos.stats["data_lines"])
    return dict(pos.stats), dict(pos.dirt)


def erp_rows(w: World) -> tuple[list[list[str]], dict]:
    rng = rng_for(w.seed, "erp")
    brands = dict(ref.BRANDS)
    dirt = Counter(only_in_erp=0, only_in_oro=0, nombre_mismatch=0, marca_mismatch=0)
    products = sorted(w.products, key=lambda p: p.sku)

    def exactly(rate: float, among: list) -> set:
        return {p.id for p in rng.sample(among, min(len(among), max(1, round(rate * len(among)))))}

    missing = exactly(P_ERP_ONLY_IN_ORO, products)
    listed = [p for p in products if p.id not in missing]
    renamed = exactly(P_ERP_NAME_MISMATCH, listed)
    rebranded = exactly(P_ERP_BRAND_MISMATCH, [p for p in listed if p.brand_id is not None])
    dirt["only_in_oro"] = len(missing)
    rows = []
    for p in listed:
        name, brand = p.name, brands.get(p.brand_id, "")
        if p.id in renamed:
            new = rng.choice([name.upper(), name[:28].rstrip(), p.name_es or name + " (ERP)"])
            name = new if new != p.name else p.name + " (ERP)"
            dirt["nombre_mismatch"] += 1
        if p.id in rebranded:
            brand = rng.choice([t for b, t in ref.BRANDS if b != p.brand_id])
            dirt["marca_mismatch"] += 1
        base = p.price if p.price is not None else rng.randrange(500, 1500)
        cost = int(base * rng.uniform(0.55, 0.75))
        rows.append([p.sku, name, f"{cost / 100:.2f}", brand, "activo" if p.status == "enabled" else "inactivo"])
    extra = [[d.sku, d.name, f"{int((d.price or 1000) * 0.6) / 100:.2f}", brands.get(d.brand_id, ""), "inactivo"]
             for d in w.deleted_products]
    for i in range(max(2, round(ERP_ONLY_SHARE * len(w.products)))):
        b = rng.choice(w.products)
        extra.append([f"PF{i + 1:05d}", f"{b.name_es or b.name} (nuevo proveedor)",
                      f"{rng.randrange(300, 40000) / 100:.2f}", rng.choice(ref.BRANDS)[1], "activo"])
    dirt["only_in_erp"] = len(extra)
    rows = sorted(rows + extra, key=lambda r: r[0])
    return rows, dict(dirt)


def target_rows(w: World) -> list[list[str]]:
    rng = rng_for(w.seed, "targets")
    months = []
    d = ref.START
    while d <= ref.END:
        months.append(d)
        d = ref.dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    web_reps = [u for u in w.users if u.role == "b2b" and u.enabled]
    managers = [u for u in w.users if u.role == "tienda"]
    store_weight = dict(zip(ref.STORES, ref.STORE_WEIGHTS))
    rows = []
    for m in months:
        f = ref.MONTH_FACTOR[m.month]
        mes = m.isoformat()
        web = 60000 * w.scale * f * rng.uniform(0.95, 1.1)
        rows.append([mes, "web", "", "", f"{web:.2f}", "USD"])
        for u in web_reps:
            rows.append([mes, "web", u.email, "", f"{web * 0.6 / len(web_reps) * rng.uniform(0.8, 1.2):.2f}", "USD"])
        for u in w.reps_tele:
            rows.append([mes, "televentas", u.email, "", f"{6000 * f * rng.uniform(0.8, 1.2):.2f}", "USD"])
        store_total = 9000 * w.scale * f
        for s in ref.STORES:
            st = store_total * store_weight[s] / sum(ref.STORE_WEIGHTS) * rng.uniform(0.95, 1.1)
            rows.append([mes, "tienda", "", s, f"{st:.2f}", "USD"])
            mgrs = [u for u in managers if u.store == s]
            for u in mgrs:
                rows.append([mes, "tienda", u.email, s, f"{st / len(mgrs):.2f}", "USD"])
    return rows


def rate_rows(w: World) -> list[list[str]]:
    return [[ref.ds(day), cur, f"{w.rates[cur][day]:.6f}"]
            for day in range(ref.START_DAY, ref.END_DAY + 1) for cur in ref.FOREIGN_CURRENCIES]


def write_csvs(w: World, inputs: Path) -> tuple[dict, dict]:
    """Write all six files; returns ({file: line counts}, {file: dirt counts})."""
    inputs = Path(inputs)
    files: dict[str, dict] = {}
    dirt: dict[str, dict] = {}

    def clean(name: str, n: int) -> None:
        files[name] = {"data_lines": n, "malformed_lines": 0, "duplicate_lines": 0}

    clean(STATUS_FILE, write_rows(inputs / STATUS_FILE, HEADERS[STATUS_FILE], STATUS_ROWS))
    files[STATUS_FILE]["missing_codes"] = list(MISSING_STATUSES)
    dirt[STATUS_FILE] = {"missing_codes": len(MISSING_STATUSES),
                         "empty_descripcion": sum(1 for r in STATUS_ROWS if not r[2])}
    files[POS_FILE], dirt[POS_FILE] = write_pos(w, inputs)
    clean(TARGETS_FILE, write_rows(inputs / TARGETS_FILE, HEADERS[TARGETS_FILE], target_rows(w)))
    erp, dirt[ERP_FILE] = erp_rows(w)
    clean(ERP_FILE, write_rows(inputs / ERP_FILE, HEADERS[ERP_FILE], erp))
    clean(STORES_FILE, write_rows(inputs / STORES_FILE, HEADERS[STORES_FILE], ref.SUCURSALES))
    clean(RATES_FILE, write_rows(inputs / RATES_FILE, HEADERS[RATES_FILE], rate_rows(w)))
    return files, dirt
