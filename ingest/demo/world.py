"""Master data of the demo world, built in memory from (seed, scale).

Everything the order stream, the CRM and the CSV files refer to lives here: back-office
users, customers and their users and addresses, products, prices, promotions, exchange
rates. It is small (tens of thousands of objects at scale 100); the large tables
(orders and everything hanging off them) are streamed by ``commerce.py``.

"Deleted" rows are modelled as holes in the id sequences: the id was handed out, the
row is gone, and some other rows still point at it (orphan foreign keys). A hole is
always followed by a live row, so ``max(id) + 1`` never reuses one.
"""
from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass, field

from . import reference as ref
from .reference import DAY

# Dirt rates of master data (documented in docs/DEMO_DATA.md)
P_CUSTOMER_GROUP_NULL = 0.05        # oro_customer.group_id null
P_VARIANT_BRAND_NULL = 0.04         # variant products without brand (the 3 TAG products have none in Oro's data)
P_DELETED_B2B_CUSTOMER = 0.03       # B2B customers deleted from Commerce but still linked from the CRM
P_DELETED_CUSTOMER_USER = 0.01      # customer users deleted but still referenced by some orders
P_PRODUCT_DISABLED = 0.04          # status 'disabled' (not sold on the web nor in stores; ERP says 'inactivo')


def rng_for(seed: int, part: str) -> random.Random:
    """An independent, reproducible random stream per part of the world."""
    return random.Random(f"puntafina-demo/{seed}/{part}")


def with_holes(rng: random.Random, n_live: int, n_holes: int, first_id: int = 1) -> tuple[list[int], list[int]]:
    """Ids for n_live rows in order, with n_holes ids skipped (each hole sits before a live row)."""
    n_holes = min(n_holes, n_live)
    before = set(rng.sample(range(n_live), n_holes)) if n_holes else set()
    live, holes, nxt = [], [], first_id
    for i in range(n_live):
        if i in before:
            holes.append(nxt)
            nxt += 1
        live.append(nxt)
        nxt += 1
    return live, holes


def cumulative(weights) -> list:
    """Running totals of weights, for weighted_index."""
    return list(accumulate(weights))


def weighted_index(rng: random.Random, cum: list[float], limit: int | None = None) -> int:
    """Index drawn from cumulative weights, restricted to the first ``limit`` entries."""
    limit = len(cum) if limit is None else limit
    r = rng.random() * cum[limit - 1]
    return min(bisect_right(cum, r), limit - 1)


def _vary(cents: int | None, factor: float) -> int | None:
    """A variant's price: the base price times factor, ending in .99 above $10."""
    if cents is None:
        return None
    v = int(round(cents * factor))
    return v // 100 * 100 + 99 if v > 1000 else max(50, v)


def person_name(rng: random.Random) -> tuple[str, str, str]:
    gender = rng.choice(("female", "male"))
    first = rng.choice(ref.FIRST_NAMES_F if gender == "female" else ref.FIRST_NAMES_M)
    last = rng.choice(ref.LAST_NAMES) + " " + rng.choice(ref.LAST_NAMES)
    return first, last, gender


def ascii_slug(text: str) -> str:
    table = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")
    return "".join(ch for ch in text.translate(table).lower() if ch.isalnum() or ch in ".-")


def phone_sv(rng: random.Random) -> str:
    return f"+503 {rng.choice('267')}{rng.randrange(100, 1000)}-{rng.randrange(1000, 10000)}"


def rate_on(rates: dict[str, dict[int, float]], currency: str, day: int) -> float:
    if currency == "USD":
        return 1.0
    series = rates[currency]
    for d in range(day, day - 60, -1):
        if d in series:
            return series[d]
    return ref.RATE_START[currency]


def next_rate(rng: random.Random, currency: str, rate: float) -> float:
    """Tomorrow's rate: a random walk pulled gently back towards the starting level."""
    start = ref.RATE_START[currency]
    return rate * (1 + rng.gauss(0, ref.RATE_DAILY_VOL[currency])) + 0.02 * (start - rate)


