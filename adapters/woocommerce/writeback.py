"""Performing write-backs on WooCommerce, one performer per kind (`services.store_updates`).

Each reads what to write from the database when it runs and reads the order before writing,
so a repeat after a lost answer changes nothing:
- order status: a private order note per PO whose status changed (a note with the same words
  is not added twice), and the order meta `_tandem_purchase_orders` set whole (PUT with that
  key only: WooCommerce keeps every other meta entry);
- shipment: the tracking as a customer note (WooCommerce emails it to the customer), in the
  Shipment Tracking extension's `_wc_shipment_tracking_items` too when `store.tracking_meta`
  says the shop has it (items appended, never replaced), and the order moved to completed
  once every line has shipped, if `store.complete_when_shipped`;
- stock and backorders: batch updates of absolute values (safe to resend).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.adapters.woocommerce.client import WooCommerceClient, WooCommerceError
from tandem.adapters.woocommerce.mapper import PURCHASE_ORDERS_META
from tandem.adapters.woocommerce.stock import batch_path
from tandem.connector.clock import utcnow
from tandem.connector.configuration import TandemConfig
from tandem.connector.outbox import OutboxItem
from tandem.connector.services.order_facts import order_status, shipment_quantities, shipment_write
from tandem.connector.store import Database
from tandem.connector.store import schema as t

TRACKING_META = "_wc_shipment_tracking_items"
# Carriers the Shipment Tracking extension knows by slug; any other is a custom provider.
KNOWN_CARRIERS = {
    "ups": "ups",
    "usps": "usps",
    "fedex": "fedex",
    "dhl": "dhl",
    "dhl express": "dhl",
    "royal mail": "royal-mail",
    "dpd": "dpd",
    "canada post": "canada-post",
    "australia post": "australia-post",
}
OPEN_STATUSES = frozenset({"processing", "on-hold"})


def status_note(po: dict[str, Any]) -> str:
    """One PO's status in words, as the private note says it."""
    lines = ", ".join(f"{line['sku']} × {line['quantity']}" for line in po["lines"])
    eta = f", expected {po['eta']}" if po.get("eta") else ""
    held = f" ({lines})" if lines else ""
    return f"Tandem: purchase order {po['number']} to {po['supplier']} is {po['status']}{eta}{held}"


async def _notes(client: WooCommerceClient, order_id: str, kind: str) -> set[str]:
    notes = await client.get(f"/orders/{order_id}/notes", {"type": kind})
    return {str(n.get("note")) for n in notes if isinstance(n, dict)}


async def write_order_status(
    db: Database, client: WooCommerceClient, config: TandemConfig, item: OutboxItem
) -> None:
    status = order_status(db, int(item.payload["order_id"]))
    if status is None:
        return
    order, pos = status.order, status.purchase_orders  # each entry naming this database
    path = f"/orders/{order.external_id}"
    remote = await client.get(path)
    written = await _notes(client, order.external_id, "internal")
    for po in pos:
        note = status_note(po)
        if note not in written:
            await client.post(
                f"{path}/notes", {"note": note, "customer_note": False}, repeatable=False
            )
    current = [m for m in remote.get("meta_data") or [] if m.get("key") == PURCHASE_ORDERS_META]
    if current and current[0].get("value") == pos:
        return
    entry: dict[str, Any] = {"key": PURCHASE_ORDERS_META, "value": pos}
    if current and current[0].get("id"):
        entry["id"] = current[0]["id"]
    await client.put(path, {"meta_data": [entry]})


def tracking_note(shipment: Any, lines: dict[str, tuple[str, int]]) -> str:
    numbers = ", ".join(shipment.tracking_numbers)
    carrier = f"{shipment.carrier} " if shipment.carrier else ""
    items = ", ".join(f"{title} × {units}" for title, units in lines.values())
    urls = f" Track it at {' '.join(shipment.tracking_urls)}" if shipment.tracking_urls else ""
    return f"Shipped: {items}. {carrier}tracking number {numbers}.{urls}".replace("  ", " ")


def tracking_items(shipment: Any) -> list[dict[str, Any]]:
    """The shipment as `_wc_shipment_tracking_items` entries, one per tracking number."""
    carrier = (shipment.carrier or "").strip()
    slug = KNOWN_CARRIERS.get(carrier.casefold(), "")
    urls = list(shipment.tracking_urls)
    shipped = str(int(shipment.shipped_at.timestamp()))
    return [
        {
            "tracking_provider": slug,
            "custom_tracking_provider": "" if slug else carrier,
            "custom_tracking_link": "" if slug else (urls[i] if i < len(urls) else ""),
            "tracking_number": number,
            "date_shipped": shipped,
            "tracking_id": hashlib.md5(f"{slug or carrier}-{number}".encode()).hexdigest(),
        }
        for i, number in enumerate(shipment.tracking_numbers)
    ]


