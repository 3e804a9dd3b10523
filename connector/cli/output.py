"""Rich renderings shared by commands: PO tables, PO details, exception tables."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from tandem.connector.money import money


def ship_to_text(po: dict[str, Any]) -> str:
    from tandem.connector.services.release import describe_address

    if po["mode"] == "drop_ship":
        return f"{po['order'] or ''} {describe_address(po['ship_to'])}".strip()
    company = (po["ship_to"] or {}).get("company")
    return f"warehouse ({company})" if company else "warehouse"


def ship_to_short(po: dict[str, Any]) -> str:
    """Who and where in a few words, for tables: "Oliver Grant, York" or "warehouse"."""
    if po["mode"] != "drop_ship":
        return "warehouse"
    address = po["ship_to"] or {}
    return ", ".join(p for p in (address.get("name"), address.get("city")) if p) or "customer"


def po_table(pos: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(pos)} purchase order(s)")
    table.add_column("PO", no_wrap=True)
    for name in ("supplier", "mode", "status", "ship to"):
        table.add_column(name)
    for name in ("units", "total"):
        table.add_column(name, justify="right")
    table.add_column("orders", min_width=5)
    for po in pos:
        table.add_row(
            po["number"] or f"draft-{po['id']}",
            po["supplier"],
            "b2b" if po["mode"] == "back_to_back" else "drop-ship",
            po["status"],
            ship_to_short(po),
            str(sum(line["units"] for line in po["lines"])),
            money(po["total"], po["currency"]),
            orders_served(po),
        )
    return table


def orders_served(po: dict[str, Any]) -> str:
    """How many orders the PO serves, then the first few by name: "3: #1001, #1002, #1007"."""
    served = {s["order_db_id"]: s["order"] for line in po["lines"] for s in line["serves"]}
    if not served:
        return "0"
    names = sorted(served.values())
    shown = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "")
    return f"{len(served)}: {shown}"


def po_lines_table(po: dict[str, Any]) -> Table:
    table = Table("SKU", "supplier SKU", "name", "qty", "pack", "unit cost", "received", "serves")
    for line in po["lines"]:
        table.add_row(
            line["sku"],
            line["supplier_sku"],
            line["name"],
            str(line["quantity"]),
            str(line["pack_size"]),
            money(line["unit_cost"]),
            str(line["received_units"]),
            ", ".join(f"{s['order']} ×{s['quantity']}" for s in line["serves"]),
        )
    return table


def exceptions_table(items: list[dict[str, Any]]) -> Table:
    table = Table(
        "id",
        "kind",
        "order",
        "SKU",
        "PO",
        "what happened",
        "since",
        title=f"{len(items)} exception(s)",
    )
    for e in items:
        table.add_row(
            str(e["id"]),
            e["kind"],
            e["order_name"] or "",
            e["sku"] or "",
            e["po"] or "",
            e["message"],
            e["created_at"].strftime("%Y-%m-%d %H:%M"),
        )
    return table
