"""The OroCommerce demo database: reference and master tables from the world, then the
order stream (chronological, ids ascending with created_at), written in batches."""
from __future__ import annotations

from collections import Counter

from . import reference as ref
from .orders import OrderFactory, order_status_for_age, shipping_status_for, status_delay
from .reference import DAY, money, to_json, ts
from .sinks import Loader
from .world import World, cumulative, rng_for, weighted_index

ORDERS_PER_SCALE = 2000
# Dirt rates of orders (documented in docs/DEMO_DATA.md)
P_ORDER_CUSTOMER_NULL = 0.02     # oro_order.customer_id null
P_ORDER_CU_ORPHAN = 0.01         # oro_order.customer_user_id of a deleted customer user
P_ORDER_DELETED = 0.005          # orders deleted after payment: their transactions remain (orphans)

DIRT_KINDS = [("oro_order", "customer_id_null"), ("oro_order", "customer_user_id_orphan"),
              ("oro_order_line_item", "product_id_null"), ("oro_order_line_item", "product_id_orphan"),
              ("oro_payment_transaction", "entity_identifier_orphan"), ("oro_customer", "group_id_null"),
              ("oro_product", "brand_id_null")]

_HOUR_CUM = cumulative(ref.WEB_HOUR_WEIGHTS)

SETUP_TS = ref.day_index(ref.dt.date(2025, 1, 10)) * DAY + 14 * 3600


def php_serialize(values: dict) -> str:
    """PHP serialize() of a flat array (how Oro stores `array` columns such as discount options)."""
    parts = []
    for k, v in values.items():
        parts.append(f's:{len(k.encode())}:"{k}";')
        if isinstance(v, str):
            parts.append(f's:{len(v.encode())}:"{v}";')
        elif isinstance(v, float):
            parts.append(f"d:{v!r};")
        else:
            parts.append(f"i:{int(v)};")
    return f"a:{len(values)}:{{{''.join(parts)}}}"


def enum_rows(enums: dict) -> list[dict]:
    rows = []
    for code, options in enums.items():
        for prio, (internal, name, default) in enumerate(options, start=1):
            rows.append({"id": ref.enum_id(code, internal), "enum_code": code, "internal_id": internal,
                         "name": name, "priority": prio, "is_default": int(default)})
    return rows


def write_reference(w: World, out: Loader) -> None:
    setup = ts(SETUP_TS)
    out.add("oro_organization", {"id": ref.ORGANIZATION_ID, "name": "PuntaFina", "enabled": 1,
                                 "created_at": setup, "updated_at": setup})
    for bu_id, parent, name in ref.BUSINESS_UNITS:
        out.add("oro_business_unit", {"id": bu_id, "organization_id": ref.ORGANIZATION_ID,
                                      "business_unit_owner_id": parent, "name": name, "phone": "+503 2250-0000",
                                      "email": f"bu{bu_id}@puntafina.com.sv", "created_at": setup,
                                      "updated_at": setup})
    for u in w.users:
        out.add("oro_user", {"id": u.id, "username": u.email.split("@")[0], "email": u.email,
                             "first_name": u.first_name, "last_name": u.last_name, "phone": u.phone,
                             "title": u.title, "enabled": u.enabled, "business_unit_owner_id": u.business_unit_id,
                             "organization_id": ref.ORGANIZATION_ID, "createdat": ts(u.created),
                             "updatedat": ts(u.updated),
                             "serialized_data": to_json({"auth_status": ref.enum_id("auth_status", u.auth)})})
    for row in enum_rows(ref.ENUMS_COMMERCE):
        out.add("oro_enum_option", row)
    for iso2, iso3, name in ref.COUNTRIES:
        out.add("oro_dictionary_country", {"iso2_code": iso2, "iso3_code": iso3, "name": name, "deleted": 0})
    for combined, country, code, name in ref.regions():
        out.add("oro_dictionary_region", {"combined_code": combined, "country_code": country, "code": code,
                                          "name": name, "deleted": 0})
    for wid, name, default in ref.WEBSITES:
        out.add("oro_website", {"id": wid, "name": name, "is_default": default,
                                "organization_id": ref.ORGANIZATION_ID, "business_unit_owner_id": 1,
                                "created_at": setup, "updated_at": setup})
    for gid, name in ref.CUSTOMER_GROUPS:
        out.add("oro_customer_group", {"id": gid, "name": name, "user_owner_id": 1,
                                       "organization_id": ref.ORGANIZATION_ID})
    for code, precision in ref.PRODUCT_UNITS:
        out.add("oro_product_unit", {"code": code, "default_precision": precision})