@dataclass
class Place:
    street: str
    city: str
    postal_code: str
    country: str
    region_code: str | None   # combined code, e.g. SV-SS
    region_text: str | None


_SV_CUM = cumulative(d[2] for d in ref.SV_DEPARTMENTS)


def random_place(rng: random.Random, country: str) -> Place:
    street = f"{rng.choice(ref.STREET_KINDS)} {rng.choice(ref.STREET_NAMES)} #{rng.randrange(1, 300)}"
    if country == "SV":
        code, _name, _w, prefix, cities = ref.SV_DEPARTMENTS[weighted_index(rng, _SV_CUM)]
        return Place(street, rng.choice(cities), f"{prefix}{rng.randrange(1, 20):02d}", "SV", f"SV-{code}", None)
    code, name, cities, pattern = rng.choice(ref.FOREIGN_PLACES[country])
    postal = pattern.format(rng.randrange(1, 99))
    if code:
        return Place(street, rng.choice(cities), postal, country, f"{country}-{code}", None)
    return Place(street, rng.choice(cities), postal, country, None, name)


@dataclass
class User:
    id: int
    role: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    business_unit_id: int
    enabled: int
    created: int
    updated: int
    auth: str
    store: str | None = None   # store managers: their sucursal


@dataclass
class Address:
    id: int
    customer_id: int
    is_primary: int
    label: str
    place: Place
    phone: str
    created: int
    updated: int


@dataclass
class Customer:
    id: int
    name: str
    kind: str                 # b2b | b2c | guest
    group_id: int | None
    parent_id: int | None
    owner_id: int
    country: str
    created: int
    updated: int
    external_id: str | None = None
    rating: str | None = None
    domain: str | None = None   # e-mail domain of a company's users
    addresses: list[Address] = field(default_factory=list)
    lifetime: int = 0         # cents, USD: sum of base totals of non-cancelled orders


@dataclass
class CustomerUser:
    id: int
    customer_id: int
    website_id: int
    owner_id: int
    first_name: str
    last_name: str
    email: str
    birthday: str | None
    guest: int
    created: int
    updated: int
    enabled: int = 1
    confirmed: int = 1
    auth: str = "active"
    weight: float = 1.0
    last_order: int | None = None
    orders: int = 0


@dataclass
class Product:
    id: int
    sku: str
    name: str
    name_es: str | None
    unit: str
    precision: int
    status: str
    type: str
    brand_id: int | None
    category_id: int
    category_key: str
    price: int | None         # cents, default price list, quantity 1
    msrp: int | None          # cents, wholesale list
    map: int | None           # cents, default list, quantity >= 10
    created: int = 0
    updated: int = 0
    featured: int = 0
    new_arrival: int = 0
    primary_precision_id: int = 0
    inventory_status: str = "in_stock"
    weight: float = 1.0

    @property
    def sellable(self) -> bool:
        return self.status == "enabled" and self.price is not None


@dataclass
class Promotion:
    id: int
    name: str
    type: str                 # order | line_item | shipping
    discount: str             # percent | amount
    value: int                # percent, or cents (USD) for amount
    coupons: bool
    window: tuple[int, int] | None   # day numbers, inclusive
    category_key: str | None
    coupon_codes: list[tuple[int, str]] = field(default_factory=list)  # (coupon id, code)


PROMOTIONS = [
    # id, name, type, discount, value, coupons, window, category
    (1, "Black Friday 2025: 15% en toda la tienda", "order", "percent", 15, False, ("2025-11-27", "2025-12-01"), None),
    (2, "Navidad 2025: 10% en muebles de oficina", "line_item", "percent", 10, False, ("2025-12-02", "2025-12-24"),
     "furniture"),
    (3, "Envío gratis en compras desde $150", "shipping", "percent", 100, False, None, None),
    (4, "Cupón BIENVENIDA10: 10% en la primera compra", "order", "percent", 10, True, None, None),
    (5, "Cupón MAYOREO25: $25 de descuento", "order", "amount", 2500, True, None, None),
    (6, "Regreso a clases 2026: 5% en uniformes médicos", "line_item", "percent", 5, False, ("2026-01-15", "2026-02-28"),
     "uniforms"),
]


