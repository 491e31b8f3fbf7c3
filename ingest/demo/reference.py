"""Fixed reference data and small helpers shared by the demo generator.

Nothing here depends on the seed: the business period, time and money formatting,
Oro enum options, countries and regions, El Salvador cities, the store list, brands,
the category tree, Spanish product names and the Oro demo catalog (a copy of
``shared/oro/demo-data/catalog.csv``, Oro's own 63 demo products).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

# ---------------------------------------------------------------- time
EPOCH = dt.date(2024, 1, 1)           # internal timestamps are seconds since this day (UTC)
START = dt.date(2025, 11, 1)          # first business day
END = dt.date(2026, 10, 31)           # last business day; evolve step N is END + N days
DAY = 86400


def day_index(d: dt.date) -> int:
    return (d - EPOCH).days


START_DAY = day_index(START)
END_DAY = day_index(END)
N_DAYS = END_DAY - START_DAY + 1      # 365
END_TS = (END_DAY + 1) * DAY - 1      # 2026-10-31 23:59:59

_DAY_STR: dict[int, str] = {}


def ds(day: int) -> str:
    """Day number -> 'YYYY-MM-DD'."""
    s = _DAY_STR.get(day)
    if s is None:
        s = _DAY_STR[day] = (EPOCH + dt.timedelta(days=day)).isoformat()
    return s


def ts(sec: int) -> str:
    """Seconds since EPOCH -> 'YYYY-MM-DD HH:MM:SS' (UTC, no fraction)."""
    d, r = divmod(sec, DAY)
    h, r = divmod(r, 3600)
    m, s = divmod(r, 60)
    return f"{ds(d)} {h:02d}:{m:02d}:{s:02d}"


def parse_ts(value) -> int:
    """A timestamp from a database (text or datetime) -> seconds since EPOCH."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return (value.date() - EPOCH).days * DAY + value.hour * 3600 + value.minute * 60 + value.second


def date_of(d: dt.date | str) -> dt.date:
    return d if isinstance(d, dt.date) else dt.date.fromisoformat(d)


# ---------------------------------------------------------------- money
def money(cents: int) -> float:
    """Integer cents -> a float whose shortest repr is the 2-decimal amount (numeric columns)."""
    return cents / 100


