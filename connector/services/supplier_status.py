"""Following sent POs at suppliers with a status API: acknowledgements, shipments, refusals.

A shipped PO with tracking numbers is recorded as a shipment (drop-ship: a fulfillment on the
customer's order follows through the outbox). Lines the supplier refuses, and a PO it
rejects or cancels, leave the PO: their orders are planned again elsewhere and an exception
says so (services.refusals).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from tandem.connector.channels import ChannelError, ChannelFactory, StatusChannel
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.transports import RestTransport
from tandem.connector.domain import POStatus
from tandem.connector.errors import TandemError
from tandem.connector.services.po_document import build_document
from tandem.connector.services.refusals import end_po, refuse_lines
from tandem.connector.services.shipments import record_shipment
from tandem.connector.services.store_updates import queue_status_updates
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record

FOLLOWED = (POStatus.SENT.value, POStatus.ACKNOWLEDGED.value)


async def poll_supplier_status(
    db: Database, config: TandemConfig, now: datetime, *, channels: ChannelFactory
) -> list[str]:
    """Ask every supplier with a status endpoint about its open POs; what changed, in words."""
    changed: list[str] = []
    po = t.purchase_orders
    for supplier in config.suppliers:
        transport = supplier.transport
        if not isinstance(transport, RestTransport) or transport.status is None:
            continue
        channel = channels(supplier, config)
        if not isinstance(channel, StatusChannel):
            continue
        with db.read() as conn:
            rows = conn.execute(
                select(po.c.id, po.c.number, po.c.status).where(
                    po.c.supplier_id == supplier.id, po.c.status.in_(FOLLOWED)
                )
            ).all()
        for row in rows:
            with db.read() as conn:
                document = build_document(conn, config, row.id)
            try:
                update_ = await channel.poll_status(document)
            except ChannelError as exc:
                changed.append(f"{row.number}: status not read ({exc})")
                continue
            if update_ is None:
                continue
            if update_.rejected_skus:
                with db.write() as conn:
                    changed.extend(
                        refuse_lines(
                            conn,
                            config,
                            row.id,
                            row.number,
                            supplier,
                            update_.rejected_skus,
                            update_.message,
                            now,
                        )
                    )
            if update_.status == "acknowledged" and row.status == POStatus.SENT.value:
                with db.write() as conn:
                    conn.execute(
                        update(po)
                        .where(po.c.id == row.id, po.c.status == POStatus.SENT.value)
                        .values(status=POStatus.ACKNOWLEDGED.value, updated_at=now)
                    )
                    record(
                        conn,
                        [
                            Event(
                                "po.acknowledged",
                                f"{row.number} acknowledged by {supplier.name}",
                                po_id=row.id,
                                supplier_id=supplier.id,
                            )
                        ],
                        now,
                    )
                    queue_status_updates(conn, config, [row.id], now)  # the orders hear it too
                changed.append(f"{row.number} acknowledged")
            elif update_.status == "shipped" and update_.tracking_numbers:
                try:
                    record_shipment(
                        db,
                        config,
                        row.number,
                        update_.tracking_numbers,
                        now,
                        carrier=update_.carrier,
                        tracking_urls=update_.tracking_urls,
                    )
                except TandemError as exc:
                    changed.append(f"{row.number}: shipment not recorded ({exc})")
                    continue
                changed.append(f"{row.number} shipped: {', '.join(update_.tracking_numbers)}")
            elif update_.status in ("rejected", "cancelled"):
                ended = POStatus.REJECTED if update_.status == "rejected" else POStatus.CANCELLED
                with db.write() as conn:
                    db.lock(conn, "planner")  # its orders go back to the planner
                    still = conn.execute(select(po.c.status).where(po.c.id == row.id)).scalar_one()
                    if still not in FOLLOWED:
                        continue
                    changed.append(
                        end_po(
                            conn,
                            config,
                            row.id,
                            row.number,
                            supplier,
                            ended,
                            update_.message,
                            now,
                        )
                    )
    return changed
