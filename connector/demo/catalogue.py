"""The demo's data: a small garden shop, its three suppliers, and a stream of believable orders.

    shop = ShopifyStandin(shop_name=SHOP_NAME, currency=CURRENCY).start()
    rng = random.Random(7)
    seed_store(shop, rng)                 # 24 products, stocked at the shop and at "Suppliers"
    write_catalogues(folder)              # folder/catalogues/<supplier>.csv
    config["suppliers"] = SUPPLIERS       # supplier sections for tandem.yaml (paths relative)
    order_id = random_order(shop, rng)    # one paid order, 1-3 lines, a UK customer

The suppliers, by priority:

- Greenleaf Wholesale (back-to-back): tools, pots, soil and seeds; a few items out of stock,
  which then go to the next supplier listing them;
- Hortus Trade Supplies (back-to-back, drop-ships on request): a smaller range at slightly
  higher cost, and the only source of the raised bed;
- Bloom Direct Nurseries (drop-ship only): the live plants, and wildflower seed.

Everything is fixed except what `rng` picks, so the same seed gives the same shop and orders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tandem_shopify_standin import ShopifyStandin

SHOP_NAME = "Demo Garden"
SHOP_DOMAIN = "demo-garden.myshopify.com"
CURRENCY = "GBP"
VENDOR = "Demo Garden"
SUPPLIERS_LOCATION = "Suppliers"
CATALOGUE_COLUMNS = ("sku", "supplier_sku", "name", "cost", "stock", "lead_time_days")
DROPSHIP_TAG = "dropship"
MODE_PROPERTY = "_fulfilment"


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    tags: tuple[str, ...]
    price: Decimal
    popularity: int  # relative weight in random orders


@dataclass(frozen=True)
class Listing:
    """One supplier's line for a product: what its catalogue CSV says."""

    sku: str
    supplier_sku: str
    name: str
    cost: Decimal
    stock: int
    lead_time_days: int


@dataclass(frozen=True)
class Supplier:
    id: str
    name: str
    email: str
    mode: str  # the default mode: back_to_back or drop_ship
    modes: tuple[str, ...]
    priority: int
    release: dict[str, Any]
    drop_ship_fee: Decimal = Decimal(0)
    listings: tuple[Listing, ...] = field(default=())

    @property
    def drop_ships(self) -> bool:
        return "drop_ship" in self.modes

    def catalogue_csv(self) -> str:
        lines = [",".join(CATALOGUE_COLUMNS)]
        for item in self.listings:
            name = f'"{item.name}"' if "," in item.name else item.name
            lines.append(
                f"{item.sku},{item.supplier_sku},{name},{item.cost:.2f},{item.stock},"
                f"{item.lead_time_days}"
            )
        return "\n".join(lines) + "\n"

    def config(self) -> dict[str, Any]:
        """This supplier's section of tandem.yaml (catalogue path relative to the file)."""
        section: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "mode": self.mode,
            "modes": list(self.modes),
            "priority": self.priority,
            "transport": {"type": "email", "to": [self.email]},
            "catalogue": {
                "path": f"catalogues/{self.id}.csv",
                "columns": {"lead_time_days": "lead_time_days"},
            },
            "release": dict(self.release),
        }
        if self.drop_ship_fee:
            section["drop_ship_fee"] = str(self.drop_ship_fee)
        return section


