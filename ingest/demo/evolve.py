"""evolve(): one more business day (END + step days) on top of generated demo sources.

Reads the current state from the databases and the CSV files (not from memory), so it
works on SQLite and PostgreSQL alike and can be called step after step:

- inserts: new orders (with addresses, lines, link rows, payments), "late" orders created
  1-7 days earlier but arriving today, new customers with users and addresses (and, for
  companies, a CRM account, contact and association), new opportunities;
- updates: open orders move on (status, shipping status, payments), product prices and
  names change, one SKU passes from one product to another (Oro lets a SKU be changed and
  reused; the ERP export renames the same codes when the generator owns it), customers
  change group, open opportunities are won or lost;
- deletes (before the updates, so nothing deleted is also updated): a few whole orders (with
  their lines, link rows, payment transactions, payment status and tax values; order lines
  are deleted only with their order, so every order left still adds up to its totals and
  taxes), a few payment transactions that are not their order's first (the first decides the
  order's payment method) and a few CRM opportunities; chosen from the seed, returned in
  ``deleted`` (table -> ids);
- CSV: the day's POS tickets in ``ventas/transacciones_tienda_<YYYYMMDD>.csv``, late
  tickets (from the 3 previous days) appended to ``ventas/transacciones_tienda.csv``, the
  day's exchange rates appended to ``maestros/tipos_cambio.csv``.

Every inserted or updated row gets an update cursor on the new day, so it sorts after
every cursor written before: incremental loads pick up exactly what changed.
"""
from __future__ import annotations

import csv
import json
import random
from bisect import bisect_right
from collections import Counter
from pathlib import Path

from . import reference as ref
from .crm import opportunity_serialized, write_opportunity
from .csvfiles import (ERP_FILE, FIRST_TICKET, HEADERS, POS_FILE, RATES_FILE, PosWriter, daily_pos_file, open_csv,
                       write_rows)
from .generate import file_sha256, owned_inputs, read_manifest, write_manifest
from .orders import OrderFactory, shipping_status_for
from .reference import DAY, cents_of, money, order_serialized, parse_ts, to_json, ts
from .sinks import Loader, Sink, open_sink
from .target import DemoTarget
from .world import (Address, Customer, CustomerUser, Place, Product, ascii_slug, cumulative, next_rate,
                    person_name, phone_sv, random_place, rate_on, rng_for)

NEXT_STATUS = {"open": (("pending", 30), ("processing", 50), ("cancelled", 20)),
               "pending": (("processing", 80), ("cancelled", 20)),
               "processing": (("closed", 85), ("processing", 15))}
RENAME_SUFFIX = " - Modelo 2027"
# rows deleted per step (evolve's `deleted`): whole orders (with their lines), payments, opportunities
DELETES = {"orders": 2, "payments": 3, "opportunities": 2}