class World:
    """All master data for one (seed, scale)."""

    def __init__(self, seed: int, scale: float):
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        self.seed = seed
        self.scale = scale
        self._build_users()
        self._build_catalog()
        self._build_customers()
        self._build_promotions()
        self._build_rates()

    # ------------------------------------------------------------ sizes
    def n(self, base: float, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    # ------------------------------------------------------------ users
    def _build_users(self) -> None:
        rng = rng_for(self.seed, "users")
        n = self.n(25, 15)
        n_mgr = max(2, round(n * 0.06))
        rest = n - 1 - n_mgr
        n_store = max(len(ref.STORES), round(rest * 0.25))
        n_tele = max(2, round(rest * 0.25))
        roles = (["admin"] + ["manager"] * n_mgr + ["b2b"] * (rest - n_store - n_tele)
                 + ["televentas"] * n_tele + ["tienda"] * n_store)
        titles = {r: (t, bu) for r, t, bu in ref.USER_ROLES}
        self.users: list[User] = []
        seen = set()
        for i, role in enumerate(roles, start=1):
            first, last, _g = person_name(rng)
            base = ascii_slug(f"{first}.{last.split()[0]}")
            email = f"{base}@puntafina.com.sv"
            k = 2
            while email in seen:
                email = f"{base}{k}@puntafina.com.sv"
                k += 1
            seen.add(email)
            created = ref.day_index(ref.dt.date(2025, 1, 15)) * DAY + rng.randrange(270 * DAY)
            updated = created if rng.random() < 0.6 else rng.randrange(created, ref.END_TS)
            title, bu = titles[role]
            self.users.append(User(i, role, first, last, email, phone_sv(rng), title, bu,
                                   0 if (role == "b2b" and rng.random() < 0.05) else 1,
                                   created, updated, "reset" if rng.random() < 0.04 else "active"))
        stores = [u for u in self.users if u.role == "tienda"]
        for i, u in enumerate(stores):
            u.store = ref.STORES[i % len(ref.STORES)]
        self.reps_b2b = [u for u in self.users if u.role == "b2b"] or [self.users[0]]
        self.reps_tele = [u for u in self.users if u.role == "televentas"]

    # ------------------------------------------------------------ catalog
    def _build_catalog(self) -> None:
        rng = rng_for(self.seed, "catalog")
        # categories: depth-first ids, nested set
        keys = [k for k, _t, _p in ref.CATEGORY_TREE]
        parent = {k: p for k, _t, p in ref.CATEGORY_TREE}
        title = {k: t for k, t, _p in ref.CATEGORY_TREE}
        children = {k: [c for c in keys if parent[c] == k] for k in keys}
        self.categories = []   # (id, parent_id, title, left, right, level, root, path)
        ids: dict[str, int] = {}
        counter = [0]

        def visit(key: str, level: int, path: list[int]) -> None:
            ids[key] = len(ids) + 1
            counter[0] += 1
            left = counter[0]
            row = [ids[key], ids.get(parent[key]) if parent[key] else None, title[key], left, 0, level, 1,
                   "_".join(str(x) for x in path + [ids[key]])]
            self.categories.append(row)
            for c in children[key]:
                visit(c, level + 1, path + [ids[key]])
            counter[0] += 1
            row[4] = counter[0]

        visit("root", 0, [])
        self.category_id = ids

        base = ref.load_catalog()
        n_products = max(len(base), round(len(base) * self.scale))
        n_variants = n_products - len(base)
        specs = []
        for b in base:
            specs.append(dict(b, name_es=ref.SPANISH_NAMES.get(b["sku"]), variant=False))
        for v in range(n_variants):
            b = base[v % len(base)]
            k = v // len(base) + 1
            desc = ref.VARIANT_DESCRIPTORS[(v + k) % len(ref.VARIANT_DESCRIPTORS)]
            factor = rng.uniform(0.85, 1.25)
            price, msrp, mp = (_vary(b[key], factor) for key in ("price", "msrp", "map"))
            brand = b["brand_id"] if rng.random() < 0.6 else rng.choice(ref.BRANDS)[0]
            if rng.random() < P_VARIANT_BRAND_NULL:
                brand = None
            es = ref.SPANISH_NAMES.get(b["sku"])
            specs.append(dict(b, sku=f"{b['sku']}-{k:03d}", name=f"{b['name'].strip()} ({desc})",
                              name_es=f"{es} ({desc})" if es else None, price=price, msrp=msrp, map=mp,
                              brand_id=brand, variant=True))
        # products deleted from Oro (ERP and old order lines still know them)
        n_deleted = 3 + round(0.005 * n_variants)
        deleted_specs = []
        priced = [b for b in base if b["price"] is not None]
        for j in range(n_deleted):
            b = priced[rng.randrange(len(priced))]
            deleted_specs.append(dict(b, sku=f"{b['sku']}-X{j + 1:02d}", name=f"{b['name'].strip()} (descontinuado)",
                                      name_es=None, variant=True))
        live_ids, hole_ids = with_holes(rng, len(specs), n_deleted)
        setup_start = ref.day_index(ref.dt.date(2025, 9, 1)) * DAY
        setup_len = 55 * DAY
        self.products: list[Product] = []
        for pid, s in zip(live_ids, specs):
            created = setup_start + rng.randrange(setup_len)
            updated = created if rng.random() < 0.7 else rng.randrange(ref.START_DAY * DAY, ref.END_TS)
            status = "disabled" if rng.random() < P_PRODUCT_DISABLED else "enabled"
            p = Product(pid, s["sku"], s["name"], s["name_es"], s["unit"], s["precision"], status, s["type"],
                        s["brand_id"], ids[s["category"]], s["category"], s["price"], s["msrp"], s["map"],
                        created, updated, int(rng.random() < 0.1), int(rng.random() < 0.08))
            p.weight = rng.lognormvariate(0, 0.9)
            self.products.append(p)
        self.deleted_products = [
            Product(pid, s["sku"], s["name"], None, s["unit"], s["precision"], "disabled", s["type"], s["brand_id"],
                    ids[s["category"]], s["category"], s["price"], s["msrp"], s["map"])
            for pid, s in zip(hole_ids, deleted_specs)]
        # unit precisions (primary first), inventory, prices
        self.unit_precisions = []    # (id, product_id, unit, precision, conversion, sell)
        self.inventory = []          # (id, product_id, precision_id, quantity)
        self.prices = []             # dict rows of oro_price_product
        for p in self.products:
            pid = len(self.unit_precisions) + 1
            p.primary_precision_id = pid
            self.unit_precisions.append((pid, p.id, p.unit, p.precision, 1.0, 1))
            if rng.random() < 0.25:
                second = "each" if p.unit != "each" else "set"
                self.unit_precisions.append((pid + 1, p.id, second, 0, float(rng.choice((2, 5, 6, 10, 12))),
                                             int(rng.random() < 0.8)))
            qty = 0 if rng.random() < 0.06 else rng.randrange(1, 400)
            self.inventory.append((len(self.inventory) + 1, p.id, pid, qty))
            p.inventory_status = ("discontinued" if p.status == "disabled"
                                  else "out_of_stock" if qty == 0 else "in_stock")
            if p.price is None:
                continue
            tiers = [(1, p.sku, 1, p.price, "USD")]
            if p.map is not None:
                tiers.append((1, p.sku, 10, p.map, "USD"))
            if p.msrp is not None:
                tiers.append((2, p.sku, 1, p.msrp, "USD"))
            tiers.append((3, p.sku, 1, int(round(p.price / ref.RATE_START["GTQ"])), "GTQ"))
            for pl, sku, q, cents, cur in tiers:
                self.prices.append({
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "price_list_id": pl,
                    "product_id": p.id, "product_sku": sku, "unit_code": p.unit, "quantity": float(q),
                    "value": ref.money(cents), "currency": cur, "version": 1})
        self.sellable = [p for p in self.products if p.sellable]
        self.sellable_cum = cumulative(p.weight for p in self.sellable)
        self.deleted_product_ids = {p.id for p in self.deleted_products}

    # ------------------------------------------------------------ customers
    def _build_customers(self) -> None:
        rng = rng_for(self.seed, "customers")
        n = self.n(200, 10)
        pre_start = ref.day_index(ref.dt.date(2025, 8, 1)) * DAY
        start = ref.START_DAY * DAY
        specs = []
        for _ in range(n):
            kind = rng.choices(("b2b", "b2c", "guest"), (40, 45, 15))[0]
            created = (rng.randrange(pre_start, start) if rng.random() < 0.6
                       else rng.randrange(start, ref.END_TS - 5 * DAY))
            specs.append([created, kind, False])
        n_b2b = sum(1 for s in specs if s[1] == "b2b")
        n_del = max(1, round(P_DELETED_B2B_CUSTOMER * n_b2b))
        live_created = sorted(s[0] for s in specs)
        for _ in range(n_del):
            # a deleted customer sits one second before a live one, so it is never the last id
            specs.append([rng.choice(live_created[:-1] or live_created) - 1, "b2b", True])
        specs.sort(key=lambda s: (s[0], s[2]))
        country_cum = cumulative(w for _c, w in ref.COUNTRY_WEIGHTS)
        self.customers: list[Customer] = []
        self.deleted_customers: list[Customer] = []
        b2b_live: list[Customer] = []
        for cid, (created, kind, deleted) in enumerate(specs, start=1):
            country = ref.COUNTRY_WEIGHTS[weighted_index(rng, country_cum)][0]
            domain = None
            if kind == "b2b":
                brand_name = rng.choice(ref.COMPANY_NAMES)
                name = f"{rng.choice(ref.COMPANY_KINDS)} {brand_name} {rng.choice(ref.COMPANY_SUFFIXES)}".strip()
                domain = ascii_slug(brand_name) + ".com.sv"
                group = rng.choice((1, 3, 4, 4))
                owner = rng.choice(self.reps_b2b).id
            else:
                first, last, _g = person_name(rng)
                name = f"{first} {last}"
                group = ref.B2C_GROUP if kind == "b2c" else ref.GUEST_GROUP
                owner = rng.choice(self.reps_tele or self.reps_b2b).id
            if rng.random() < P_CUSTOMER_GROUP_NULL:
                group = None
            updated = created if rng.random() < 0.5 else rng.randrange(created, ref.END_TS)
            c = Customer(cid, name, kind, group, None, owner, country, created, updated, domain=domain)
            if kind == "b2b":
                if b2b_live and rng.random() < 0.06:
                    c.parent_id = rng.choice(b2b_live).id
                if rng.random() < 0.3:
                    c.external_id = f"ERP-C{rng.randrange(10000, 99999)}"
                c.rating = f"{rng.randrange(1, 6)}_of_5" if rng.random() < 0.7 else None
            if deleted:
                self.deleted_customers.append(c)
                continue
            if kind == "b2b":
                b2b_live.append(c)
            self.customers.append(c)
        self.customer_by_id = {c.id: c for c in self.customers}
        self.pos_customer_ids = [c.id for c in self.customers if c.kind != "guest"]   # 'C' codes on POS tickets
        self.n_store_customers = self.n(150, 10)                                     # 'T' codes: store-only buyers

        # address book (not for guests)
        labels = ["Oficina principal", "Bodega", "Sucursal", "Casa", "Trabajo"]
        self.addresses: list[Address] = []
        for c in self.customers:
            if c.kind == "guest":
                continue
            k = rng.choice((1, 1, 2, 3)) if c.kind == "b2b" else rng.choice((1, 1, 1, 2))
            for j in range(k):
                upd = c.created if rng.random() < 0.8 else rng.randrange(c.created, ref.END_TS)
                a = Address(len(self.addresses) + 1, c.id, int(j == 0),
                            labels[j] if c.kind == "b2b" else labels[3 + (j % 2)],
                            random_place(rng, c.country), phone_sv(rng), c.created, upd)
                c.addresses.append(a)
                self.addresses.append(a)

        # customer users, ordered by creation; deleted ones leave holes in the ids
        cu_specs = []
        for c in self.customers:
            k = rng.choices((1, 2, 3, 4, 5, 6), (10, 20, 25, 20, 15, 10))[0] if c.kind == "b2b" else 1
            for j in range(k):
                created = c.created + (rng.randrange(60, 3600) if j == 0 else rng.randrange(DAY, 60 * DAY))
                created = min(created, ref.END_TS - DAY)
                cu_specs.append((created, c))
        cu_specs.sort(key=lambda s: (s[0], s[1].id))
        live_ids, hole_ids = with_holes(rng, len(cu_specs), round(P_DELETED_CUSTOMER_USER * len(cu_specs)))
        self.customer_users: list[CustomerUser] = []
        emails = set()
        for cuid, (created, c) in zip(live_ids, cu_specs):
            if c.kind == "b2b":
                first, last, _g = person_name(rng)
                domain = c.domain
            else:
                first, last = c.name.split(" ", 1)
                domain = rng.choice(ref.EMAIL_DOMAINS)
            base = ascii_slug(f"{first}.{last.split()[0]}")
            email = f"{base}@{domain}"
            while email in emails:
                email = f"{base}{rng.randrange(10, 999)}@{domain}"
            emails.add(email)
            birthday = (ref.ds(ref.day_index(ref.dt.date(1960, 1, 1)) + rng.randrange(45 * 365))
                        if rng.random() < 0.3 else None)
            u = CustomerUser(cuid, c.id, 2 if c.kind == "b2b" and rng.random() < 0.7 else 1, c.owner_id,
                             first, last, email, birthday, int(c.kind == "guest"), created, created)
            u.confirmed = 0 if c.kind == "guest" or rng.random() < 0.05 else 1
            u.enabled = 0 if rng.random() < 0.03 else 1
            u.auth = "reset" if rng.random() < 0.03 else "active"
            u.weight = (0.3 if c.kind == "guest" else 1.0) * rng.lognormvariate(0, 0.8)
            self.customer_users.append(u)
        self.deleted_customer_users = hole_ids
        self.cu_created = [u.created for u in self.customer_users]
        self.cu_cum = cumulative(u.weight for u in self.customer_users)

    # ------------------------------------------------------------ promotions
    def _build_promotions(self) -> None:
        rng = rng_for(self.seed, "promotions")
        self.promotions: list[Promotion] = []
        coupon_id = 1
        for pid, name, typ, disc, value, coupons, window, cat in PROMOTIONS:
            w = None
            if window:
                w = (ref.day_index(ref.date_of(window[0])), ref.day_index(ref.date_of(window[1])))
            p = Promotion(pid, name, typ, disc, value, coupons, w, cat)
            if coupons:
                fixed = "BIENVENIDA10" if pid == 4 else "MAYOREO25"
                codes = [fixed] + ["PF-" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))
                                   for _ in range(4)]
                for code in codes:
                    p.coupon_codes.append((coupon_id, code))
                    coupon_id += 1
            self.promotions.append(p)

    # ------------------------------------------------------------ rates
    def _build_rates(self) -> None:
        rng = rng_for(self.seed, "rates")
        self.rates: dict[str, dict[int, float]] = {}
        for cur in ref.FOREIGN_CURRENCIES:
            r = ref.RATE_START[cur]
            series = {}
            for day in range(ref.START_DAY, ref.END_DAY + 1):
                series[day] = round(r, 6)
                r = next_rate(rng, cur, r)
            self.rates[cur] = series

    def rate(self, currency: str, day: int) -> float:
        """USD per unit on a day (the last published rate before it when the day has none)."""
        return rate_on(self.rates, currency, day)

    # ------------------------------------------------------------ sampling helpers
    def pick_customer_user(self, rng: random.Random, at: int) -> CustomerUser:
        k = max(1, bisect_right(self.cu_created, at))
        return self.customer_users[weighted_index(rng, self.cu_cum, k)]