# sku, title, product tags, price, popularity
_PRODUCTS: tuple[tuple[str, str, str, str, int], ...] = (
    ("GT-TROWEL", "Stainless Hand Trowel", "tools", "12.99", 9),
    ("GT-HANDFORK", "Stainless Hand Fork", "tools", "11.99", 6),
    ("GT-SPADE", "Border Spade, Ash Handle", "tools", "34.99", 4),
    ("GT-SECATEURS", "Bypass Secateurs", "tools,pruning", "19.99", 8),
    ("GT-SHEARS", "Hedge Shears", "tools,pruning", "29.99", 3),
    ("GT-RAKE", "Soil Rake", "tools", "24.50", 3),
    ("GT-KNEELER", "Foam Kneeler", "tools,accessories", "8.99", 5),
    ("GT-GLOVES-M", "Gardening Gloves, Medium", "accessories", "7.49", 8),
    ("GT-CAN-10L", "Galvanised Watering Can 10 L", "watering", "32.00", 3),
    ("GT-HOSE-30", "Expandable Hose 30 m", "watering", "39.99", 3),
    ("PT-TERRA-20", "Terracotta Pot 20 cm", "pots", "6.50", 7),
    ("PT-TERRA-30", "Terracotta Pot 30 cm", "pots", "12.00", 5),
    ("PT-TROUGH-60", "Window Box Trough 60 cm", "pots", "14.99", 3),
    ("PT-RAISED-BED", "Cedar Raised Bed 120 x 60 cm", "pots,bulky,drop-ship", "89.00", 1),
    ("SL-COMPOST-40", "Peat-free Compost 40 L", "soil", "9.99", 7),
    ("SL-TOMATO-FEED", "Tomato Feed 1 L", "soil,feed", "6.99", 5),
    ("SL-BARK-50", "Bark Mulch 50 L", "soil", "11.50", 3),
    ("SD-TOMATO", "Tomato 'Gardener's Delight' Seeds", "seeds", "2.79", 6),
    ("SD-SWEETPEA", "Sweet Pea Mix Seeds", "seeds", "2.49", 5),
    ("SD-WILDFLOWER", "Wildflower Meadow Seed 100 g", "seeds,wildlife", "8.99", 4),
    ("PL-LAVENDER-3", "Lavender 'Hidcote', 3 x 9 cm Pots", "plants,live", "14.99", 5),
    ("PL-ROSE-NEWDAWN", "Climbing Rose 'New Dawn', 3 L Pot", "plants,live", "22.99", 3),
    ("PL-OLIVE-80", "Olive Tree, 80 cm", "plants,live,bulky", "59.00", 2),
    ("PL-TULIP-20", "Tulip Bulbs 'Ballerina', Pack of 20", "plants,bulbs", "9.99", 4),
)

PRODUCTS: tuple[Product, ...] = tuple(
    Product(sku, title, tuple(tags.split(",")), Decimal(price), popularity)
    for sku, title, tags, price, popularity in _PRODUCTS
)
_BY_SKU = {p.sku: p for p in PRODUCTS}


def _listings(
    prefix: str, rows: tuple[tuple[str, str, int, int], ...], names: dict[str, str] | None = None
) -> tuple[Listing, ...]:
    """(sku, cost, stock, lead time) rows -> listings; supplier SKUs are `prefix-NNN`."""
    out = []
    for number, (sku, cost, stock, lead) in enumerate(rows, start=101):
        name = (names or {}).get(sku, _BY_SKU[sku].title)
        out.append(Listing(sku, f"{prefix}-{number}", name, Decimal(cost), stock, lead))
    return tuple(out)


