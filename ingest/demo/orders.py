"""One web order and everything hanging off it, shared by generate() and evolve().

An order writes rows to oro_order, oro_order_address (billing + shipping),
oro_order_line_item + oro_order_line_items (the 6.1 link table), oro_payment_transaction,
oro_payment_status, oro_tax_value (one row for the order, one per line item, as Oro's
tax calculation stores them) and, when a promotion or a manual discount applies,
oro_promotion_applied / _discount / _coupon and oro_order_discount.

Money: line value is the unit price in the order currency (a foreign price is the USD
list price divided by that day's rate); subtotal = sum(value x quantity);
total = subtotal - total_discounts_amount + shipping; base_total_value = total in USD.

Taxes (oro_tax_value.result, Oro's tax Result as JSON, amounts as 2-decimal text): product
prices include tax, and taxes are calculated on each line's row total before promotions
(Oro's default): IVA 13 % for ship-to El Salvador, 0 % (exports) for Central America, no
tax rule for the rest; a tax-exempt customer (tax_exempt) gets no tax; the order's total is
the sum of its rows (shipping is not taxed). Orders placed before taxes were enabled
(without_tax_values) have no tax rows at all. All three are functions of ids, not random draws,
so the rest of the generated world does not move.
"""
from __future__ import annotations

import json
import random
from collections import Counter

from . import reference as ref
from .reference import DAY, amount_text, money, order_serialized, ts
from .world import Customer, CustomerUser, Place, random_place, weighted_index

# Dirt rates of order lines (generate only; documented in docs/DEMO_DATA.md)
P_LINE_PRODUCT_NULL = 0.01      # free-form line: product_id null
P_LINE_PRODUCT_ORPHAN = 0.005   # product_id of a product deleted from oro_product

LINE_COUNTS = ((1, 2, 3, 4, 5, 6), (18, 22, 24, 18, 11, 7))
FREE_FORM = [("Servicio de instalación", "hour"), ("Flete especial", "each"),
             ("Producto especial por encargo", "each"), ("Garantía extendida 12 meses", "each")]
SHIPPING = [("flat_rate_1", "primary", 65), ("fixed_product_2", "primary", 20), (None, None, 15)]
# Tax rules of the demo store: ship-to country -> (tax code, rate); others: no rule matches
TAX_RULES = {"SV": ("IVA", 0.13), "GT": ("IVA_EXPORTACION", 0.0), "HN": ("IVA_EXPORTACION", 0.0),
             "CR": ("IVA_EXPORTACION", 0.0)}


def tax_exempt(customer: Customer) -> bool:
    """Customers with an exempt tax code (embassies, NGOs): every 12th company."""
    return customer.kind == "b2b" and customer.id % 12 == 0


def without_tax_values(oid: int) -> bool:
    """Orders with no oro_tax_value rows (placed before taxes were enabled): 2 % of them."""
    return oid % 50 == 7


def _dec(cents: int) -> str:
    return f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _tax_element(including: int, excluding: int, currency: str) -> dict:
    return {"includingTax": _dec(including), "excludingTax": _dec(excluding),
            "taxAmount": _dec(including - excluding), "adjustment": "0", "currency": currency}


PAYMENT_METHODS = {
    "b2b": (("payment_term_1", 70), ("money_order_2", 15), ("authorize_net_3", 15)),
    "b2c": (("authorize_net_3", 75), ("money_order_2", 25)),
    "guest": (("authorize_net_3", 75), ("money_order_2", 25)),
}


def order_status_for_age(rng: random.Random, age_days: int) -> str:
    if age_days <= 1:
        opts = (("open", 55), ("pending", 25), ("processing", 15), ("cancelled", 5))
    elif age_days <= 7:
        opts = (("open", 10), ("pending", 10), ("processing", 40), ("closed", 33), ("cancelled", 7))
    elif age_days <= 30:
        opts = (("processing", 8), ("closed", 85), ("cancelled", 7))
    else:
        opts = (("closed", 93), ("cancelled", 7))
    return rng.choices([o[0] for o in opts], [o[1] for o in opts])[0]


