"""The source tables the warehouse reads: names, columns, types, keys and load strategy.

This catalog is the single contract between the demo generator (which creates these
tables), the dlt ingestion (which selects exactly these columns, keyset-paginates on the
primary key and, where there is one, the update cursor) and the dbt source YAML (checked
against it by a test). Names and PostgreSQL types follow ../shared/oro/SOURCE_SCHEMA.md
(Oro 6.1); only the columns a warehouse needs are listed.

A table with a ``cursor`` loads incrementally (merge on the primary key, new and updated
rows only); a table without one is replaced on every run, still in resumable slices.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # PostgreSQL type as in the Oro schema
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    system: str  # orocommerce | orocrm
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    cursor: str | None = None  # update timestamp column: incremental merge
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def incremental(self) -> bool:
        return self.cursor is not None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")


def _parse(spec: str) -> tuple[Column, ...]:
    cols = []
    for line in spec.strip().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        name, rest = parts[0], " ".join(parts[1:])
        nullable = True
        if rest.endswith(" not null"):
            nullable = False
            rest = rest[: -len(" not null")]
        cols.append(Column(name, rest.strip(), nullable))
    return tuple(cols)


TABLES: dict[str, Table] = {}


def _t(system: str, name: str, pk: str, cursor: str | None, spec: str, description: str) -> None:
    TABLES[f"{system}.{name}"] = Table(
        name=name, system=system, columns=_parse(spec),
        primary_key=tuple(pk.split(",")), cursor=cursor, description=description,
    )


# ---------------------------------------------------------------- OroCommerce
C = "orocommerce"
_t(C, "oro_organization", "id", None, """
id integer not null
name varchar(255) not null
enabled boolean not null
created_at timestamp(0)
updated_at timestamp(0)
""", "Organizations (tenants) of the Oro instance.")

_t(C, "oro_business_unit", "id", "updated_at", """
id integer not null
organization_id integer not null
business_unit_owner_id integer
name varchar(255) not null
phone varchar(100)
email varchar(255)
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Business units: the owners of users, websites and products.")

_t(C, "oro_user", "id", "updatedat", """
id integer not null
username varchar(255) not null
email varchar(255) not null
first_name varchar(255)
last_name varchar(255)
phone varchar(255)
title varchar(255)
enabled boolean not null
business_unit_owner_id integer
organization_id integer
createdat timestamp(0) not null
updatedat timestamp(0) not null
serialized_data jsonb
""", "Back-office users: sales reps and record owners.")

_t(C, "oro_enum_option", "id", None, """
id varchar(100) not null
enum_code varchar(64) not null
internal_id varchar(32) not null
name varchar(255) not null
priority integer not null
is_default boolean not null
""", "All enum options of Oro 6.x (`<enum_code>.<internal_id>`).")

_t(C, "oro_dictionary_country", "iso2_code", None, """
iso2_code varchar(2) not null
iso3_code varchar(3) not null
name varchar(255) not null
deleted boolean not null
""", "Country dictionary.")

_t(C, "oro_dictionary_region", "combined_code", None, """
combined_code varchar(16) not null
country_code varchar(2)
code varchar(32) not null
name varchar(255) not null
deleted boolean not null
""", "Region (department / state) dictionary.")

