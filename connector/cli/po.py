"""`tandem po list|show|receive|release|ship|resend|arrived|cancel`: purchase orders."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from tandem.connector.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    console,
    fail,
    get_config,
    get_database,
    print_json,
    reported,
)
from tandem.connector.cli.output import po_lines_table, po_table, ship_to_text
from tandem.connector.clock import utcnow
from tandem.connector.money import money

# What the commands do is imported by each (issue 14: `tandem --help` needs none of it).
if TYPE_CHECKING:
    from sqlalchemy import Connection

    from tandem.connector.configuration import TandemConfig

app = typer.Typer(help="Purchase orders.", no_args_is_help=True)

PoArgument = Annotated[str, typer.Argument(help="PO number (or draft-<id> for a draft).")]


@app.command("list")
def list_command(
    config_path: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    status: Annotated[str | None, typer.Option(help="Only POs in this status.")] = None,
    supplier: Annotated[str | None, typer.Option(help="Only this supplier's POs.")] = None,
) -> None:
    """List purchase orders with their lines and the orders they serve."""
    from tandem.connector.domain import POStatus
    from tandem.connector.store.views import list_pos

    config = get_config(config_path)
    if status is not None and status not in {s.value for s in POStatus}:
        statuses = ", ".join(s.value for s in POStatus)
        fail(f"no PO status {status!r}; the statuses are: {statuses}", code=2)
    db = get_database(config)
    with db.read() as conn:
        if supplier is not None:
            check_supplier(conn, config, supplier)
        pos = list_pos(conn, status=status, supplier=supplier)
    if as_json:
        print_json(pos)
    else:
        console.print(po_table(pos))


def check_supplier(conn: Connection, config: TandemConfig, supplier: str) -> None:
    """Stop with one line when `supplier` is no supplier Tandem knows: not configured, and no
    POs kept from when it was."""
    from sqlalchemy import select

    from tandem.connector.store import schema as t

    configured = [s.id for s in config.suppliers]
    if supplier in configured:
        return
    known = select(t.purchase_orders.c.id).where(t.purchase_orders.c.supplier_id == supplier)
    if conn.execute(known.limit(1)).first() is not None:
        return
    listed = ", ".join(configured) or "none"
    fail(escape(f"no supplier {supplier!r}; the configured suppliers are: {listed}"))


@app.command("show")
def show_command(
    po: PoArgument, config_path: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False
) -> None:
    """One PO: lines, orders served, changes and its timeline."""
    from tandem.connector.store.views import show_po

    config = get_config(config_path)
    db = get_database(config)
    with reported(), db.read() as conn:
        data = show_po(conn, po)
    if as_json:
        print_json(data)
        return
    title = data["number"] or f"draft-{data['id']}"
    console.print(
        f"[bold]{title}[/bold] · {data['supplier_name']} ({data['supplier']}) ·"
        f" {data['mode'].replace('_', '-')} · {data['status']} · revision {data['revision']}",
        highlight=False,
    )
    console.print(f"ship to: {ship_to_text(data)}", highlight=False)
    console.print(po_lines_table(data))
    console.print(f"total {money(data['total'], data['currency'])}", highlight=False)
    for change in data["changes"]:
        console.print(
            f"rev {change['revision']}: {change['kind']} {change['supplier_sku'] or ''}"
            f" {change['old_quantity'] or ''} → {change['new_quantity'] or ''}"
            f" ({change['reason']})",
            highlight=False,
        )
    for event in data["events"]:
        console.print(f"{event['at']:%Y-%m-%d %H:%M}  {event['message']}", highlight=False)


@app.command("receive")
def receive_command(
    po: PoArgument,
    sku: Annotated[str, typer.Option(help="Store SKU or supplier SKU of the line.")],
    quantity: Annotated[int, typer.Option(help="Supplier units that arrived.")],
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Record goods arriving at the warehouse; the oldest waiting orders get them first."""
    from tandem.connector.services.receive import receive

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        receipt = receive(db, po, sku, quantity, utcnow(), config=config)
    served = ", ".join(f"{name} ×{units}" for name, units in receipt.served) or "no order"
    console.print(
        f"{receipt.po_number}: received {receipt.units} × {receipt.sku} → {served}"
        + (f"; {receipt.surplus} to stock" if receipt.surplus else "")
        + f" (PO now {receipt.po_status})",
        highlight=False,
    )


