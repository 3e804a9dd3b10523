"""Following sent POs at suppliers with a status API: acknowledgements, shipments, refusals.

A shipped PO with tracking numbers is recorded as a shipment (drop-ship: a fulfillment on the
customer's order follows through the outbox). A refusal or a cancellation by the supplier
opens an exception, since the orders it served need another source.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from adapters.suppliers.base import ChannelError
from adapters.suppliers.rest import RestChannel
from connector.configuration import TandemConfig
from connector.configuration.model import RestTransport
from connector.domain import ExceptionKind, POStatus
from connector.errors import TandemError
from connector.services.po_document import build_document
from connector.services.shipments import record_shipment
from connector.store import Database
from connector.store import schema as t
from connector.store.events import Event, record
from connector.store.exceptions import NewException, raise_exceptions

FOLLOWED = (POStatus.SENT.value, POStatus.ACKNOWLEDGED.value)


async def poll_supplier_status(db: Database, config: TandemConfig, now: datetime) -> list[str]:
    """Ask every supplier with a status endpoint about its open POs; what changed, in words."""
    changed: list[str] = []
    po = t.purchase_orders
    for supplier in config.suppliers:
        transport = supplier.transport
        if not isinstance(transport, RestTransport) or transport.status is None:
            continue
        channel = RestChannel(transport, supplier)
        with db.read() as conn:
            rows = conn.execute(
                select(po.c.id, po.c.number, po.c.status, po.c.supplier_reference).where(
                    po.c.supplier_id == supplier.id, po.c.status.in_(FOLLOWED)
                )
            ).all()
        for row in rows:
            with db.read() as conn:
                document = build_document(conn, config, row.id)
            try:
                update_ = await channel.poll_status(document, row.supplier_reference)
            except ChannelError as exc:
                changed.append(f"{row.number}: status not read ({exc})")
                continue
            if update_ is None or update_.status is None:
                continue
            if update_.status == "acknowledged" and row.status == POStatus.SENT.value:
                with db.write() as conn:
                    conn.execute(
                        update(po)
                        .where(po.c.id == row.id)
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
                what = "refused" if update_.status == "rejected" else "cancelled"
                message = (
                    f"{supplier.name} {what} {row.number}"
                    + (f": {update_.message}" if update_.message else "")
                    + ". Its orders need another source: `tandem po cancel` re-plans them."
                )
                with db.write() as conn:
                    conn.execute(
                        update(po)
                        .where(po.c.id == row.id)
                        .values(
                            status=POStatus.REJECTED.value
                            if update_.status == "rejected"
                            else po.c.status,
                            updated_at=now,
                        )
                    )
                    raise_exceptions(
                        conn,
                        [
                            NewException(
                                ExceptionKind.PO_REJECTED,
                                f"po_rejected:{row.id}",
                                message,
                                po_id=row.id,
                                supplier_id=supplier.id,
                            )
                        ],
                        now,
                    )
                changed.append(message)
    return changed