def amount_text(cents: int) -> str:
    """Integer cents -> Oro's text amount, e.g. '123.4500' (oro_payment_transaction.amount)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}00"


def cents_of(value) -> int:
    """A money value read back from a database (Decimal, float, int, text) -> integer cents."""
    return int(round(float(value) * 100))


def to_json(obj: dict) -> str:
    """serialized_data text: keys in insertion order, PostgreSQL jsonb-like spacing."""
    return json.dumps(obj, ensure_ascii=False)


# ---------------------------------------------------------------- Oro constants
ORDER_CLASS = "Oro\\Bundle\\OrderBundle\\Entity\\Order"
CHECKOUT_CLASS = "Oro\\Bundle\\CheckoutBundle\\Entity\\Checkout"
LINE_ITEM_CLASS = "Oro\\Bundle\\OrderBundle\\Entity\\OrderLineItem"
ORGANIZATION_ID = 1
SPANISH_LOCALIZATION_ID = 2

# enum_code -> [(internal_id, name, is_default)]
ENUMS_COMMERCE: dict[str, list[tuple[str, str, bool]]] = {
    "order_internal_status": [("open", "Open", True), ("pending", "Pending", False),
                              ("processing", "Processing", False), ("closed", "Closed", False),
                              ("cancelled", "Cancelled", False)],
    "order_shipping_status": [("not_shipped", "Not Shipped", True), ("partially_shipped", "Partially Shipped", False),
                              ("shipped", "Shipped", False)],
    "prod_inventory_status": [("in_stock", "In Stock", True), ("out_of_stock", "Out of Stock", False),
                              ("discontinued", "Discontinued", False)],
    "auth_status": [("active", "Active", True), ("reset", "Reset", False)],
    "cu_auth_status": [("active", "Active", True), ("reset", "Reset", False)],
    "acc_internal_rating": [(f"{i}_of_5", f"{i} of 5", False) for i in range(1, 6)],
}
ENUMS_CRM: dict[str, list[tuple[str, str, bool]]] = {
    "opportunity_status": [("in_progress", "Open", True),
                           ("identification_alignment", "Identification & Alignment", False),
                           ("needs_analysis", "Needs Analysis", False),
                           ("solution_development", "Solution Development", False),
                           ("negotiation", "Negotiation", False),
                           ("won", "Closed Won", False), ("lost", "Closed Lost", False)],
}
OPEN_OPPORTUNITY_STAGES = ["in_progress", "identification_alignment", "needs_analysis",
                           "solution_development", "negotiation"]
STAGE_PROBABILITY = {"in_progress": 0.1, "identification_alignment": 0.3, "needs_analysis": 0.2,
                     "solution_development": 0.5, "negotiation": 0.8, "won": 1.0, "lost": 0.0}
CLOSE_REASONS = [("outsold", "Outsold"), ("won", "Won"), ("cancelled", "Cancelled")]

ORDER_STATUSES = ["open", "pending", "processing", "closed", "cancelled"]


def enum_id(code: str, internal_id: str) -> str:
    return f"{code}.{internal_id}"


_ORDER_JSON: dict[tuple[str, str], str] = {}


def order_serialized(status: str, shipping: str) -> str:
    key = (status, shipping)
    s = _ORDER_JSON.get(key)
    if s is None:
        s = _ORDER_JSON[key] = to_json({"internal_status": enum_id("order_internal_status", status),
                                        "shippingStatus": enum_id("order_shipping_status", shipping)})
    return s


PRODUCT_UNITS = [("each", 0), ("hour", 0), ("item", 0), ("kg", 3), ("piece", 0), ("set", 0)]

# ---------------------------------------------------------------- geography
COUNTRIES = [  # iso2, iso3, name
    ("SV", "SLV", "El Salvador"), ("GT", "GTM", "Guatemala"), ("HN", "HND", "Honduras"),
    ("NI", "NIC", "Nicaragua"), ("CR", "CRI", "Costa Rica"), ("PA", "PAN", "Panama"),
    ("BZ", "BLZ", "Belize"), ("MX", "MEX", "Mexico"), ("US", "USA", "United States"),
    ("CA", "CAN", "Canada"), ("CO", "COL", "Colombia"), ("ES", "ESP", "Spain"),
    ("DE", "DEU", "Germany"), ("FR", "FRA", "France"),
]

# El Salvador departments: ISO 3166-2 code, name, weight (share of customers), postal prefix, cities
SV_DEPARTMENTS = [
    ("SS", "San Salvador", 40, "11", ["San Salvador", "Soyapango", "Mejicanos", "Apopa", "Ilopango", "San Marcos"]),
    ("LI", "La Libertad", 20, "15", ["Santa Tecla", "Antiguo Cuscatlán", "La Libertad", "Colón", "Quezaltepeque"]),
    ("SA", "Santa Ana", 8, "22", ["Santa Ana", "Metapán", "Chalchuapa"]),
    ("SM", "San Miguel", 8, "33", ["San Miguel", "Chinameca", "Ciudad Barrios"]),
    ("SO", "Sonsonate", 5, "23", ["Sonsonate", "Izalco", "Acajutla", "Nahuizalco"]),
    ("AH", "Ahuachapán", 3, "21", ["Ahuachapán", "Atiquizaya"]),
    ("US", "Usulután", 3, "34", ["Usulután", "Jiquilisco", "Santiago de María"]),
    ("UN", "La Unión", 2, "31", ["La Unión", "Santa Rosa de Lima"]),
    ("PA", "La Paz", 3, "16", ["Zacatecoluca", "Olocuilta"]),
    ("CU", "Cuscatlán", 3, "14", ["Cojutepeque", "Suchitoto"]),
    ("CH", "Chalatenango", 2, "13", ["Chalatenango", "Nueva Concepción"]),
    ("CA", "Cabañas", 1, "12", ["Sensuntepeque", "Ilobasco"]),
    ("SV", "San Vicente", 1, "17", ["San Vicente", "Tecoluca"]),
    ("MO", "Morazán", 1, "32", ["San Francisco Gotera", "Perquín"]),
]
# Foreign places: country, region code (None: no dictionary region), region text, cities, postal code pattern
FOREIGN_PLACES = {
    "GT": [("GU", "Guatemala", ["Guatemala", "Mixco", "Villa Nueva"], "01{:03d}"),
           ("QZ", "Quetzaltenango", ["Quetzaltenango"], "09{:03d}"),
           ("SA", "Sacatepéquez", ["Antigua Guatemala"], "03{:03d}")],
    "MX": [("CMX", "Ciudad de México", ["Ciudad de México"], "06{:03d}"),
           ("JAL", "Jalisco", ["Guadalajara", "Zapopan"], "44{:03d}"),
           ("NLE", "Nuevo León", ["Monterrey"], "64{:03d}")],
    "HN": [(None, "Francisco Morazán", ["Tegucigalpa"], "11{:03d}"),
           (None, "Cortés", ["San Pedro Sula"], "21{:03d}")],
    "CR": [(None, "San José", ["San José", "Escazú"], "10{:03d}")],
    "US": [("CA", "California", ["Los Angeles"], "900{:02d}"),
           ("TX", "Texas", ["Houston"], "770{:02d}"),
           ("FL", "Florida", ["Miami"], "331{:02d}"),
           ("NY", "New York", ["New York"], "100{:02d}")],
    "ES": [("M", "Madrid", ["Madrid"], "280{:02d}"),
           ("B", "Barcelona", ["Barcelona"], "080{:02d}")],
}
# Customer country mix and the currency their web orders use
COUNTRY_WEIGHTS = [("SV", 88), ("GT", 4), ("MX", 3), ("HN", 2), ("CR", 1), ("US", 1), ("ES", 1)]
COUNTRY_CURRENCY = {"GT": "GTQ", "MX": "MXN", "ES": "EUR"}
FOREIGN_CURRENCIES = ["EUR", "GTQ", "MXN"]
RATE_START = {"EUR": 1.1570, "GTQ": 0.130200, "MXN": 0.054300}   # USD per unit
RATE_DAILY_VOL = {"EUR": 0.003, "GTQ": 0.0005, "MXN": 0.005}


def regions() -> list[tuple[str, str, str, str]]:
    """(combined_code, country_code, code, name) of the region dictionary."""
    out = [(f"SV-{code}", "SV", code, name) for code, name, *_ in SV_DEPARTMENTS]
    for country, places in FOREIGN_PLACES.items():
        for code, name, _cities, _pc in places:
            if code:
                out.append((f"{country}-{code}", country, code, name))
    return out


# Stores and warehouses (maestros/sucursales.csv)
SUCURSALES = [
    ("S01", "PuntaFina Metrocentro", "tienda", "San Salvador", "San Salvador"),
    ("S02", "PuntaFina Multiplaza", "tienda", "Antiguo Cuscatlán", "La Libertad"),
    ("S03", "PuntaFina Santa Ana", "tienda", "Santa Ana", "Santa Ana"),
    ("S04", "PuntaFina San Miguel", "tienda", "San Miguel", "San Miguel"),
    ("S05", "PuntaFina Sonsonate", "tienda", "Sonsonate", "Sonsonate"),
    ("S06", "PuntaFina Santa Tecla", "tienda", "Santa Tecla", "La Libertad"),
    ("S07", "Bodega Central Soyapango", "bodega", "Soyapango", "San Salvador"),
    ("S08", "Bodega Oriente", "bodega", "San Miguel", "San Miguel"),
]
STORES = [s[0] for s in SUCURSALES if s[2] == "tienda"]
STORE_WEIGHTS = [30, 25, 14, 12, 9, 10]
UNKNOWN_SUCURSALES = ["S09", "S99", "X01"]
POS_PAYMENT_METHODS = [("efectivo", 45), ("tarjeta_credito", 25), ("tarjeta_debito", 25), ("transferencia", 5)]

# ---------------------------------------------------------------- people and companies
FIRST_NAMES_F = ["María", "Ana", "Carmen", "Rosa", "Gabriela", "Sofía", "Daniela", "Claudia", "Patricia",
                 "Andrea", "Fernanda", "Lucía", "Karla", "Verónica", "Beatriz", "Marta", "Alejandra",
                 "Valeria", "Elena", "Silvia", "Josefina", "Raquel", "Paola", "Carolina"]
FIRST_NAMES_M = ["José", "Carlos", "Juan", "Luis", "Jorge", "Miguel", "Roberto", "Mario", "Francisco",
                 "Ricardo", "Óscar", "Manuel", "David", "Eduardo", "Fernando", "Alejandro", "Rafael",
                 "Héctor", "Julio", "Ernesto", "Salvador", "René", "Víctor", "Diego"]
LAST_NAMES = ["Hernández", "García", "Martínez", "López", "Rodríguez", "González", "Pérez", "Ramírez",
              "Flores", "Rivera", "Cruz", "Reyes", "Morales", "Ramos", "Ortiz", "Castillo", "Mejía",
              "Alvarado", "Guzmán", "Aguilar", "Romero", "Méndez", "Portillo", "Chávez", "Menjívar",
              "Orellana", "Quintanilla", "Argueta", "Escobar", "Bonilla", "Henríquez", "Molina"]
COMPANY_KINDS = ["Ferretería", "Clínica", "Hospital", "Farmacia", "Distribuidora", "Oficentro", "Comercial",
                 "Supermercado", "Laboratorio", "Consultorio Médico", "Hotel", "Restaurante", "Colegio",
                 "Inversiones", "Importadora", "Tienda", "Centro Médico", "Constructora"]
COMPANY_NAMES = ["San Rafael", "El Progreso", "La Esperanza", "Santa Elena", "Los Pinos", "Cuscatlán",
                 "Izalco", "Maquilishuat", "El Roble", "Metapán", "San Benito", "La Ceiba", "Las Palmas",
                 "Montecristo", "El Volcán", "Sol de Oriente", "Guadalupe", "San Jacinto", "La Merced",
                 "Lempa", "Cerro Verde", "El Boquerón", "Torogoz", "Izote", "Coatepeque", "Ilamatepec"]
COMPANY_SUFFIXES = ["S.A. de C.V.", "S.A. de C.V.", "S.A.", "", "y Cía."]
STREET_KINDS = ["Calle", "Avenida", "Pasaje", "Boulevard", "Colonia", "Residencial"]
STREET_NAMES = ["Los Almendros", "El Mirador", "Las Magnolias", "La Reforma", "Arce", "Independencia",
                "Los Héroes", "San Antonio Abad", "Las Gardenias", "El Carmen", "Roosevelt", "Masferrer",
                "Los Sisimiles", "La Mascota", "Olímpica", "Juan Pablo II", "El Pedregal", "Las Acacias"]
EMAIL_DOMAINS = ["gmail.com", "hotmail.com", "yahoo.com", "outlook.com", "gmail.com", "gmail.com"]

USER_ROLES = [  # role, title, business unit id
    ("admin", "Administrador del sistema", 1),
    ("manager", "Gerente comercial", 1),
    ("b2b", "Ejecutivo de ventas B2B", 2),
    ("televentas", "Agente de televentas", 4),
    ("tienda", "Gerente de tienda", 3),
]
BUSINESS_UNITS = [(1, None, "PuntaFina S.A. de C.V."), (2, 1, "Ventas Corporativas B2B"),
                  (3, 1, "Tiendas"), (4, 1, "Televentas")]
WEBSITES = [(1, "PuntaFina Tienda en Línea", 1), (2, "PuntaFina Empresas (B2B)", 0)]
CUSTOMER_GROUPS = [(1, "Mayoristas"), (2, "Minoristas"), (3, "Instituciones de salud"),
                   (4, "Empresas"), (5, "Compradores invitados")]
WHOLESALE_GROUP = 1
B2B_GROUPS = (1, 3, 4)
B2C_GROUP = 2
GUEST_GROUP = 5

PRICE_LISTS = [(1, "Default Price List", 1), (2, "Mayoreo", 1), (3, "Precios Guatemala (GTQ)", 1)]

# ---------------------------------------------------------------- catalog
BRANDS = [(1, "Lumina Pro"), (2, "Vertex Supply"), (3, "Andes Medical"), (4, "Costa Office"),
          (5, "Volcán Tools"), (6, "Maya Retail Systems")]

# (key, title, parent key); products point at the node named by their catalog category
CATEGORY_TREE = [
    ("root", "All Products", None),
    ("lighting", "Lighting Products", "root"),
    ("flood", "Architectural Floodlighting", "lighting"),
    ("headlamps", "Headlamps", "lighting"),
    ("apparel", "Medical Apparel", "root"),
    ("footwear", "Footwear", "apparel"),
    ("uniforms", "Medical Uniforms", "apparel"),
    ("furniture", "Office Furniture", "root"),
    ("retail", "Retail Supplies", "root"),
    ("pos", "POS Systems", "retail"),
    ("printers", "Printers", "retail"),
    ("medequip", "Medical Equipment", "root"),
    ("transport", "Patient Transportation Equipment", "medequip"),
    ("ident", "Patient Identification", "medequip"),
]
CATEGORY_OF = {"Lighting Products": "lighting", "Architectural Floodlighting": "flood", "Headlamps": "headlamps",
               "Footwear": "footwear", "Medical Uniforms": "uniforms", "Medical Uniform": "uniforms",
               "Office Furniture": "furniture", "Retail Supplies": "retail", "POS Systems": "pos",
               "Printers": "printers", "Patient Transportation Equipment": "transport",
               "Patient Identification": "ident"}

# Spanish names (localization 2) for part of the demo catalog; the rest get fallback rows
SPANISH_NAMES = {
    "0RT28": "Linterna frontal recargable de 220 lúmenes",
    "1AB92": "Lector de tarjetas con teclado PIN",
    "1GB82": "Zueco sin cordones para mujer",
    "1GS46": "Lámpara de trabajo de 500 vatios",
    "2CF67": "Linterna industrial de acero",
    "2JD29": "Linterna de mano",
    "2JD90": "Bombilla LED blanca de 90 vatios",
    "2JV62": "Conjunto de uniforme médico negro de 4 bolsillos para mujer",
    "2WE71": "Lector de tarjetas para teléfono móvil",
    "3ET67": "Estantería metálica, 65 x 55 pulg.",
    "3JK76": "Escritorio de madera, 60 x 29 x 30 pulg.",
    "3JK90": "Silla ejecutiva con cabecera",
    "3RE23": "Bata de laboratorio de 2 bolsillos para hombre",
    "3YB32": "Gorro quirúrgico verde azulado para mujer",
    "4KL66": "Archivador de 4 gavetas, 15 x 52 x 25, gris",
    "4PJ19": "Escáner láser de códigos de barras",
    "5BM69": "Mesa de conferencias, 47 pulg. x 10 pies",
    "5GE27": "Etiquetadora de precios",
    "5GF68": "Reflector de 300 vatios",
    "5UB78": "Sofá verde beige",
    "5XY10": "Impresora de etiquetas de códigos de barras",
    "6GH85": "Archivador de 4 gavetas, 15 x 26 x 22",
    "6LJ54": "Silla de escritorio para gerente",
    "6PM40": "Mesa de reuniones redonda, 30 x 30 pulg.",
    "6UB33": "Conjunto de uniforme médico blanco para hombre",
    "6VC22": "Escáner de códigos de barras Bluetooth",
    "7NM98": "Zuecos sin cordones para hombre",
    "8DO33": "Impresora de recibos",
    "8NN54": "Zapato de enfermería para mujer",
    "8VS71": "Librero blanco, 35 x 77 pulg.",
    "9GQ28": "Lector de tarjetas NFC",
    "WLCH1": "Silla de ruedas plegable",
    "TAG1": "Placa médica de acero inoxidable",
    "TAG2": "Placa médica de plata esterlina",
}
VARIANT_DESCRIPTORS = ["Negro", "Blanco", "Azul", "Gris", "Rojo", "Verde", "Talla S", "Talla M", "Talla L",
                       "Talla XL", "Paquete de 2", "Paquete de 5", "Compacto", "Reforzado", "Edición 2026"]

CATALOG_CSV = Path(__file__).with_name("oro_demo_catalog.csv")


def _price_cents(text: str) -> int | None:
    return int(round(float(text) * 100)) if text.strip() else None


def load_catalog() -> list[dict]:
    """Oro's 63 demo products: sku, name, category key, price/MSRP/MAP cents, unit, precision, type, brand."""
    out = []
    with CATALOG_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.append({
                "sku": row["sku"], "name": row["name"], "category": CATEGORY_OF[row["category"]],
                "price": _price_cents(row["price"]), "msrp": _price_cents(row["MSRP"]),
                "map": _price_cents(row["MAP"]), "unit": row["unit"], "precision": int(row["precision"]),
                "type": row["type"], "brand_id": int(row["brand_id"]) if row["brand_id"].strip() else None,
            })
    return out


