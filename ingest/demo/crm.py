"""The OroCRM demo database: channels, accounts, contacts, B2B customers, the
customer-association rows and the opportunity pipeline.

Every B2B Commerce customer has a CRM account whose ``orocrm_sales_customer`` row points
at it through ``customer_e197f906_id``; prospects (CRM-only accounts) get an
``orocrm_sales_b2bcustomer`` instead. User ids are ids of the Commerce ``oro_user`` table.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter

from . import reference as ref
from .commerce import enum_rows, nest
from .reference import DAY, money, to_json, ts
from .sinks import Loader
from .world import World, ascii_slug, person_name, rng_for

PROSPECTS_PER_SCALE = 70
OPPORTUNITIES_PER_SCALE = 250
# Dirt rates (documented in docs/DEMO_DATA.md)
P_OPPORTUNITY_ASSOCIATION_NULL = 0.03   # orocrm_sales_opportunity.customer_association_id null
DIRT_KINDS = [("orocrm_sales_customer", "customer_e197f906_id_orphan"),
              ("orocrm_sales_opportunity", "customer_association_id_null")]

CHANNELS = [(1, "Ventas B2B", "b2b", "Oro\\Bundle\\SalesBundle\\Entity\\B2bCustomer"),
            (2, "Tienda en línea", "commerce", "Oro\\Bundle\\CustomerBundle\\Entity\\Customer"),
            (3, "Televentas", "custom", "Oro\\Bundle\\SalesBundle\\Entity\\B2bCustomer")]
JOB_TITLES = ["Gerente de compras", "Jefe de mantenimiento", "Director administrativo", "Encargado de bodega",
              "Director médico", "Asistente administrativo", "Gerente general", "Coordinador de compras"]
CONTACT_SOURCES = ["website", "call", "email", "other"]
OPPORTUNITY_TOPICS = ["Equipamiento de oficina", "Renovación de uniformes médicos", "Sistema POS para sucursales",
                      "Iluminación de bodega", "Suministros anuales", "Mobiliario para sala de espera",
                      "Etiquetadoras y escáneres", "Calzado para personal de salud"]


def opportunity_serialized(status: str) -> str:
    return to_json({"status": ref.enum_id("opportunity_status", status)})


def write_crm(w: World, out: Loader) -> dict[str, dict[str, int]]:
    """Write every OroCRM table; returns the dirt counts {table: {kind: n}}."""
    rng = rng_for(w.seed, "crm")
    dirt: Counter = Counter(dict.fromkeys(DIRT_KINDS, 0))
    setup = ts(ref.day_index(ref.dt.date(2025, 6, 2)) * DAY + 15 * 3600)
    for row in enum_rows(ref.ENUMS_CRM):
        out.add("oro_enum_option", row)
    for cid, name, typ, identity in CHANNELS:
        out.add("orocrm_channel", {"id": cid, "name": name, "channel_type": typ, "status": 1,
                                   "customer_identity": identity, "organization_owner_id": ref.ORGANIZATION_ID,
                                   "createdat": setup, "updatedat": setup})
    for name, label in ref.CLOSE_REASONS:
        out.add("orocrm_sales_opport_close_rsn", {"name": name, "label": label})

    # accounts: one per B2B Commerce customer (deleted ones included) plus CRM-only prospects
    specs = []   # (created, name, owner, commerce customer or None)
    deleted_ids = {c.id for c in w.deleted_customers}
    for c in sorted([c for c in w.customers if c.kind == "b2b"] + w.deleted_customers, key=lambda c: c.id):
        specs.append((min(c.created + rng.randrange(3600, 5 * DAY), ref.END_TS - DAY), c.name, c.owner_id, c))
    for _ in range(w.n(PROSPECTS_PER_SCALE, 5)):
        name = (f"{rng.choice(ref.COMPANY_KINDS)} {rng.choice(ref.COMPANY_NAMES)} "
                f"{rng.choice(ref.COMPANY_SUFFIXES)}").strip()
        created = rng.randrange(ref.day_index(ref.dt.date(2025, 7, 1)) * DAY, ref.END_TS - 10 * DAY)
        specs.append((created, name, rng.choice(w.reps_b2b).id, None))
    specs.sort(key=lambda s: (s[0], s[1]))

    accounts = []   # (account id, created, owner, sales_customer id, contact ids, is_commerce)
    contact_id = b2b_id = 0
    for aid, (created, name, owner, customer) in enumerate(specs, start=1):
        contacts = []
        for _ in range(rng.choices((1, 2, 3), (35, 35, 30))[0]):
            contact_id += 1
            first, last, gender = person_name(rng)
            c_created = min(created + rng.randrange(0, 20 * DAY), ref.END_TS - DAY)
            domain = (customer.domain if customer is not None and customer.domain
                      else ascii_slug(name.split()[-1]) + ".com")
            out.add("orocrm_contact", {
                "id": contact_id, "first_name": first, "last_name": last, "gender": gender,
                "birthday": (ref.ds(ref.day_index(ref.dt.date(1965, 1, 1)) + rng.randrange(40 * 365))
                             if rng.random() < 0.25 else None),
                "job_title": rng.choice(JOB_TITLES),
                "email": (f"{ascii_slug(first)}.{ascii_slug(last.split()[0])}@{domain}"
                          if rng.random() < 0.95 else None),
                "source_name": rng.choice(CONTACT_SOURCES), "method_name": rng.choice(("phone", "email")),
                "assigned_to_user_id": owner, "user_owner_id": owner, "organization_id": ref.ORGANIZATION_ID,
                "createdat": ts(c_created),
                "updatedat": ts(c_created if rng.random() < 0.7 else rng.randrange(c_created, ref.END_TS))})
            out.add("orocrm_account_to_contact", {"account_id": aid, "contact_id": contact_id})
            contacts.append(contact_id)
        referred = rng.randrange(1, aid) if aid > 1 and rng.random() < 0.05 else None
        out.add("orocrm_account", {
            "id": aid, "name": name, "user_owner_id": owner, "organization_id": ref.ORGANIZATION_ID,
            "default_contact_id": contacts[0], "referred_by_id": referred, "createdat": ts(created),
            "updatedat": ts(created if rng.random() < 0.6 else rng.randrange(created, ref.END_TS)),
            "external_id": customer.external_id if customer is not None else None})
        b2b_customer = None
        if customer is None:
            b2b_id += 1
            b2b_customer = b2b_id
            out.add("orocrm_sales_b2bcustomer", {
                "id": b2b_id, "name": name, "account_id": aid, "contact_id": contacts[0], "data_channel_id": 1,
                "lifetime": money(rng.choice((0, 0, rng.randrange(50000, 2500000)))),
                "website": f"www.{ascii_slug(name.split()[-2] if len(name.split()) > 2 else name)}.com.sv",
                "employees": rng.choice((5, 10, 25, 50, 120, 300)), "user_owner_id": owner,
                "organization_id": ref.ORGANIZATION_ID, "createdat": ts(created), "updatedat": ts(created)})
        out.add("orocrm_sales_customer", {"id": aid, "account_id": aid, "b2b_customer_188b774c_id": b2b_customer,
                                          "customer_e197f906_id": customer.id if customer is not None else None})
        if customer is not None and customer.id in deleted_ids:
            dirt[("orocrm_sales_customer", "customer_e197f906_id_orphan")] += 1
        accounts.append((aid, created, owner, contacts))

    # opportunities
    account_created = [a[1] for a in accounts]
    for oid in range(1, w.n(OPPORTUNITIES_PER_SCALE, 5) + 1):
        created = rng.randrange(ref.START_DAY * DAY, ref.END_TS - DAY)
        k = max(1, bisect_right(account_created, created))
        aid, _acreated, owner, contacts = accounts[rng.randrange(k)]
        write_opportunity(out, rng, w, oid, created, aid, owner, contacts, dirt, dirty=True)
    out.flush()
    return nest(dirt)


def write_opportunity(out: Loader, rng, w, oid: int, created: int, association: int, owner: int,
                      contacts: list[int], dirt: Counter, dirty: bool, now: int = ref.END_TS,
                      status: str | None = None) -> None:
    """One opportunity; ``status`` None draws it from the opportunity's age at ``now``."""
    age_days = (now - created) // DAY
    if status is None:
        if rng.random() < min(0.9, age_days / 120):
            status = "won" if rng.random() < 0.58 else "lost"
        else:
            status = rng.choice(ref.OPEN_OPPORTUNITY_STAGES)
    day = created // DAY
    currency = "GTQ" if rng.random() < 0.05 else "USD"
    budget = rng.choice((50, 100, 250)) * max(1, int(rng.lognormvariate(3.2, 0.9))) * 100
    rate = w.rate(currency, day)
    closed_at = None
    revenue = None
    reason = None
    if status in ("won", "lost"):
        closed_at = min(created + rng.randrange(5 * DAY, max(6 * DAY, min(age_days, 90) * DAY)), now)
        reason = "won" if status == "won" else rng.choice(("outsold", "outsold", "cancelled"))
        if status == "won":
            revenue = int(budget * rng.uniform(0.8, 1.1))
    updated = closed_at if closed_at is not None else min(created + rng.randrange(0, max(1, age_days) * DAY), now)
    association_id = association
    if dirty and rng.random() < P_OPPORTUNITY_ASSOCIATION_NULL:
        association_id = None
        dirt[("orocrm_sales_opportunity", "customer_association_id_null")] += 1
    out.add("orocrm_sales_opportunity", {
        "id": oid, "name": f"{rng.choice(OPPORTUNITY_TOPICS)} {ref.ds(day)[:7]}",
        "budget_amount_value": money(budget), "budget_amount_currency": currency,
        "base_budget_amount_value": money(int(round(budget * rate))),
        "close_revenue_value": None if revenue is None else money(revenue),
        "close_revenue_currency": None if revenue is None else currency,
        "base_close_revenue_value": None if revenue is None else money(int(round(revenue * rate))),
        "probability": ref.STAGE_PROBABILITY[status],
        "close_date": ref.ds(day + rng.randrange(30, 120)), "closed_at": None if closed_at is None else ts(closed_at),
        "close_reason_name": reason, "customer_association_id": association_id,
        "contact_id": rng.choice(contacts) if contacts and rng.random() < 0.95 else None,
        "user_owner_id": owner, "organization_id": ref.ORGANIZATION_ID, "created_at": ts(created),
        "updated_at": ts(max(created, updated)), "serialized_data": opportunity_serialized(status)})