SUPPLIER_LIST: tuple[Supplier, ...] = (
    Supplier(
        id="greenleaf",
        name="Greenleaf Wholesale",
        email="orders@greenleaf-wholesale.example",
        mode="back_to_back",
        modes=("back_to_back",),
        priority=10,
        release={"min_order_value": 120, "cron": "*/3 * * * *"},
        listings=_listings(
            "GLW",
            (
                ("GT-TROWEL", "5.40", 140, 2),
                ("GT-HANDFORK", "5.10", 96, 2),
                ("GT-SPADE", "16.20", 22, 3),
                ("GT-SECATEURS", "8.75", 60, 2),
                ("GT-SHEARS", "13.90", 0, 3),  # out of stock: Hortus takes these
                ("GT-RAKE", "10.60", 18, 3),
                ("GT-KNEELER", "3.20", 210, 2),
                ("GT-GLOVES-M", "2.95", 300, 2),
                ("GT-CAN-10L", "14.50", 12, 4),
                ("PT-TERRA-20", "2.40", 180, 2),
                ("PT-TERRA-30", "5.10", 0, 2),  # out of stock
                ("PT-TROUGH-60", "6.30", 45, 3),
                ("SL-COMPOST-40", "4.10", 400, 1),
                ("SL-TOMATO-FEED", "2.80", 150, 2),
                ("SL-BARK-50", "4.90", 0, 1),  # out of stock
                ("SD-TOMATO", "0.95", 500, 2),
                ("SD-SWEETPEA", "0.85", 420, 2),
            ),
        ),
    ),
    Supplier(
        id="hortus",
        name="Hortus Trade Supplies",
        email="trade@hortus-supplies.example",
        mode="back_to_back",
        modes=("back_to_back", "drop_ship"),
        priority=20,
        release={"max_wait": "2m"},
        drop_ship_fee=Decimal("4.95"),
        listings=_listings(
            "HTS",
            (
                ("GT-TROWEL", "5.90", 40, 4),
                ("GT-SPADE", "17.10", 9, 4),
                ("GT-SHEARS", "14.40", 25, 4),
                ("GT-RAKE", "11.20", 14, 5),
                ("GT-HOSE-30", "18.50", 30, 5),  # only here
                ("PT-TERRA-20", "2.70", 90, 4),
                ("PT-TERRA-30", "5.60", 64, 4),
                ("PT-TROUGH-60", "6.90", 20, 5),
                ("PT-RAISED-BED", "41.00", 11, 7),  # only here
                ("SL-COMPOST-40", "4.40", 250, 3),
                ("SL-BARK-50", "5.20", 120, 3),
            ),
            names={"PT-RAISED-BED": "Raised Bed Kit, Western Red Cedar, 1200 x 600"},
        ),
    ),
    Supplier(
        id="bloom",
        name="Bloom Direct Nurseries",
        email="dropship@bloomdirect.example",
        mode="drop_ship",
        modes=("drop_ship",),
        priority=30,
        release={"immediate": True},
        drop_ship_fee=Decimal("3.50"),
        listings=_listings(
            "BDN",
            (
                ("SD-WILDFLOWER", "3.60", 80, 3),
                ("PL-LAVENDER-3", "6.20", 48, 3),
                ("PL-ROSE-NEWDAWN", "9.80", 16, 4),
                ("PL-OLIVE-80", "27.50", 6, 5),
                ("PL-TULIP-20", "3.90", 150, 3),
            ),
        ),
    ),
)

SUPPLIERS: list[dict[str, Any]] = [s.config() for s in SUPPLIER_LIST]

# SKUs some supplier will drop-ship: only these get a drop-ship tag or line property.
DROP_SHIPPABLE = frozenset(item.sku for s in SUPPLIER_LIST if s.drop_ships for item in s.listings)


def write_catalogues(folder: Path) -> list[Path]:
    """Each supplier's catalogue as `folder/catalogues/<id>.csv` (what SUPPLIERS points at)."""
    target = folder / "catalogues"
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for supplier in SUPPLIER_LIST:
        path = target / f"{supplier.id}.csv"
        path.write_text(supplier.catalogue_csv(), encoding="utf-8")
        paths.append(path)
    return paths


# -- the store ----------------------------------------------------------------------------------


def seed_store(standin: ShopifyStandin, rng: random.Random) -> dict[str, str]:
    """Add the products (one variant each, a little stock at the shop's own location) and a
    "Suppliers" location where Tandem pushes supplier stock; returns SKU -> product GID."""
    suppliers = standin.add_location(SUPPLIERS_LOCATION)
    products = {}
    for product in PRODUCTS:
        product_id = standin.add_product(product.title, tags=product.tags, vendor=VENDOR)
        standin.add_variant(
            product.sku,
            price=f"{product.price:.2f}",
            product_id=product_id,
            inventory_quantity=rng.choice((0, 0, 1, 2, 3, 5, 8)),
        )
        standin.set_inventory(product.sku, 0, location_id=suppliers)
        products[product.sku] = product_id
    return products