def write_catalog(w: World, out: Loader) -> None:
    setup = ts(SETUP_TS + 200 * DAY)
    for bid, title in ref.BRANDS:
        out.add("oro_brand", {"id": bid, "default_title": title, "status": "enabled",
                              "organization_id": ref.ORGANIZATION_ID, "business_unit_owner_id": 1,
                              "created_at": setup, "updated_at": setup})
    for cid, parent, title, left, right, level, root, path in w.categories:
        out.add("oro_catalog_category", {"id": cid, "parent_id": parent, "title": title, "tree_left": left,
                                         "tree_right": right, "tree_level": level, "tree_root": root,
                                         "materialized_path": path, "organization_id": ref.ORGANIZATION_ID,
                                         "created_at": setup, "updated_at": setup})
    name_id = 0
    for p in w.products:
        out.add("oro_product", product_row(p))
        name_id += 1
        out.add("oro_product_prod_name", {"id": name_id, "product_id": p.id, "string": p.name})
        name_id += 1
        if p.name_es:
            out.add("oro_product_prod_name", {"id": name_id, "product_id": p.id,
                                              "localization_id": ref.SPANISH_LOCALIZATION_ID, "string": p.name_es})
        else:
            out.add("oro_product_prod_name", {"id": name_id, "product_id": p.id,
                                              "localization_id": ref.SPANISH_LOCALIZATION_ID, "fallback": "system"})
    for upid, pid, unit, precision, conversion, sell in w.unit_precisions:
        out.add("oro_product_unit_precision", {"id": upid, "product_id": pid, "unit_code": unit,
                                               "unit_precision": precision, "conversion_rate": conversion,
                                               "sell": sell})
    for plid, name, active in ref.PRICE_LISTS:
        out.add("oro_price_list", {"id": plid, "name": name, "active": active, "actual": 1, "contain_schedule": 0,
                                   "organization_id": ref.ORGANIZATION_ID, "created_at": setup,
                                   "updated_at": setup})
    for row in w.prices:
        out.add("oro_price_product", row)
    for iid, pid, upid, qty in w.inventory:
        out.add("oro_inventory_level", {"id": iid, "product_id": pid, "product_unit_precision_id": upid,
                                        "quantity": float(qty), "organization_id": ref.ORGANIZATION_ID})


def product_row(p) -> dict:
    return {"id": p.id, "sku": p.sku, "sku_uppercase": p.sku.upper(), "name": p.name,
            "name_uppercase": p.name.upper(), "status": p.status, "type": p.type, "is_featured": p.featured,
            "is_new_arrival": p.new_arrival, "primary_unit_precision_id": p.primary_precision_id,
            "brand_id": p.brand_id, "category_id": p.category_id, "organization_id": ref.ORGANIZATION_ID,
            "business_unit_owner_id": 1, "created_at": ts(p.created), "updated_at": ts(p.updated),
            "serialized_data": to_json({"inventory_status": ref.enum_id("prod_inventory_status",
                                                                        p.inventory_status)})}


def write_promotions(w: World, out: Loader) -> None:
    setup = ts(ref.START_DAY * DAY - 14 * DAY + 10 * 3600)
    for i, p in enumerate(w.promotions, start=1):
        expression = None
        if p.type == "line_item":
            expression = f"lineItem.product.category.id = {w.category_id[p.category_key]}"
        out.add("oro_rule", {"id": p.id, "name": p.name, "enabled": 1, "sort_order": i * 10,
                             "stop_processing": 0, "expression": expression, "created_at": setup,
                             "updated_at": setup})
        # percent as a fraction (15 -> 0.15), amount in currency units (2500 cents -> 25.0)
        options = {"discount_type": p.discount, "discount_value": p.value / 100}
        if p.discount == "amount":
            options["discount_currency"] = "USD"
        out.add("oro_promotion_discount_config", {"id": p.id, "type": p.type, "options": php_serialize(options)})
        out.add("oro_promotion", {"id": p.id, "rule_id": p.id, "discount_config_id": p.id,
                                  "use_coupons": int(p.coupons), "user_owner_id": 1,
                                  "organization_id": ref.ORGANIZATION_ID, "created_at": setup, "updated_at": setup})
        for coupon_id, code in p.coupon_codes:
            generic = not code.startswith("PF-")
            out.add("oro_promotion_coupon", {
                "id": coupon_id, "promotion_id": p.id, "code": code, "code_uppercase": code.upper(), "enabled": 1,
                "uses_per_coupon": None if generic else 1, "uses_per_person": 1,
                "valid_from": ts(ref.START_DAY * DAY), "valid_until": ts(ref.END_TS) if generic else None,
                "organization_id": ref.ORGANIZATION_ID, "created_at": setup, "updated_at": setup})