# ---------------------------------------------------------------- calendar
SPECIAL_DAYS = {  # (month, day) -> factor on the demand of that day
    (11, 28): 3.0, (11, 29): 2.0, (11, 30): 1.5, (12, 1): 2.0,       # Black Friday weekend, Cyber Monday
    (12, 24): 0.7, (12, 25): 0.3, (12, 31): 0.6, (1, 1): 0.3,
    (5, 10): 1.6, (6, 17): 1.3, (8, 6): 0.6, (9, 15): 0.6,           # Madre, Padre, fiestas, independencia
}
MONTH_FACTOR = {11: 1.15, 12: 1.45, 1: 0.8, 2: 0.85, 3: 0.95, 4: 0.95, 5: 1.05, 6: 1.0, 7: 0.95,
                8: 1.0, 9: 1.0, 10: 1.05}
HOLY_WEEK_2026 = (day_index(dt.date(2026, 3, 29)), day_index(dt.date(2026, 4, 5)))


def day_weight(day: int, channel: str) -> float:
    d = EPOCH + dt.timedelta(days=day)
    w = MONTH_FACTOR[d.month] * SPECIAL_DAYS.get((d.month, d.day), 1.0)
    wd = d.weekday()
    if channel == "tienda":
        w *= (1.0, 0.9, 0.9, 1.0, 1.15, 1.45, 1.25)[wd]
    else:
        w *= (1.1, 1.1, 1.1, 1.05, 1.0, 0.8, 0.65)[wd]
    if HOLY_WEEK_2026[0] <= day <= HOLY_WEEK_2026[1]:
        w *= 0.6
    return w


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split an integer total proportionally to weights (largest remainder; exact and deterministic)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return out


# UTC hours of web orders: El Salvador is UTC-6, so local daytime is 13:00-05:00 UTC
WEB_HOUR_WEIGHTS = [6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 7, 6, 6, 6, 7, 7, 7]