def status_delay(rng: random.Random, status: str) -> int:
    """Seconds between an order's creation and its last change, by status."""
    if status == "open":
        return 0
    if status == "pending":
        return rng.randrange(60, 6 * 3600)
    if status == "processing":
        return rng.randrange(2 * 3600, 2 * DAY)
    if status == "closed":
        return rng.randrange(DAY, 10 * DAY)
    return rng.randrange(600, 3 * DAY)   # cancelled


def shipping_status_for(rng: random.Random, status: str) -> str:
    if status == "closed":
        return "shipped"
    if status == "processing":
        return rng.choices(("not_shipped", "partially_shipped", "shipped"), (50, 30, 20))[0]
    return "not_shipped"


def order_kind(customer: Customer, cu: CustomerUser) -> str:
    return "guest" if cu.guest else customer.kind


class OrderFactory:
    """Builds orders against a world (generate) or a world rebuilt from the databases (evolve)."""

    def __init__(self, world, rng: random.Random, next_ids: dict[str, int], dirty: bool):
        self.w = world
        self.rng = rng
        self.ids = next_ids
        self.dirty = dirty
        self.dirt: Counter = Counter()
        self.coupon_promos = [p for p in world.promotions if p.coupons]

    def _id(self, key: str) -> int:
        v = self.ids[key]
        self.ids[key] = v + 1
        return v

    # ------------------------------------------------------------ pieces
    def _address(self, out, created: int, touched: int, cu: CustomerUser, customer: Customer, kind: str,
                 book_address) -> int:
        aid = self._id("address")
        if book_address is not None:
            place, src, label, phone = book_address.place, book_address.id, book_address.label, book_address.phone
        else:
            place: Place = random_place(self.rng, customer.country)
            src, label, phone = None, None, None
        out.add("oro_order_address", {
            "id": aid, "customer_address_id": src, "label": label,
            "organization": customer.name if kind == "b2b" else None,
            "first_name": cu.first_name, "last_name": cu.last_name, "street": place.street, "city": place.city,
            "postal_code": place.postal_code, "country_code": place.country, "region_code": place.region_code,
            "region_text": place.region_text, "phone": phone, "from_external_source": 0,
            "created": ts(created), "updated": ts(touched)})
        return aid, place

    def _pick_products(self, k: int) -> list:
        w, rng = self.w, self.rng
        chosen, seen = [], set()
        for _ in range(k):
            r = rng.random() if self.dirty else 1.0
            if r < P_LINE_PRODUCT_NULL:
                chosen.append("free")
                continue
            if r < P_LINE_PRODUCT_NULL + P_LINE_PRODUCT_ORPHAN and w.deleted_products:
                chosen.append(rng.choice(w.deleted_products))
                continue
            for _try in range(3):
                p = w.sellable[weighted_index(rng, w.sellable_cum)]
                if p.id not in seen:
                    break
            if p.id in seen:
                continue
            seen.add(p.id)
            chosen.append(p)
        return chosen

    def _quantity(self, kind: str, unit: str, price: int) -> float:
        rng = self.rng
        if kind == "b2b":
            q = rng.choices((1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24), (14, 14, 10, 8, 8, 6, 5, 12, 6, 6, 6, 5))[0]
        else:
            q = rng.choices((1, 2, 3, 4), (70, 20, 7, 3))[0]
        if unit == "set":
            q = max(1, q // 2)
        if price > 20000:   # over $200: furniture, POS systems
            q = max(1, q // 4)
        return float(q)

    # ------------------------------------------------------------ order
    def build(self, out, *, oid: int, cu: CustomerUser, customer: Customer, created: int, updated: int,
              status: str, shipping_status: str, customer_id: int | None, customer_user_id: int | None,
              touch: int | None = None, promotions: bool = True) -> int:
        """Write one order; returns its base (USD) total in cents.

        ``touch``: a late-arriving order (evolve) - every row's update cursor is at least this
        moment, though the order was created earlier.
        """
        rng, w = self.rng, self.w
        kind = order_kind(customer, cu)
        day = created // DAY
        currency = ref.COUNTRY_CURRENCY.get(customer.country, "USD")
        rate = w.rate(currency, day)
        touched = created if touch is None else max(created, touch)
        c_created, c_touched = ts(created), ts(touched)
        ship_method, ship_type, _w = rng.choices(SHIPPING, [s[2] for s in SHIPPING])[0]

        # addresses
        book = customer.addresses
        billing_src = book[0] if book else None
        shipping_src = rng.choice(book) if book else None
        billing_id, _billing_place = self._address(out, created, touched, cu, customer, kind, billing_src)
        shipping_id, ship_to = self._address(out, created, touched, cu, customer, kind, shipping_src)

        # lines
        k = rng.choices(*LINE_COUNTS)[0]
        subtotal, lines = 0, []   # lines: (line id, product or None, line total, unit price), cents
        for p in self._pick_products(k):
            lid = self._id("line")
            row = {"id": lid, "price_type": 10, "from_external_source": 0, "checksum": "", "currency": currency,
                   "shipping_method": ship_method, "shipping_method_type": ship_type,
                   "created_at": c_created, "updated_at": c_touched}
            if p == "free":
                name, unit = rng.choice(FREE_FORM)
                usd = rng.randrange(1000, 15000)
                qty = 1.0 if unit == "each" else float(rng.randrange(1, 6))
                row.update(free_form_product=name, product_unit_id=unit, product_unit_code=unit)
                self.dirt[("oro_order_line_item", "product_id_null")] += 1
                product = None
            else:
                qty = self._quantity(kind, p.unit, p.price)
                usd = (p.map if qty >= 10 and p.map else
                       p.msrp if customer.group_id == ref.WHOLESALE_GROUP and p.msrp else p.price)
                row.update(product_id=p.id, product_sku=p.sku, product_name=p.name,
                           product_unit_id=p.unit, product_unit_code=p.unit)
                if p.id in w.deleted_product_ids:
                    self.dirt[("oro_order_line_item", "product_id_orphan")] += 1
                product = p
            price = usd if currency == "USD" else max(1, int(round(usd / rate)))
            if kind == "b2b" and rng.random() < 0.1:
                row["ship_by"] = ref.ds(day + rng.randrange(7, 22))
            row.update(quantity=qty, value=money(price))
            out.add("oro_order_line_item", row)
            out.add("oro_order_line_items", {"order_id": oid, "line_item_id": lid})
            total_line = int(round(price * qty))
            subtotal += total_line
            lines.append((lid, product, total_line, price))

        # shipping
        if ship_method == "flat_rate_1":
            ship_usd = 500 if subtotal * rate < 15000 else 0
        elif ship_method == "fixed_product_2":
            ship_usd = min(3000, 150 * len(lines))
        else:
            ship_usd = 0
        shipping = ship_usd if currency == "USD" else int(round(ship_usd / rate))
        override = 0 if shipping and rng.random() < 0.02 else None
        effective_shipping = shipping if override is None else override

        # promotions and manual discounts
        discounts = 0
        if promotions and lines:
            discounts += self._promotion(out, oid, day, created, currency, rate, subtotal, effective_shipping, lines)
        if lines and rng.random() < 0.03:
            if rng.random() < 0.5:
                amount = min(int(round(rng.randrange(500, 2500) / rate)), subtotal // 3)
                pct = None
                typ = "oro_order_discount_item_type_amount"
            else:
                pct = rng.choice((5, 10))
                amount = subtotal * pct // 100
                typ = "oro_order_discount_item_type_percent"
            out.add("oro_order_discount", {"id": self._id("order_discount"), "order_id": oid, "type": typ,
                                           "percent": None if pct is None else pct / 100, "amount": money(amount),
                                           "description": "Descuento autorizado por gerencia"})
            discounts += amount
        total = max(0, subtotal - discounts + effective_shipping)
        base_total = total if currency == "USD" else int(round(total * rate))

        web = rng.random() < 0.85
        out.add("oro_order", {
            "id": oid, "identifier": str(oid),
            "po_number": f"PO-{rng.randrange(1000, 999999)}" if kind == "b2b" and rng.random() < 0.6 else None,
            "customer_id": customer_id, "customer_user_id": customer_user_id, "website_id": cu.website_id,
            "organization_id": ref.ORGANIZATION_ID, "user_owner_id": customer.owner_id,
            "billing_address_id": billing_id, "shipping_address_id": shipping_id, "currency": currency,
            "subtotal_value": money(subtotal), "subtotal_currency": currency,
            "total_value": money(total), "total_currency": currency, "base_total_value": money(base_total),
            "estimated_shipping_cost_amount": money(shipping),
            "override_shipping_cost_amount": None if override is None else money(override),
            "total_discounts_amount": money(discounts), "shipping_method": ship_method,
            "shipping_method_type": ship_type,
            "source_entity_class": ref.CHECKOUT_CLASS if web else None,
            "source_entity_id": self._id("checkout") if web else None,
            "is_external": 0, "disablepromotions": 0, "created_at": c_created, "updated_at": ts(updated),
            "serialized_data": order_serialized(status, shipping_status)})
        self.payments(out, oid, kind, status, total, currency, customer_user_id, created, updated, touched)
        if not without_tax_values(oid):
            self.taxes(out, oid, lines, effective_shipping, currency, ship_to,
                       None if tax_exempt(customer) else TAX_RULES.get(ship_to.country), c_created, c_touched)
        return base_total

    # ------------------------------------------------------------ taxes
    def taxes(self, out, oid: int, lines: list, shipping: int, currency: str, ship_to: Place,
              rule: tuple[str, float] | None, created: str, touched: str) -> None:
        """oro_tax_value rows of one order: one per line item (unit, row), one for the order (total)."""
        address = f"{ship_to.street}, {ship_to.city}, {ship_to.country}"
        rate = rule[1] if rule else 0.0
        including = excluding = 0

        def add(entity_class: str, entity_id: int, result: dict) -> None:
            out.add("oro_tax_value", {"id": self._id("tax_value"), "entity_class": entity_class,
                                      "entity_id": entity_id, "result": json.dumps(result, separators=(",", ":")),
                                      "address": address, "created_at": created, "updated_at": touched})

        def applied(taxable: int, tax: int) -> list[dict]:
            if rule is None:
                return []
            return [{"tax": rule[0], "rate": f"{rule[1]:g}", "taxableAmount": _dec(taxable),
                     "taxAmount": _dec(tax), "currency": currency}]

        for lid, _product, row_total, price in lines:
            row_excl = int(round(row_total / (1 + rate)))
            add(ref.LINE_ITEM_CLASS, lid, {
                "unit": _tax_element(price, int(round(price / (1 + rate))), currency),
                "row": _tax_element(row_total, row_excl, currency),
                "taxes": applied(row_excl, row_total - row_excl)})
            including += row_total
            excluding += row_excl
        add(ref.ORDER_CLASS, oid, {
            "total": _tax_element(including + shipping, excluding + shipping, currency),
            "shipping": _tax_element(shipping, shipping, currency),
            "taxes": applied(excluding, including - excluding)})

    def _promotion(self, out, oid, day, created, currency, rate, subtotal, shipping, lines) -> int:
        rng, w = self.rng, self.w
        windowed = [p for p in w.promotions if p.window and p.window[0] <= day <= p.window[1]]
        if rng.random() >= (0.45 if windowed else 0.08):
            return 0
        candidates = windowed * 5 + self.coupon_promos
        if shipping and subtotal * rate >= 15000:
            candidates += [p for p in w.promotions if p.type == "shipping"] * 2
        if not candidates:
            return 0
        promo = rng.choice(candidates)
        parts: list[tuple[int | None, int]] = []   # (line id, amount)
        if promo.type == "line_item":
            for lid, product, line_total, _price in lines:
                if product is not None and product.category_key == promo.category_key:
                    parts.append((lid, line_total * promo.value // 100))
        elif promo.type == "shipping":
            parts.append((None, shipping))
        elif promo.discount == "percent":
            parts.append((None, subtotal * promo.value // 100))
        else:
            parts.append((None, min(int(round(promo.value / rate)), subtotal // 2)))
        parts = [p for p in parts if p[1] > 0]
        if not parts:
            return 0
        c_created = ts(created)
        applied = self._id("applied")
        out.add("oro_promotion_applied", {"id": applied, "order_id": oid, "source_promotion_id": promo.id,
                                          "promotion_name": promo.name, "type": promo.type, "active": 1,
                                          "removed": 0, "created_at": c_created, "updated_at": c_created})
        for lid, amount in parts:
            out.add("oro_promotion_applied_discount", {
                "id": self._id("applied_discount"), "applied_promotion_id": applied, "line_item_id": lid,
                "amount": money(amount), "currency": currency, "created_at": c_created, "updated_at": c_created})
        if promo.coupons:
            coupon_id, code = rng.choice(promo.coupon_codes)
            out.add("oro_promotion_applied_coupon", {
                "id": self._id("applied_coupon"), "applied_promotion_id": applied, "order_id": oid,
                "coupon_code": code, "source_promotion_id": promo.id, "source_coupon_id": coupon_id,
                "created_at": c_created})
        return sum(a for _l, a in parts)

    # ------------------------------------------------------------ payments
    def transaction(self, out, *, oid: int, method: str, action: str, amount: int, currency: str,
                    successful: int, active: int, owner: int | None, created: int, updated: int,
                    reference: str | None = None, source: int | None = None, touched: int = 0) -> int:
        tid = self._id("tx")
        out.add("oro_payment_transaction", {
            "id": tid, "entity_class": ref.ORDER_CLASS, "entity_identifier": oid, "payment_method": method,
            "action": action, "reference": reference, "amount": amount_text(amount), "currency": currency,
            "active": active, "successful": successful, "source_payment_transaction": source,
            "frontend_owner_id": owner, "organization_id": ref.ORGANIZATION_ID,
            "created_at": ts(created), "updated_at": ts(max(updated, touched))})
        return tid

    def payments(self, out, oid: int, kind: str, status: str, total: int, currency: str,
                 owner: int | None, created: int, updated: int, touched: int) -> None:
        rng = self.rng
        methods = PAYMENT_METHODS[kind]
        method = rng.choices([m for m, _w in methods], [w for _m, w in methods])[0]
        t0 = created + rng.randrange(5, 120)
        t1 = max(updated, t0)
        tx = dict(oid=oid, method=method, amount=total, currency=currency, owner=owner, touched=touched)
        if method == "authorize_net_3":
            ref_no = str(rng.randrange(10 ** 10, 10 ** 11))
            if status == "cancelled" and rng.random() < 0.5:
                self.transaction(out, **tx, action="authorize", successful=0, active=0, created=t0, updated=t0,
                                 reference=ref_no)
                payment_status, last = "declined", t0
            elif status in ("open", "pending"):
                self.transaction(out, **tx, action="authorize", successful=1, active=1, created=t0, updated=t0,
                                 reference=ref_no)
                payment_status, last = "authorized", t0
            else:
                auth = self.transaction(out, **tx, action="authorize", successful=1, active=0, created=t0,
                                        updated=t1, reference=ref_no)
                action = "cancel" if status == "cancelled" else "capture"
                self.transaction(out, **tx, action=action, successful=1, active=int(action == "capture"),
                                 created=t1, updated=t1, reference=ref_no, source=auth)
                payment_status, last = ("canceled" if action == "cancel" else "full"), t1
        elif method == "payment_term_1":
            self.transaction(out, **tx, action="invoice", successful=1, active=1, created=t0, updated=t0)
            payment_status, last = ("canceled", t1) if status == "cancelled" else ("invoiced", t0)
        else:  # money order
            purchase = self.transaction(out, **tx, action="purchase", successful=1, active=1, created=t0,
                                        updated=t1 if status in ("closed", "cancelled") else t0)
            if status in ("closed", "cancelled"):
                action = "capture" if status == "closed" else "cancel"
                self.transaction(out, **tx, action=action, successful=1, active=int(action == "capture"),
                                 created=t1, updated=t1, source=purchase)
                payment_status, last = ("full" if action == "capture" else "canceled"), t1
            else:
                payment_status, last = "pending", t0
        out.add("oro_payment_status", {"id": self._id("payment_status"), "entity_class": ref.ORDER_CLASS,
                                       "entity_identifier": oid, "payment_status": payment_status,
                                       "forced": 0, "updated_at": ts(max(last, touched))})