def shipped_everything(conn: Connection, order_id: int) -> bool:
    """Whether the suppliers' shipments cover every unit of every line of the order."""
    ol = t.order_lines
    needed = {
        r.external_id: r.quantity
        for r in conn.execute(
            select(ol.c.external_id, ol.c.quantity).where(
                ol.c.order_id == order_id, ol.c.quantity > 0
            )
        )
    }
    shipped: Counter[str] = Counter()
    po_ids = select(t.po_orders.c.po_id).where(t.po_orders.c.order_id == order_id)
    for (shipment_id,) in conn.execute(
        select(t.shipments.c.id).where(t.shipments.c.po_id.in_(po_ids))
    ):
        shipped.update(shipment_quantities(conn, shipment_id, order_id)[1])
    return bool(needed) and all(shipped[line] >= units for line, units in needed.items())


async def record_shipment(
    db: Database, client: WooCommerceClient, config: TandemConfig, item: OutboxItem
) -> None:
    order_id = int(item.payload["order_id"])
    with db.read() as conn:
        order, shipment, wanted = shipment_write(conn, item.payload)
        titles = dict(
            conn.execute(
                select(t.order_lines.c.external_id, t.order_lines.c.title).where(
                    t.order_lines.c.order_id == order_id
                )
            ).all()
        )
        complete = config.store.complete_when_shipped and shipped_everything(conn, order_id)
    if not wanted:
        return
    path = f"/orders/{order.external_id}"
    lines = {line: (titles.get(line) or line, units) for line, units in sorted(wanted.items())}
    note = tracking_note(shipment, lines)
    if note not in await _notes(client, order.external_id, "customer"):
        await client.post(f"{path}/notes", {"note": note, "customer_note": True}, repeatable=False)
    remote = await client.get(path)
    changes: dict[str, Any] = {}
    if config.store.tracking_meta == "shipment_tracking":
        entries = [m for m in remote.get("meta_data") or [] if m.get("key") == TRACKING_META]
        existing = list(entries[0].get("value") or []) if entries else []
        have = {str(e.get("tracking_number")) for e in existing if isinstance(e, dict)}
        new = [i for i in tracking_items(shipment) if i["tracking_number"] not in have]
        if new:
            entry: dict[str, Any] = {"key": TRACKING_META, "value": existing + new}
            if entries and entries[0].get("id"):
                entry["id"] = entries[0]["id"]
            changes["meta_data"] = [entry]
    if complete and remote.get("status") in OPEN_STATUSES:
        changes["status"] = "completed"
    if changes:
        await client.put(path, changes)


async def set_stock(
    db: Database, client: WooCommerceClient, config: TandemConfig, item: OutboxItem
) -> None:
    payload = item.payload
    shop, items = payload["shop"], payload["items"]
    body = {"update": [{"id": q["id"], "stock_quantity": q["quantity"]} for q in items]}
    answer = await client.post(batch_path(payload["parent_id"]), body, repeatable=True)
    refused = {
        int(r["id"]): (r.get("error") or {}).get("message") or "refused"
        for r in (answer or {}).get("update") or []
        if isinstance(r, dict) and r.get("error") and str(r.get("id") or "").isdigit()
    }
    inv = t.shop_inventory
    pushed_at = utcnow()
    with db.write() as conn:
        for q in items:
            values: dict[str, Any] = (
                # Gone from the shop (deleted, or moved to another parent): looked up again.
                {"inventory_item_id": None, "pending_quantity": None, "pushed_quantity": None}
                if q["id"] in refused
                else {
                    "pushed_quantity": q["quantity"],
                    "store_quantity": q["quantity"],
                    "pending_quantity": None,
                    "pushed_at": pushed_at,
                }
            )
            conn.execute(
                update(inv).where(inv.c.shop == shop, inv.c.sku == q["sku"]).values(**values)
            )
    if refused:
        skus = [q["sku"] for q in items if q["id"] in refused]
        first = next(iter(refused.values()))
        raise WooCommerceError(
            f"WooCommerce refused the stock of {len(skus)} SKU(s) ({', '.join(skus[:5])}"
            f"{', …' if len(skus) > 5 else ''}): {first}; they are looked up again"
        )


def stock_given_up(conn: Connection, item: OutboxItem) -> None:
    payload = item.payload
    inv = t.shop_inventory
    conn.execute(
        update(inv)
        .where(inv.c.shop == payload["shop"], inv.c.sku.in_([q["sku"] for q in payload["items"]]))
        .values(pending_quantity=None)
    )


async def allow_backorders(
    db: Database, client: WooCommerceClient, config: TandemConfig, item: OutboxItem
) -> None:
    payload = item.payload
    body = {"update": [{"id": i, "backorders": "notify"} for i in payload["ids"]]}
    await client.post(batch_path(payload["parent_id"]), body, repeatable=True)
    inv = t.shop_inventory
    with db.write() as conn:
        conn.execute(
            update(inv)
            .where(
                inv.c.shop == payload["shop"],
                inv.c.inventory_item_id.in_([str(i) for i in payload["ids"]]),
            )
            .values(continue_selling=True)
        )