@app.command("release")
def release_command(po: PoArgument, config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Release a draft now, without waiting for its supplier's cut-off or minimum."""
    from tandem.connector.services.release import release_due
    from tandem.connector.store.views import find_po

    config = get_config(config_path)
    db = get_database(config)
    with reported(), db.write() as conn:
        db.lock(conn, "planner")
        released = release_due(conn, config, utcnow(), force={find_po(conn, po)})
    if not any(r.po_id for r in released):
        console.print("nothing released")
    for r in released:
        console.print(f"released {r.number} to {r.supplier_id}: {r.reason}", highlight=False)


@app.command("ship")
def ship_command(
    po: PoArgument,
    tracking: Annotated[
        list[str], typer.Option("--tracking", help="Tracking number (repeat for several).")
    ],
    carrier: Annotated[str | None, typer.Option(help="Carrier, e.g. 'Royal Mail'.")] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="Tracking URL (one per number).")
    ] = None,
    sku: Annotated[
        list[str] | None,
        typer.Option("--sku", help="Line shipped (store or supplier SKU); pairs with --quantity."),
    ] = None,
    quantity: Annotated[
        list[int] | None, typer.Option("--quantity", help="Supplier units of the --sku before.")
    ] = None,
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Record a shipment with tracking; without --sku the whole rest of the PO shipped."""
    from tandem.connector.services.shipments import ShippedLine, record_shipment

    config = get_config(config_path)
    skus, quantities = sku or [], quantity or []
    if len(skus) != len(quantities):
        fail("give one --quantity for each --sku", code=2)
    db = get_database(config)
    lines = [ShippedLine(s, q) for s, q in zip(skus, quantities, strict=True)]
    with reported():
        shipment = record_shipment(
            db,
            config,
            po,
            tracking,
            utcnow(),
            carrier=carrier,
            tracking_urls=url or (),
            lines=lines,
        )
    shipped = ", ".join(f"{line.quantity} × {line.sku}" for line in shipment.lines)
    console.print(
        f"{shipment.po_number}: shipped {shipped}"
        f" ({'complete' if shipment.complete else 'more to come'}); tracking {', '.join(tracking)}",
        highlight=False,
    )


@app.command("resend")
def resend_command(po: PoArgument, config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Send again what did not reach the supplier (same Message-ID / Idempotency-Key)."""
    from tandem.connector.services import po_actions

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        result = po_actions.resend(db, po, utcnow())
    console.print(result.message, highlight=False)


@app.command("arrived")
def arrived_command(
    po: PoArgument,
    reference: Annotated[
        str | None, typer.Option(help="The supplier's own order id, if it gave one.")
    ] = None,
    config_path: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Record a revision held in doubt (or passed on another way) as received by the supplier."""
    from tandem.connector.services import po_actions

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        result = po_actions.arrived(
            db, config, po, utcnow(), who=getpass.getuser(), supplier_reference=reference
        )
    console.print(result.message, highlight=False)


@app.command("cancel")
def cancel_command(po: PoArgument, config_path: ConfigOption = DEFAULT_CONFIG) -> None:
    """Cancel a PO: its orders are planned again; a supplier who has it is told."""
    from tandem.connector.services import po_actions

    config = get_config(config_path)
    db = get_database(config)
    with reported():
        result = po_actions.cancel(db, config, po, utcnow())
    console.print(result.message, highlight=False)