def _max_id(sink: Sink, table: str, column: str = "id") -> int:
    return sink.query(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"')[0][0]


def _json(value) -> dict:
    if value is None:
        return {}
    return value if isinstance(value, dict) else json.loads(value)


def _choose(rng: random.Random, options) -> str:
    return rng.choices([o for o, _w in options], [w for _o, w in options])[0]


class DbWorld:
    """What OrderFactory and PosWriter need from a World, read back from the sources."""

    promotions: list = []
    deleted_products: list = []
    deleted_product_ids: frozenset = frozenset()

    def __init__(self, com: Sink, inputs: Path, rng: random.Random):
        # products with their default-list prices
        prices: dict[tuple[int, int, float], int] = {}
        for pl, pid, qty, value in com.query(
                "SELECT price_list_id, product_id, quantity, value FROM oro_price_product "
                "WHERE currency = 'USD' ORDER BY product_id, price_list_id, quantity"):
            prices[(pl, pid, float(qty))] = cents_of(value)
        units = dict(com.query("SELECT id, unit_code FROM oro_product_unit_precision"))
        self.products: list[Product] = []
        for pid, sku, name, status, brand, cat, upp, created, updated in com.query(
                "SELECT id, sku, name, status, brand_id, category_id, primary_unit_precision_id, created_at, "
                "updated_at FROM oro_product ORDER BY id"):
            p = Product(pid, sku, name, None, units.get(upp, "item"), 0, status, "simple", brand, cat, "",
                        prices.get((1, pid, 1.0)), prices.get((2, pid, 1.0)), prices.get((1, pid, 10.0)),
                        parse_ts(created), parse_ts(updated))
            p.weight = rng.lognormvariate(0, 0.9)
            self.products.append(p)
        self.sellable = [p for p in self.products if p.sellable]
        self.sellable_cum = cumulative(p.weight for p in self.sellable)

        # customers, address books, customer users
        self.customers: dict[int, Customer] = {}
        for cid, name, group, owner, created, updated in com.query(
                "SELECT id, name, group_id, owner_id, created_at, updated_at FROM oro_customer ORDER BY id"):
            kind = "b2b" if group in ref.B2B_GROUPS else "guest" if group == ref.GUEST_GROUP else "b2c"
            self.customers[cid] = Customer(cid, name, kind, group, None, owner or 1, "SV", parse_ts(created),
                                           parse_ts(updated))
        for aid, owner, primary, label, street, city, postal, country, region, region_text, phone, created, upd \
                in com.query("SELECT id, frontend_owner_id, is_primary, label, street, city, postal_code, "
                             "country_code, region_code, region_text, phone, created, updated "
                             "FROM oro_customer_address ORDER BY id"):
            c = self.customers.get(owner)
            if c is None:
                continue
            a = Address(aid, owner, int(bool(primary)), label, Place(street, city, postal, country, region,
                                                                      region_text), phone, parse_ts(created),
                        parse_ts(upd))
            c.addresses.append(a)
            if a.is_primary:
                c.country = country or "SV"
        self.customer_users: list[CustomerUser] = []
        for uid, cid, website, owner, first, last, email, guest, created in com.query(
                "SELECT id, customer_id, website_id, owner_id, first_name, last_name, email, is_guest, created_at "
                "FROM oro_customer_user WHERE customer_id IS NOT NULL ORDER BY created_at, id"):
            if cid in self.customers:
                self.customer_users.append(CustomerUser(uid, cid, website or 1, owner or 1, first, last, email,
                                                        None, int(bool(guest)), parse_ts(created),
                                                        parse_ts(created)))
                if guest:
                    self.customers[cid].kind = "guest"
        self.cu_created = [u.created for u in self.customer_users]
        self.pos_customer_ids = [c.id for c in self.customers.values() if c.kind != "guest"]
        self.n_store_customers = max(10, round(len(self.customers) * 0.75))

        # exchange rates from the CSV (plus the ones evolve adds)
        self.rates: dict[str, dict[int, float]] = {c: {} for c in ref.FOREIGN_CURRENCIES}
        path = inputs / RATES_FILE
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    if row.get("moneda") in self.rates:
                        try:
                            self.rates[row["moneda"]][ref.day_index(ref.date_of(row["fecha"]))] = float(row["tasa_usd"])
                        except (TypeError, ValueError):
                            continue

    def rate(self, currency: str, day: int) -> float:
        return rate_on(self.rates, currency, day)

    def add_customer_user(self, u: CustomerUser) -> None:
        """A user created on the new day: later than every existing one, so the list stays sorted."""
        self.customer_users.append(u)
        self.cu_created.append(u.created)

    def pick_customer_user(self, rng: random.Random, at: int) -> CustomerUser:
        k = max(1, bisect_right(self.cu_created, at))
        return self.customer_users[rng.randrange(k)]


class Step:
    """One evolve step in progress: both sinks, their loaders, shared id counters, update counts."""

    def __init__(self, rng: random.Random, w: DbWorld, com: Sink, crm: Sink, day: int):
        self.rng, self.w, self.com, self.crm, self.day = rng, w, com, crm, day
        self.out_c, self.out_r = Loader(com, 5000), Loader(crm, 5000)
        self.updated = {"orocommerce": Counter(), "orocrm": Counter()}
        self.ids = {"line": _max_id(com, "oro_order_line_item") + 1,
                    "address": _max_id(com, "oro_order_address") + 1,
                    "tx": _max_id(com, "oro_payment_transaction") + 1,
                    "payment_status": _max_id(com, "oro_payment_status") + 1,
                    "order_discount": _max_id(com, "oro_order_discount") + 1,
                    "tax_value": _max_id(com, "oro_tax_value") + 1,
                    "checkout": _max_id(com, "oro_order", "source_entity_id") + 1,
                    "order": _max_id(com, "oro_order") + 1}
        self.factory = OrderFactory(w, rng, self.ids, dirty=False)
        self.late = 0
        self.deleted: dict[str, dict[str, list[int]]] = {"orocommerce": {}, "orocrm": {}}
        self.sku_moves: list[dict] = []

    def at(self) -> int:
        """A random moment of the new day."""
        return self.day * DAY + self.rng.randrange(DAY)

    def update(self, sink: Sink, table: str, set_cols: list[str], rows: list[tuple], where: str = "id") -> None:
        if rows:
            sink.update(table, set_cols, [where], rows)
            self.updated[sink.system][table] += len(rows)


def evolve(target: DemoTarget | None = None, step: int = 1, seed: int = 42) -> dict:
    target = target or DemoTarget.sqlite()
    step = int(step)
    if step < 1:
        raise ValueError(f"step must be 1 or more, got {step}")
    day = ref.END_DAY + step
    rng = rng_for(seed, f"evolve/{step}")
    inputs = Path(target.inputs_dir)
    com = open_sink(target.kind, target.commerce, "orocommerce", fresh=False)
    crm = open_sink(target.kind, target.crm, "orocrm", fresh=False)
    ok = False
    try:
        last = com.query("SELECT MAX(updated_at) FROM oro_order")[0][0]
        if last is not None and parse_ts(last) >= day * DAY:
            raise ValueError(f"evolve step {step} ({ref.ds(day)}) is not after the data already there "
                             f"(last order update {last}); use a later step, or generate() again")
        w = DbWorld(com, inputs, rng)
        new_rates = {cur: round(next_rate(rng, cur, w.rate(cur, day - 1)), 6) for cur in ref.FOREIGN_CURRENCIES}
        for cur, r in new_rates.items():
            w.rates[cur][day] = r
        st = Step(rng, w, com, crm, day)
        _deletes(st, rng_for(seed, f"evolve/{step}/deletes"))
        # updates first: they read the state as it was, so no row is both inserted and updated
        _order_updates(st)
        _product_updates(st)
        moved = _sku_move(st)
        _customer_updates(st)
        _opportunity_updates(st)
        _new_customers(st)
        _new_orders(st)
        _new_opportunities(st)
        st.out_c.flush()
        st.out_r.flush()
        ok = True
    finally:
        com.close(commit=ok)
        crm.close(commit=ok)
    owned = owned_inputs(target)
    csv_counts = _csv_changes(rng, w, inputs, day, new_rates)
    if moved and ERP_FILE in owned:
        csv_counts[ERP_FILE] = _rename_erp_codes(inputs / ERP_FILE, moved)
    result = {
        "step": step, "seed": seed, "day": ref.ds(day),
        "inserted": {"orocommerce": {t: n for t, n in st.out_c.counts.items() if n},
                     "orocrm": {t: n for t, n in st.out_r.counts.items() if n}},
        "updated": {s: dict(sorted(c.items())) for s, c in st.updated.items()},
        "late": {"oro_order": st.late},
        "deleted": {sys_: {t: sorted(ids) for t, ids in sorted(tables.items())} for sys_, tables in st.deleted.items()},
        "sku_moves": st.sku_moves,
        "csv": csv_counts,
    }
    _record(target, result, owned)
    return result


def _record(target: DemoTarget, result: dict, owned: set[str] = frozenset()) -> None:
    """Append the step to the manifest and keep its row and line counts current."""
    manifest = read_manifest(target)
    if manifest is None:
        return
    for system, counts in result["inserted"].items():
        for table, n in counts.items():
            manifest["tables"][system][table] = manifest["tables"][system].get(table, 0) + n
    for system, tables in result["deleted"].items():
        for table, ids in tables.items():
            manifest["tables"][system][table] = manifest["tables"][system].get(table, 0) - len(ids)
    for name, n in result["csv"].items():
        entry = manifest["csv"].setdefault(name, {"data_lines": 0, "malformed_lines": 0, "duplicate_lines": 0})
        entry["data_lines"] += n
        path = Path(target.inputs_dir) / name
        if (name in owned or "sha256" not in entry and entry["data_lines"] == n) and path.is_file():
            entry["sha256"] = file_sha256(path)  # still the generator's own (or new today)
        else:
            entry.pop("sha256", None)
    manifest["totals"] = {"orocommerce": sum(manifest["tables"]["orocommerce"].values()),
                          "orocrm": sum(manifest["tables"]["orocrm"].values()),
                          "csv_data_lines": sum(f["data_lines"] for f in manifest["csv"].values())}
    manifest.setdefault("evolve", []).append(result)
    write_manifest(target, manifest)


# ---------------------------------------------------------------- deletes
def _delete(st: Step, sink: Sink, table: str, column: str, values: list, entity_class: str | None = None) -> None:
    """Deletes the rows of ``table`` whose ``column`` is in ``values`` (and whose ``entity_class`` is
    the one given); records their ids in ``st.deleted`` (for the order-line link table, which has
    none, its line ids)."""
    out: list[int] = []
    key = "line_item_id" if table == "oro_order_line_items" else "id"
    for i in range(0, len(values), 500):
        part = list(values[i:i + 500])
        cond = f'"{column}" IN ({", ".join([sink.ph] * len(part))})'
        if entity_class is not None:
            cond += f" AND entity_class = {sink.ph}"
            part.append(entity_class)
        out += [r[0] for r in sink.query(f'SELECT "{key}" FROM "{table}" WHERE {cond} ORDER BY "{key}"', part)]
        sink.execute(f'DELETE FROM "{table}" WHERE {cond}', part)
    if out:
        st.deleted[sink.system].setdefault(table, []).extend(out)


def _deletes(st: Step, rng: random.Random) -> None:
    """Rows deleted in the sources today (see the module docstring), chosen from the seed. Its own
    random stream ``rng``: the rest of the step does not move."""
    com, crm = st.com, st.crm
    order_class, line_class = ref.ORDER_CLASS, ref.LINE_ITEM_CLASS
    # orders that are neither a sub-order nor a parent (their lines belong to them alone), with 2+ lines
    lines_of: dict[int, list[int]] = {}
    for oid, lid in com.query("SELECT order_id, line_item_id FROM oro_order_line_items ORDER BY order_id, line_item_id"):
        lines_of.setdefault(oid, []).append(lid)
    family = {r[0] for r in com.query("SELECT parent_id FROM oro_order WHERE parent_id IS NOT NULL")}
    # settled orders only (closed or cancelled): the ones _order_updates leaves alone
    js = com.json_text("serialized_data")
    plain = [oid for (oid,) in com.query(f"SELECT id FROM oro_order WHERE parent_id IS NULL AND {js} NOT LIKE "
                                         f"'%.open\"%' AND {js} NOT LIKE '%.pending\"%' AND {js} NOT LIKE "
                                         f"'%.processing\"%' ORDER BY id")
             if oid not in family and len(lines_of.get(oid, [])) >= 2]
    orders = sorted(rng.sample(plain, min(len(plain), DELETES["orders"])))
    gone_lines = [lid for oid in orders for lid in lines_of[oid]]
    _delete(st, com, "oro_tax_value", "entity_id", orders, order_class)
    _delete(st, com, "oro_tax_value", "entity_id", gone_lines, line_class)
    _delete(st, com, "oro_payment_transaction", "entity_identifier", orders)
    _delete(st, com, "oro_payment_status", "entity_identifier", orders)
    _delete(st, com, "oro_order_line_items", "line_item_id", gone_lines)
    _delete(st, com, "oro_order_line_item", "id", gone_lines)
    _delete(st, com, "oro_order", "id", orders)
    # payment transactions that are not the first of their order, and that no other transaction follows
    first = {r[0] for r in com.query("SELECT MIN(id) FROM oro_payment_transaction GROUP BY entity_identifier")}
    followed = {r[0] for r in com.query("SELECT source_payment_transaction FROM oro_payment_transaction "
                                        "WHERE source_payment_transaction IS NOT NULL")}
    later = [tid for (tid,) in com.query("SELECT id FROM oro_payment_transaction ORDER BY id")
             if tid not in first and tid not in followed]
    _delete(st, com, "oro_payment_transaction", "id", sorted(rng.sample(later, min(len(later), DELETES["payments"]))))
    opportunities = [r[0] for r in crm.query("SELECT id FROM orocrm_sales_opportunity ORDER BY id")]
    _delete(st, crm, "orocrm_sales_opportunity", "id",
            sorted(rng.sample(opportunities, min(len(opportunities), DELETES["opportunities"]))))


# ---------------------------------------------------------------- updates
def _order_updates(st: Step) -> None:
    """Open, pending and processing orders move on; closing or cancelling settles the payment."""
    com, rng = st.com, st.rng
    js = com.json_text("serialized_data")
    candidates = com.query(f"SELECT id, serialized_data, total_value, currency, customer_user_id FROM oro_order "
                           f"WHERE {js} LIKE '%.open\"%' OR {js} LIKE '%.pending\"%' "
                           f"OR {js} LIKE '%.processing\"%' ORDER BY id")
    moving = [r for r in candidates if rng.random() < 0.4]
    payment: dict[int, dict] = {}
    ids = [r[0] for r in moving]
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        marks = ", ".join([com.ph] * len(part))
        for sid, oid, status in com.query(f"SELECT id, entity_identifier, payment_status FROM oro_payment_status "
                                          f"WHERE entity_identifier IN ({marks}) ORDER BY id", part):
            payment[oid] = {"id": sid, "status": status, "opener": None}
        for tid, oid, method, action, reference in com.query(
                f"SELECT id, entity_identifier, payment_method, action, reference FROM oro_payment_transaction "
                f"WHERE entity_identifier IN ({marks}) AND action IN ('authorize', 'purchase') ORDER BY id", part):
            if oid in payment and payment[oid]["opener"] is None:
                payment[oid]["opener"] = (tid, method, action, reference)
    order_rows, tx_rows, status_rows = [], [], []
    for oid, data, total, currency, cu_id in moving:
        old = _json(data).get("internal_status", "").rsplit(".", 1)[-1]
        if old not in NEXT_STATUS:
            continue
        new = _choose(rng, NEXT_STATUS[old])
        at = st.at()
        order_rows.append((order_serialized(new, shipping_status_for(rng, new)), ts(at), oid))
        pay = payment.get(oid)
        if pay is None or new not in ("closed", "cancelled"):
            continue
        if pay["status"] in ("authorized", "pending") and pay["opener"] is not None:
            tid, method, action, reference = pay["opener"]
            follow = "capture" if new == "closed" else "cancel"
            st.factory.transaction(st.out_c, oid=oid, method=method, action=follow, amount=cents_of(total),
                                   currency=currency, successful=1, active=int(follow == "capture"), owner=cu_id,
                                   created=at, updated=at, reference=reference, source=tid)
            tx_rows.append((0 if action == "authorize" else 1, ts(at), tid))
            status_rows.append(("full" if new == "closed" else "canceled", ts(at), pay["id"]))
        elif pay["status"] == "invoiced" and new == "cancelled":
            status_rows.append(("canceled", ts(at), pay["id"]))
    st.update(com, "oro_order", ["serialized_data", "updated_at"], order_rows)
    st.update(com, "oro_payment_transaction", ["active", "updated_at"], tx_rows)
    st.update(com, "oro_payment_status", ["payment_status", "updated_at"], status_rows)


def _product_updates(st: Step) -> None:
    """About 1% of sellable products change price; a third of those are also renamed."""
    com, rng, w = st.com, st.rng, st.w
    k = min(len(w.sellable), max(1, round(len(w.products) * 0.01)))
    product_rows, price_rows, name_rows = [], [], []
    for p in sorted(rng.sample(w.sellable, k), key=lambda p: p.id):
        p.price = max(50, int(round(p.price * rng.uniform(0.9, 1.1))))
        price_rows.append((money(p.price), p.id))
        if rng.random() < 0.3 and not p.name.endswith(RENAME_SUFFIX):
            p.name = p.name + RENAME_SUFFIX
            name_rows.append((p.name, p.id))
        product_rows.append((p.name, p.name.upper(), ts(st.at()), p.id))
    st.update(com, "oro_product", ["name", "name_uppercase", "updated_at"], product_rows)
    com.executemany(f"UPDATE oro_price_product SET value = {com.ph} WHERE product_id = {com.ph} "
                    f"AND price_list_id = 1 AND quantity = 1 AND currency = 'USD'", price_rows)
    st.updated["orocommerce"]["oro_price_product"] += len(price_rows)
    if name_rows:
        com.executemany(f"UPDATE oro_product_prod_name SET string = {com.ph} WHERE product_id = {com.ph} "
                        f"AND localization_id IS NULL", name_rows)
        st.updated["orocommerce"]["oro_product_prod_name"] += len(name_rows)


def _sku_move(st: Step) -> dict[str, str]:
    """One SKU moves: product A's SKU X is renamed X-ANT<day> and product B (with SKU Y) takes
    X, B's update after A's (Oro keeps SKUs unique at every moment). Returns the ERP code
    renames {X: X-ANT<day>, Y: X}. Its own random stream: the rest of the step does not move."""
    rng = random.Random(f"sku-move/{st.day}")
    candidates = [p for p in st.w.sellable if "-ANT" not in p.sku]
    if len(candidates) < 2:
        return {}
    a, b = rng.sample(candidates, 2)
    x, y = a.sku, b.sku
    a.sku, b.sku = f"{x}-ANT{ref.ds(st.day).replace('-', '')}", x
    first = st.day * DAY + rng.randrange(DAY // 2)
    rows = [(a.sku, a.sku.upper(), ts(first), a.id), (b.sku, b.sku.upper(), ts(first + 60), b.id)]
    for row in rows:   # one at a time, in order: the SKU is free before B takes it
        st.update(st.com, "oro_product", ["sku", "sku_uppercase", "updated_at"], [row])
    st.sku_moves = [{"product_id": a.id, "from": x, "to": a.sku}, {"product_id": b.id, "from": y, "to": x}]
    return {x: a.sku, y: x}


def _rename_erp_codes(path: Path, renames: dict[str, str]) -> int:
    """Rewrite the ERP export's codigo column with the SKU moves; returns 0 (no line added)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        if row and row[0] in renames:
            row[0] = renames[row[0]]
    write_rows(path, rows[0], rows[1:])
    return 0


def _customer_updates(st: Step) -> None:
    """About 0.5% of (non-guest) customers move to another customer group."""
    rng = st.rng
    existing = [c for c in st.w.customers.values() if c.kind != "guest"]
    k = min(len(existing), max(1, round(len(existing) * 0.005)))
    rows = []
    for c in sorted(rng.sample(existing, k), key=lambda c: c.id):
        groups = [g for g in (ref.B2B_GROUPS if c.kind == "b2b" else (ref.B2C_GROUP, ref.WHOLESALE_GROUP))
                  if g != c.group_id]
        c.group_id = rng.choice(groups)
        rows.append((c.group_id, ts(st.at()), c.id))
    st.update(st.com, "oro_customer", ["group_id", "updated_at"], rows)


def _opportunity_updates(st: Step) -> None:
    """About 3% of open opportunities close today: won (with revenue) or lost."""
    crm, rng = st.crm, st.rng
    js = crm.json_text("serialized_data")
    open_ones = crm.query(f"SELECT id, budget_amount_value, budget_amount_currency, base_budget_amount_value "
                          f"FROM orocrm_sales_opportunity WHERE {js} NOT LIKE '%.won\"%' "
                          f"AND {js} NOT LIKE '%.lost\"%' ORDER BY id")
    k = min(len(open_ones), max(1, round(len(open_ones) * 0.03)))
    rows = []
    for oid, budget, currency, base in sorted(rng.sample(open_ones, k)):
        at = ts(st.at())
        won = rng.random() < 0.55
        budget_c = cents_of(budget or 0)
        revenue = int(budget_c * rng.uniform(0.8, 1.1)) if won else None
        ratio = (float(base) / float(budget)) if budget and base else 1.0
        rows.append((opportunity_serialized("won" if won else "lost"), 1.0 if won else 0.0, at,
                     "won" if won else rng.choice(("outsold", "cancelled")),
                     None if revenue is None else money(revenue), None if revenue is None else currency,
                     None if revenue is None else money(int(round(revenue * ratio))), at, oid))
    st.update(crm, "orocrm_sales_opportunity",
              ["serialized_data", "probability", "closed_at", "close_reason_name", "close_revenue_value",
               "close_revenue_currency", "base_close_revenue_value", "updated_at"], rows)


# ---------------------------------------------------------------- inserts
def _new_customers(st: Step) -> None:
    """New sign-ups of the day; a company also appears in the CRM (account, contact, association)."""
    com, crm, rng, w = st.com, st.crm, st.rng, st.w
    n = max(1, round(len(w.customers) / ref.N_DAYS * rng.uniform(0.7, 1.5)))
    next_customer = _max_id(com, "oro_customer") + 1
    next_user = _max_id(com, "oro_customer_user") + 1
    next_address = _max_id(com, "oro_customer_address") + 1
    reps = [r[0] for r in com.query("SELECT id FROM oro_user ORDER BY id")]
    crm_ids = {t: _max_id(crm, t) + 1 for t in ("orocrm_account", "orocrm_contact", "orocrm_sales_customer")}
    for _ in range(n):
        created = st.day * DAY + rng.randrange(DAY // 2)
        kind = rng.choices(("b2b", "b2c"), (45, 55))[0]
        first, last, _g = person_name(rng)
        if kind == "b2b":
            brand_name = rng.choice(ref.COMPANY_NAMES)
            name = f"{rng.choice(ref.COMPANY_KINDS)} {brand_name} {rng.choice(ref.COMPANY_SUFFIXES)}".strip()
            group, domain = rng.choice(ref.B2B_GROUPS), ascii_slug(brand_name) + ".com.sv"
        else:
            name, group, domain = f"{first} {last}", ref.B2C_GROUP, rng.choice(ref.EMAIL_DOMAINS)
        owner = rng.choice(reps)
        c = Customer(next_customer, name, kind, group, None, owner, "SV", created, created)
        next_customer += 1
        st.out_c.add("oro_customer", {"id": c.id, "name": name, "group_id": group, "owner_id": owner,
                                      "organization_id": ref.ORGANIZATION_ID, "created_at": ts(created),
                                      "updated_at": ts(created), "lifetime": 0.0})
        a = Address(next_address, c.id, 1, "Oficina principal" if kind == "b2b" else "Casa",
                    random_place(rng, "SV"), phone_sv(rng), created, created)
        next_address += 1
        c.addresses.append(a)
        st.out_c.add("oro_customer_address", {
            "id": a.id, "frontend_owner_id": c.id, "is_primary": 1, "label": a.label, "street": a.place.street,
            "city": a.place.city, "postal_code": a.place.postal_code, "country_code": a.place.country,
            "region_code": a.place.region_code, "phone": a.phone, "created": ts(created), "updated": ts(created)})
        email = f"{ascii_slug(first)}.{ascii_slug(last.split()[0])}.{c.id}@{domain}"
        u = CustomerUser(next_user, c.id, 2 if kind == "b2b" else 1, owner, first, last, email, None, 0,
                         created + 60, created + 60)
        next_user += 1
        st.out_c.add("oro_customer_user", {
            "id": u.id, "customer_id": c.id, "website_id": u.website_id, "owner_id": owner,
            "organization_id": ref.ORGANIZATION_ID, "username": email, "email": email,
            "email_lowercase": email.lower(), "first_name": first, "last_name": last, "enabled": 1,
            "confirmed": 1, "is_guest": 0, "login_count": 1, "last_login": ts(u.created),
            "created_at": ts(u.created), "updated_at": ts(u.created),
            "serialized_data": to_json({"auth_status": ref.enum_id("cu_auth_status", "active")})})
        w.customers[c.id] = c
        w.add_customer_user(u)
        if kind == "b2b":
            aid, cid, scid = (crm_ids[t] for t in ("orocrm_account", "orocrm_contact", "orocrm_sales_customer"))
            for t in crm_ids:
                crm_ids[t] += 1
            synced = ts(created + 3600)
            st.out_r.add("orocrm_contact", {
                "id": cid, "first_name": first, "last_name": last, "email": email,
                "job_title": "Gerente de compras", "source_name": "website", "method_name": "email",
                "assigned_to_user_id": owner, "user_owner_id": owner, "organization_id": ref.ORGANIZATION_ID,
                "createdat": synced, "updatedat": synced})
            st.out_r.add("orocrm_account", {"id": aid, "name": name, "user_owner_id": owner,
                                            "organization_id": ref.ORGANIZATION_ID, "default_contact_id": cid,
                                            "createdat": synced, "updatedat": synced})
            st.out_r.add("orocrm_account_to_contact", {"account_id": aid, "contact_id": cid})
            st.out_r.add("orocrm_sales_customer", {"id": scid, "account_id": aid, "customer_e197f906_id": c.id})


def _new_orders(st: Step) -> None:
    """The day's orders (open or pending), then late ones created 1-7 days ago that arrive today."""
    rng, w = st.rng, st.w
    daily = (st.ids["order"] - 1) / ref.N_DAYS
    n_new = max(1, round(daily * rng.uniform(0.8, 1.25)))
    n_late = max(1, round(n_new * 0.1))
    specs = []   # (created, updated, status, touch)
    for created in sorted(st.at() for _ in range(n_new)):
        status = rng.choices(("open", "pending"), (70, 30))[0]
        updated = created if status == "open" else min(created + rng.randrange(60, 4 * 3600), (st.day + 1) * DAY - 1)
        specs.append((created, updated, status, None))
    for created in sorted((st.day - rng.randrange(1, 8)) * DAY + rng.randrange(DAY) for _ in range(n_late)):
        arrived = st.at()
        specs.append((created, arrived, rng.choice(("open", "processing")), arrived))
    for created, updated, status, touch in specs:
        cu = w.pick_customer_user(rng, created)
        customer = w.customers[cu.customer_id]
        oid = st.ids["order"]
        st.ids["order"] += 1
        st.factory.build(st.out_c, oid=oid, cu=cu, customer=customer, created=created, updated=updated,
                         status=status, shipping_status=shipping_status_for(rng, status), customer_id=customer.id,
                         customer_user_id=cu.id, touch=touch, promotions=False)
    st.late = n_late


def _new_opportunities(st: Step) -> None:
    crm, rng = st.crm, st.rng
    total = crm.query("SELECT COUNT(*) FROM orocrm_sales_opportunity")[0][0]
    n = max(1, round(total / ref.N_DAYS * rng.uniform(0.8, 1.5)))
    associations = crm.query("SELECT sc.id, a.user_owner_id, a.id FROM orocrm_sales_customer sc "
                              "JOIN orocrm_account a ON a.id = sc.account_id ORDER BY sc.id")
    contacts: dict[int, list[int]] = {}
    for aid, cid in crm.query("SELECT account_id, contact_id FROM orocrm_account_to_contact "
                               "ORDER BY account_id, contact_id"):
        contacts.setdefault(aid, []).append(cid)
    next_id = _max_id(crm, "orocrm_sales_opportunity") + 1
    for oid in range(next_id, next_id + n):
        scid, owner, aid = rng.choice(associations)
        created = st.at()
        write_opportunity(st.out_r, rng, st.w, oid, created, scid, owner or 1, contacts.get(aid, []), Counter(),
                          dirty=False, now=created, status=rng.choice(ref.OPEN_OPPORTUNITY_STAGES[:3]))


# ---------------------------------------------------------------- CSV
def _pos_state(inputs: Path) -> tuple[int, int]:
    """(last ticket number in any POS file, data lines of the main file)."""
    last, main_lines = FIRST_TICKET - 1, 0
    for path in sorted((inputs / "ventas").glob("transacciones_tienda*.csv")):
        with path.open(encoding="utf-8") as fh:
            next(fh, None)
            for line in fh:
                if path.name == "transacciones_tienda.csv":
                    main_lines += 1
                head = line.split(",", 1)[0]
                if head.isdigit():
                    last = max(last, int(head))
    return last, main_lines


def _csv_changes(rng: random.Random, w: DbWorld, inputs: Path, day: int, rates: dict[str, float]) -> dict:
    with open_csv(inputs / RATES_FILE, HEADERS[RATES_FILE], append=True) as fh:
        for cur in ref.FOREIGN_CURRENCIES:
            fh.write(f"{ref.ds(day)},{cur},{rates[cur]:.6f}\n")
    last_ticket, main_lines = _pos_state(inputs)
    n_day = max(1, round(main_lines / ref.N_DAYS * rng.uniform(0.8, 1.2)))
    daily = daily_pos_file(day)
    with open_csv(inputs / daily, HEADERS[POS_FILE]) as fh:
        pos = PosWriter(w, rng, fh, last_ticket + 1, dirty=False)
        pos.day(day, n_day)
        n_daily = pos.stats["data_lines"]
    with open_csv(inputs / POS_FILE, HEADERS[POS_FILE], append=True) as fh:
        late = PosWriter(w, rng, fh, pos.ticket, dirty=False)
        late.day(day - rng.randrange(1, 4), max(1, round(n_day * 0.2)))
        n_late = late.stats["data_lines"]
    return {RATES_FILE: len(ref.FOREIGN_CURRENCIES), daily: n_daily, POS_FILE: n_late}