def write_orders(w: World, out: Loader) -> Counter:
    """Stream all orders day by day; returns the dirt counters of the stream."""
    rng = rng_for(w.seed, "orders")
    n_orders = w.n(ORDERS_PER_SCALE)
    days = list(range(ref.START_DAY, ref.END_DAY + 1))
    per_day = ref.allocate(n_orders, [ref.day_weight(d, "web") for d in days])
    n_deleted = round(P_ORDER_DELETED * n_orders)
    deleted_before = set(rng.sample(range(n_orders), n_deleted)) if n_deleted else set()
    ids = {k: 1 for k in ("line", "address", "tx", "payment_status", "applied", "applied_discount",
                          "applied_coupon", "order_discount", "checkout", "tax_value")}
    factory = OrderFactory(w, rng, ids, dirty=True)
    dirt = factory.dirt
    oid, i = 1, 0
    for day, k in zip(days, per_day):
        times = sorted(day * DAY + weighted_index(rng, _HOUR_CUM) * 3600 + rng.randrange(3600) for _ in range(k))
        for created in times:
            if i in deleted_before:
                # an order deleted from Oro; the gateway's transaction still points at it
                owner = w.pick_customer_user(rng, created)
                factory.transaction(out, oid=oid, method="authorize_net_3", action="authorize",
                                    amount=rng.randrange(1500, 60000), currency="USD", successful=1, active=1,
                                    owner=owner.id, created=created, updated=created,
                                    reference=str(rng.randrange(10 ** 10, 10 ** 11)))
                dirt[("oro_payment_transaction", "entity_identifier_orphan")] += 1
                oid += 1
            i += 1
            cu = w.pick_customer_user(rng, created)
            customer = w.customer_by_id[cu.customer_id]
            status = order_status_for_age(rng, ref.END_DAY - day)
            updated = min(created + status_delay(rng, status), ref.END_TS)
            customer_id, cu_id = customer.id, cu.id
            r = rng.random()
            if r < P_ORDER_CUSTOMER_NULL:
                customer_id = None
                dirt[("oro_order", "customer_id_null")] += 1
            elif r < P_ORDER_CUSTOMER_NULL + P_ORDER_CU_ORPHAN and w.deleted_customer_users:
                cu_id = rng.choice(w.deleted_customer_users)
                dirt[("oro_order", "customer_user_id_orphan")] += 1
            base_total = factory.build(out, oid=oid, cu=cu, customer=customer, created=created, updated=updated,
                                       status=status, shipping_status=shipping_status_for(rng, status),
                                       customer_id=customer_id, customer_user_id=cu_id)
            if status != "cancelled" and customer_id is not None:
                customer.lifetime += base_total
            cu.last_order = created
            cu.orders += 1
            oid += 1
    return dirt


def write_customers(w: World, out: Loader) -> None:
    """Customers and their users go last: lifetime and last_login come from the orders."""
    rng = rng_for(w.seed, "customer-activity")
    for c in w.customers:
        out.add("oro_customer", {
            "id": c.id, "name": c.name, "parent_id": c.parent_id, "group_id": c.group_id, "owner_id": c.owner_id,
            "organization_id": ref.ORGANIZATION_ID, "created_at": ts(c.created), "updated_at": ts(c.updated),
            "external_id": c.external_id, "lifetime": money(c.lifetime),
            "serialized_data": (to_json({"internal_rating": ref.enum_id("acc_internal_rating", c.rating)})
                                if c.rating else None)})
    for a in w.addresses:
        out.add("oro_customer_address", {
            "id": a.id, "frontend_owner_id": a.customer_id, "is_primary": a.is_primary, "label": a.label,
            "street": a.place.street, "city": a.place.city, "postal_code": a.place.postal_code,
            "country_code": a.place.country, "region_code": a.place.region_code,
            "region_text": a.place.region_text, "phone": a.phone, "created": ts(a.created),
            "updated": ts(a.updated)})
    for u in w.customer_users:
        last_login = None
        if u.last_order is not None and not u.guest:
            last_login = min(u.last_order + rng.randrange(0, 3 * DAY), ref.END_TS)
        out.add("oro_customer_user", {
            "id": u.id, "customer_id": u.customer_id, "website_id": u.website_id, "owner_id": u.owner_id,
            "organization_id": ref.ORGANIZATION_ID, "username": u.email, "email": u.email,
            "email_lowercase": u.email.lower(), "first_name": u.first_name, "last_name": u.last_name,
            "birthday": u.birthday, "enabled": u.enabled, "confirmed": u.confirmed, "is_guest": u.guest,
            "last_login": None if last_login is None else ts(last_login),
            "login_count": 0 if u.guest else u.orders + rng.randrange(0, 20),
            "created_at": ts(u.created), "updated_at": ts(max(u.created, last_login or 0)),
            "serialized_data": to_json({"auth_status": ref.enum_id("cu_auth_status", u.auth)})})


def write_commerce(w: World, out: Loader) -> dict[str, dict[str, int]]:
    """Write every OroCommerce table; returns the dirt counts {table: {kind: n}}."""
    write_reference(w, out)
    write_catalog(w, out)
    write_promotions(w, out)
    dirt = Counter(dict.fromkeys(DIRT_KINDS, 0))
    dirt.update(write_orders(w, out))
    write_customers(w, out)
    out.flush()
    dirt[("oro_customer", "group_id_null")] = sum(1 for c in w.customers if c.group_id is None)
    dirt[("oro_product", "brand_id_null")] = sum(1 for p in w.products if p.brand_id is None)
    return nest(dirt)


def nest(counts: Counter) -> dict[str, dict[str, int]]:
    """{(table, kind): n} -> {table: {kind: n}}, sorted."""
    result: dict[str, dict[str, int]] = {}
    for (table, kind), n in sorted(counts.items()):
        result.setdefault(table, {})[kind] = n
    return result