FIRST_NAMES = (
    "Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah", "Freya", "Arthur",
    "Grace", "Leo", "Poppy", "Oscar", "Evie", "Alfie", "Ruby", "Theo", "Florence", "Jack",
    "Priya", "Tomasz", "Siobhan", "Rhys", "Aisha", "Callum", "Niamh", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans", "Thomas",
    "Roberts", "Walker", "Wright", "Hughes", "Green", "Hall", "Wood", "Clarke", "Patel",
    "Khan", "Murphy", "Campbell", "Lewis", "Kowalski", "Morgan", "Fraser", "Ali",
)  # fmt: skip
STREETS = (
    "Church Lane", "Station Road", "Mill Lane", "The Green", "Orchard Way", "Victoria Road",
    "Manor Close", "Park Avenue", "Meadow View", "High Street", "Willow Crescent",
    "Kingsway", "Rose Hill", "Beech Grove",
)  # fmt: skip
# town, county, postcode district
TOWNS = (
    ("Bristol", "Bristol", "BS6"),
    ("Bath", "Somerset", "BA2"),
    ("Cheltenham", "Gloucestershire", "GL50"),
    ("Oxford", "Oxfordshire", "OX4"),
    ("Norwich", "Norfolk", "NR2"),
    ("York", "North Yorkshire", "YO10"),
    ("Harrogate", "North Yorkshire", "HG1"),
    ("Manchester", "Greater Manchester", "M20"),
    ("Leeds", "West Yorkshire", "LS6"),
    ("Edinburgh", "Midlothian", "EH10"),
    ("Cardiff", "South Glamorgan", "CF14"),
    ("Exeter", "Devon", "EX4"),
    ("Brighton", "East Sussex", "BN1"),
    ("Canterbury", "Kent", "CT1"),
    ("Shrewsbury", "Shropshire", "SY3"),
    ("London", "", "SE22"),
)


def _postcode(rng: random.Random, district: str) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"


def random_address(rng: random.Random, first_name: str, last_name: str) -> dict[str, Any]:
    town, county, district = rng.choice(TOWNS)
    flat = rng.random() < 0.15
    return {
        "firstName": first_name,
        "lastName": last_name,
        "name": f"{first_name} {last_name}",
        "company": None,
        "address1": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
        "address2": f"Flat {rng.randint(1, 12)}" if flat else None,
        "city": town,
        "province": county or None,
        "provinceCode": None,
        "zip": _postcode(rng, district),
        "country": "United Kingdom",
        "countryCodeV2": "GB",
        "phone": f"+44 7700 9{rng.randint(0, 99999):05d}",
    }


def random_order(standin: ShopifyStandin, rng: random.Random) -> str:
    """Add one paid order (1-3 lines of seeded products, a UK customer) and return its GID.

    About one order in eight whose every line some supplier drop-ships is tagged `dropship`;
    otherwise a drop-shippable line sometimes carries the line property
    `_fulfilment: drop_ship`. Products tagged `drop-ship` and plants go direct anyway.
    """
    count = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
    picked: list[Product] = []
    while len(picked) < count:
        product = rng.choices(PRODUCTS, weights=[p.popularity for p in PRODUCTS])[0]
        if product not in picked:
            picked.append(product)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first}.{last}{rng.randint(1, 99)}@example.co.uk".lower()
    tags: list[str] = []
    if all(p.sku in DROP_SHIPPABLE for p in picked) and rng.random() < 0.125:
        tags.append(DROPSHIP_TAG)
    lines = []
    for product in picked:
        line: dict[str, Any] = {
            "sku": product.sku,
            "quantity": rng.choices((1, 2, 3, 4), weights=(10, 4, 2, 1))[0],
        }
        if not tags and product.sku in DROP_SHIPPABLE and rng.random() < 0.1:
            line["custom_attributes"] = {MODE_PROPERTY: "drop_ship"}
        lines.append(line)
    if rng.random() < 0.1:
        tags.append(rng.choice(("gift", "repeat-customer", "newsletter")))
    return standin.add_order(
        lines,
        customer={"first_name": first, "last_name": last, "email": email},
        shipping_address=random_address(rng, first, last),
        email=email,
        currency=CURRENCY,
        tags=tags,
    )