_t(C, "oro_website", "id", "updated_at", """
id integer not null
name varchar(255) not null
is_default boolean not null
organization_id integer
business_unit_owner_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Storefront websites.")

_t(C, "oro_customer_group", "id", None, """
id integer not null
name varchar(255) not null
user_owner_id integer
organization_id integer
""", "Customer groups (segments for pricing and visibility).")

_t(C, "oro_customer", "id", "updated_at", """
id integer not null
name varchar(255) not null
parent_id integer
group_id integer
owner_id integer
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
external_id varchar(36)
lifetime numeric(19,4)
serialized_data jsonb
""", "B2B buyer companies.")

_t(C, "oro_customer_user", "id", "updated_at", """
id integer not null
customer_id integer
website_id integer
owner_id integer
organization_id integer
username varchar(255) not null
email varchar(255) not null
email_lowercase varchar(255) not null
first_name varchar(255)
last_name varchar(255)
birthday date
enabled boolean not null
confirmed boolean not null
is_guest boolean not null
last_login timestamp(0)
login_count integer not null
created_at timestamp(0) not null
updated_at timestamp(0) not null
serialized_data jsonb
""", "Storefront buyers (people at a customer); `is_guest` marks guest checkouts.")

_t(C, "oro_customer_address", "id", "updated", """
id integer not null
frontend_owner_id integer
is_primary boolean
label varchar(255)
street varchar(500)
city varchar(255)
postal_code varchar(255)
country_code varchar(2)
region_code varchar(16)
region_text varchar(255)
phone varchar(255)
created timestamp(0) not null
updated timestamp(0) not null
""", "Customer address book.")

_t(C, "oro_product_unit", "code", None, """
code varchar(255) not null
default_precision integer not null
""", "Product unit dictionary.")

_t(C, "oro_brand", "id", "updated_at", """
id integer not null
default_title varchar(255) not null
status varchar(16) not null
organization_id integer
business_unit_owner_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Product brands.")

_t(C, "oro_catalog_category", "id", "updated_at", """
id integer not null
parent_id integer
title varchar(255) not null
tree_left integer not null
tree_right integer not null
tree_level integer not null
tree_root integer
materialized_path varchar(255)
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Catalog category tree (nested set).")

_t(C, "oro_product", "id", "updated_at", """
id integer not null
sku varchar(255) not null
sku_uppercase varchar(255)
name varchar(255) not null
name_uppercase varchar(255) not null
status varchar(16) not null
type varchar(32) not null
is_featured boolean not null
is_new_arrival boolean not null
primary_unit_precision_id integer
brand_id integer
category_id integer
organization_id integer
business_unit_owner_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
serialized_data jsonb
""", "Products (default-language name on the row).")

_t(C, "oro_product_prod_name", "id", None, """
id integer not null
product_id integer
localization_id integer
fallback varchar(64)
string varchar(255)
""", "Localized product names; `localization_id` null is the default.")

_t(C, "oro_product_unit_precision", "id", None, """
id integer not null
product_id integer
unit_code varchar(255)
unit_precision integer not null
conversion_rate double precision
sell boolean not null
""", "Units a product sells in, with precision and conversion rate.")

_t(C, "oro_price_list", "id", "updated_at", """
id integer not null
name varchar(255) not null
active boolean not null
actual boolean not null
contain_schedule boolean not null
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Price lists.")

_t(C, "oro_price_product", "id", None, """
id uuid not null
price_list_id integer not null
product_id integer not null
product_sku varchar(255) not null
unit_code varchar(255) not null
quantity double precision not null
value numeric(19,4) not null
currency varchar(3) not null
version integer
""", "Price tiers: product x unit x minimum quantity x currency in a price list.")

_t(C, "oro_inventory_level", "id", None, """
id integer not null
product_id integer not null
product_unit_precision_id integer not null
quantity numeric(20,10) not null
organization_id integer
""", "Stock on hand per product unit (community edition: no warehouse column).")

_t(C, "oro_order_address", "id", "updated", """
id integer not null
customer_address_id integer
customer_user_address_id integer
label varchar(255)
organization varchar(255)
first_name varchar(255)
last_name varchar(255)
street varchar(500)
city varchar(255)
postal_code varchar(255)
country_code varchar(2)
region_code varchar(16)
region_text varchar(255)
phone varchar(255)
from_external_source boolean not null
created timestamp(0) not null
updated timestamp(0) not null
""", "Billing and shipping address snapshots of orders.")

_t(C, "oro_order", "id", "updated_at", """
id integer not null
identifier varchar(255)
po_number varchar(255)
customer_id integer
customer_user_id integer
website_id integer
organization_id integer
user_owner_id integer
parent_id integer
billing_address_id integer
shipping_address_id integer
currency varchar(3)
subtotal_value numeric(19,4)
subtotal_currency varchar(3)
total_value numeric(19,4)
total_currency varchar(3)
base_total_value numeric(19,4)
estimated_shipping_cost_amount numeric(19,4)
override_shipping_cost_amount numeric(19,4)
total_discounts_amount numeric(19,4)
shipping_method varchar(255)
shipping_method_type varchar(255)
source_entity_class varchar(255)
source_entity_id integer
is_external boolean not null
external_id varchar(36)
disablepromotions boolean
created_at timestamp(0) not null
updated_at timestamp(0) not null
serialized_data jsonb
""", "Orders; statuses live in `serialized_data` (Oro 6.x enums).")

_t(C, "oro_order_line_item", "id", "updated_at", """
id integer not null
product_id integer
parent_product_id integer
product_sku varchar(255)
product_name varchar(255)
free_form_product varchar(255)
product_unit_id varchar(255)
product_unit_code varchar(255)
quantity double precision
value numeric(19,4)
currency varchar(255)
price_type integer not null
ship_by date
from_external_source boolean not null
shipping_method varchar(255)
shipping_method_type varchar(255)
checksum varchar(40) not null
created_at timestamp(0) not null
updated_at timestamp(0) not null
serialized_data jsonb
""", "Order lines (line total = value x quantity).")

_t(C, "oro_order_line_items", "order_id,line_item_id", None, """
order_id integer not null
line_item_id integer not null
""", "Order <-> line link table (Oro 6.1).")

_t(C, "oro_order_discount", "id", None, """
id integer not null
order_id integer not null
type varchar(255)
percent double precision
amount numeric(19,4) not null
description text
""", "Manual order discounts.")

_t(C, "oro_payment_transaction", "id", "updated_at", """
id integer not null
entity_class varchar(255) not null
entity_identifier integer not null
payment_method varchar(255) not null
action varchar(255) not null
reference varchar(255)
amount varchar(255) not null
currency varchar(3) not null
active boolean not null
successful boolean not null
source_payment_transaction integer
frontend_owner_id integer
user_owner_id integer
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Payment gateway actions; `amount` is text in Oro.")

_t(C, "oro_payment_status", "id", "updated_at", """
id integer not null
entity_class varchar(255) not null
entity_identifier integer not null
payment_status varchar(255) not null
forced boolean not null
updated_at timestamp(0) not null
""", "Current payment status per order.")

_t(C, "oro_tax_value", "id", "updated_at", """
id integer not null
entity_class varchar(255) not null
entity_id integer
result json not null           # Oro's json_array: total, shipping, unit, row, taxes
address text not null
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Taxes Oro calculated for an order (total, shipping) or an order line item (unit, row), with the rates applied.")

_t(C, "oro_rule", "id", "updated_at", """
id integer not null
name text not null
enabled boolean not null
sort_order integer not null
stop_processing boolean not null
expression text
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Rules: the promotion name lives here.")

_t(C, "oro_promotion_discount_config", "id", None, """
id integer not null
type varchar(50) not null
options text
""", "Discount configuration of promotions.")

_t(C, "oro_promotion", "id", "updated_at", """
id integer not null
rule_id integer not null
discount_config_id integer not null
use_coupons boolean not null
user_owner_id integer
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Promotions.")

_t(C, "oro_promotion_coupon", "id", "updated_at", """
id integer not null
promotion_id integer
code varchar(255) not null
code_uppercase varchar(255) not null
enabled boolean not null
uses_per_coupon integer
uses_per_person integer
valid_from timestamp(0)
valid_until timestamp(0)
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Promotion coupons.")

_t(C, "oro_promotion_applied", "id", "updated_at", """
id integer not null
order_id integer
source_promotion_id integer not null
promotion_name text not null
type varchar(255) not null
active boolean not null
removed boolean not null
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Promotions as applied to orders.")

_t(C, "oro_promotion_applied_discount", "id", "updated_at", """
id integer not null
applied_promotion_id integer not null
line_item_id integer
amount numeric(19,4) not null
currency varchar(3) not null
created_at timestamp(0) not null
updated_at timestamp(0) not null
""", "Discount amounts of applied promotions (per line, or order-level when line_item_id is null).")

_t(C, "oro_promotion_applied_coupon", "id", "created_at", """
id integer not null
applied_promotion_id integer
order_id integer
coupon_code varchar(255) not null
source_promotion_id integer not null
source_coupon_id integer not null
created_at timestamp(0) not null
""", "Coupon codes used on orders (append-only: cursor is created_at).")

# ---------------------------------------------------------------- OroCRM
R = "orocrm"
_t(R, "oro_enum_option", "id", None, """
id varchar(100) not null
enum_code varchar(64) not null
internal_id varchar(32) not null
name varchar(255) not null
priority integer not null
is_default boolean not null
""", "Enum options of the CRM (opportunity and lead statuses).")

_t(R, "orocrm_channel", "id", None, """
id integer not null
name varchar(255) not null
channel_type varchar(255) not null
status boolean not null
customer_identity varchar(255) not null
organization_owner_id integer
createdat timestamp(0) not null
updatedat timestamp(0)
""", "CRM sales channels.")

_t(R, "orocrm_account", "id", "updatedat", """
id integer not null
name varchar(255) not null
user_owner_id integer
organization_id integer
default_contact_id integer
referred_by_id integer
createdat timestamp(0) not null
updatedat timestamp(0) not null
external_id varchar(36)
""", "CRM accounts (companies).")

_t(R, "orocrm_contact", "id", "updatedat", """
id integer not null
first_name varchar(255)
last_name varchar(255)
gender varchar(8)
birthday date
job_title varchar(255)
email varchar(255)
source_name varchar(32)
method_name varchar(32)
assigned_to_user_id integer
user_owner_id integer
organization_id integer
createdat timestamp(0) not null
updatedat timestamp(0) not null
""", "CRM contacts (people).")

_t(R, "orocrm_account_to_contact", "account_id,contact_id", None, """
account_id integer not null
contact_id integer not null
""", "Account <-> contact link.")

_t(R, "orocrm_sales_b2bcustomer", "id", "updatedat", """
id integer not null
name varchar(255) not null
account_id integer
contact_id integer
data_channel_id integer
lifetime numeric(19,4)
website varchar(255)
employees integer
user_owner_id integer
organization_id integer
createdat timestamp(0) not null
updatedat timestamp(0) not null
""", "CRM-side B2B customers in a b2b channel.")

_t(R, "orocrm_sales_customer", "id", None, """
id integer not null
account_id integer not null
b2b_customer_188b774c_id integer
customer_e197f906_id integer
""", "Association rows pointing opportunities at an account and a B2B or Commerce customer.")

_t(R, "orocrm_sales_opport_close_rsn", "name", None, """
name varchar(32) not null
label varchar(255) not null
""", "Opportunity close reasons.")

_t(R, "orocrm_sales_opportunity", "id", "updated_at", """
id integer not null
name varchar(255) not null
budget_amount_value numeric(19,4)
budget_amount_currency varchar(3)
base_budget_amount_value numeric(19,4)
close_revenue_value numeric(19,4)
close_revenue_currency varchar(3)
base_close_revenue_value numeric(19,4)
probability double precision
close_date date
closed_at timestamp(0)
close_reason_name varchar(32)
customer_association_id integer
contact_id integer
user_owner_id integer
organization_id integer
created_at timestamp(0) not null
updated_at timestamp(0) not null
serialized_data jsonb
""", "Sales opportunities; status in `serialized_data` (opportunity_status enum).")


def tables(system: str | None = None) -> list[Table]:
    return [t for t in TABLES.values() if system is None or t.system == system]


def get(system: str, name: str) -> Table:
    return TABLES[f"{system}.{name}"]


# ---------------------------------------------------------------- type mapping
def arrow_type(pg_type: str) -> pa.DataType:
    t = pg_type.lower()
    if t == "integer":
        return pa.int32()
    if t == "bigint":
        return pa.int64()
    if t == "boolean":
        return pa.bool_()
    if t == "double precision":
        return pa.float64()
    if t.startswith("numeric"):
        prec, scale = (int(x) for x in t[t.index("(") + 1 : -1].split(","))
        return pa.decimal128(min(prec, 38), scale)
    if t.startswith("timestamp"):
        return pa.timestamp("us")
    if t == "date":
        return pa.date32()
    return pa.string()  # varchar, text, uuid, jsonb


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c.type), nullable=c.nullable) for c in table.columns])


def sqlite_type(pg_type: str) -> str:
    """Declared type for the SQLite demo copy (keeps the Oro spelling where SQLite's affinity allows)."""
    t = pg_type.lower()
    if t in ("jsonb", "json"):
        return "text"
    if t == "uuid":
        return "varchar(36)"
    return t
