"""Several shops in one database: POs keep each shop's orders apart unless the supplier
consolidates across shops, each shop reads the mode its own way, and each write-back is its
shop's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tandem.connector import outbox
from tandem.connector.configuration import TandemConfig
from tandem.connector.services.ingest import ingest_orders
from tandem.connector.services.plan import run_planner
from tandem.connector.services.po_revisions import contents
from tandem.connector.services.store_updates import KINDS
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.views import list_pos
from tandem.connector.store_writes import LEASE
from tests.store.helpers import PAID, T0, config, offers, order, shops_served

NORTH = {"platform": "shopify", "shop_url": "north.myshopify.com", "access_token": "x"}
SOUTH = {"platform": "shopify", "shop_url": "south.myshopify.com", "access_token": "y"}
FILE = {"platform": "file", "orders_file": "orders.json"}


def agency(**supplier: Any) -> TandemConfig:
    base = config()
    data = base.model_dump(exclude={"store", "stores"})
    data["suppliers"][0].update(supplier)
    return TandemConfig.model_validate(
        {
            **data,
            "rules": {"default_mode": "back_to_back"},
            "stores": [NORTH, SOUTH, {**FILE, "rules": {"mode_properties": ["_ship_from"]}}],
        }
    )


def take(db: Database, shop: str, *orders: Any) -> None:
    with db.write() as conn:
        ingest_orders(conn, shop, list(orders), PAID, T0)


def test_each_shops_orders_get_pos_of_their_own(db: Database) -> None:
    cfg = agency()
    offers(db, cfg, "acme", ("SPADE", "10"))
    take(db, "north.myshopify.com", order(1, ("SPADE", 1)), order(2, ("SPADE", 2)))
    take(db, "south.myshopify.com", order(1, ("SPADE", 4)))
    assert run_planner(db, cfg, T0).released == ["PO-00001", "PO-00002"]
    assert sorted(map(sorted, shops_served(db).values())) == [
        ["north.myshopify.com"],
        ["south.myshopify.com"],
    ]
    with db.read() as conn:
        quantities = {p["number"]: p["lines"][0]["quantity"] for p in list_pos(conn)}
    assert sorted(quantities.values()) == [3, 4]


def test_a_supplier_that_consolidates_across_shops_gets_one_po(db: Database) -> None:
    cfg = agency(consolidate_shops=True)
    offers(db, cfg, "acme", ("SPADE", "10"))
    take(db, "north.myshopify.com", order(1, ("SPADE", 1)))
    take(db, "south.myshopify.com", order(1, ("SPADE", 4)))
    assert run_planner(db, cfg, T0).released == ["PO-00001"]
    assert shops_served(db) == {"PO-00001": {"north.myshopify.com", "south.myshopify.com"}}
    # The PO names each order with its shop: both shops have an order #1.
    with db.read() as conn:
        [po_id] = conn.execute(select(t.purchase_orders.c.id)).scalars()
        assert contents(conn, [po_id])[po_id]["orders"] == [
            "#1 (north.myshopify.com)",
            "#1 (south.myshopify.com)",
        ]


def test_a_shop_reads_the_mode_its_own_way(db: Database) -> None:
    # The file shop names the mode in a line property of its own; north does not read it.
    cfg = agency()
    offers(db, cfg, "acme", ("SPADE", "10"))
    take(db, "file", order(7, ("SPADE", 1, {"_ship_from": "stock"})))
    take(db, "north.myshopify.com", order(1, ("SPADE", 1, {"_ship_from": "stock"})))
    run_planner(db, cfg, T0)
    assert shops_served(db) == {"PO-00001": {"north.myshopify.com"}}


def test_each_write_back_is_for_the_shop_of_its_order(db: Database) -> None:
    cfg = agency()
    offers(db, cfg, "acme", ("SPADE", "10"))
    take(db, "north.myshopify.com", order(1, ("SPADE", 1)))
    take(db, "south.myshopify.com", order(2, ("SPADE", 1)))
    take(db, "file", order(3, ("SPADE", 1, {"_fulfilment": "b2b"})))
    run_planner(db, cfg, T0)
    with db.write() as conn:
        mine = outbox.claim(conn, "w", T0, LEASE, kinds=KINDS, shop="south.myshopify.com")
    assert [item.payload["order_id"] for item in mine] == [2]
    with db.read() as conn:
        shops = sorted(
            conn.execute(select(t.outbox.c.shop).where(t.outbox.c.kind.in_(KINDS))).scalars()
        )
    # The file platform takes no write-backs: its order has none.
    assert shops == ["north.myshopify.com", "south.myshopify.com"]
