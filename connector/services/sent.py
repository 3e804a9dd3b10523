"""Recording that a PO revision reached its supplier, and what was sent, on the timeline.

The PO takes the supplier's reference (the first sending's) and becomes `sent`; the exact
message goes into the event's data, for the dashboard; the orders it serves get a status
write-back to the store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, update

from tandem.connector.channels import PurchaseOrderDocument, SendResult
from tandem.connector.configuration import TandemConfig
from tandem.connector.configuration.model import SupplierConfig
from tandem.connector.domain import POStatus
from tandem.connector.errors import NotFound
from tandem.connector.services.store_updates import queue_status_updates
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record

SENT_KEPT = 200_000  # characters of the sent message kept on the timeline


def record_sent(
    conn: Connection,
    config: TandemConfig,
    document: PurchaseOrderDocument,
    result: SendResult,
    supplier: SupplierConfig,
    now: datetime,
    *,
    confirmed_by: str | None = None,
) -> None:
    """The revision reached the supplier: its reference and status on the PO, the message on
    the timeline, a status write-back for the store. `confirmed_by` names the person who
    said it arrived (a send held in doubt), where no message was sent this time."""
    po, po_id = t.purchase_orders, po_of(document)
    values: dict[str, Any] = {"updated_at": now}
    if result.reference and document.kind == "order":
        values["supplier_reference"] = result.reference[:200]
    conn.execute(update(po).where(po.c.id == po_id).values(**values))
    if document.kind == "order":
        conn.execute(
            update(po)
            .where(po.c.id == po_id, po.c.status == POStatus.RELEASED.value)
            .values(status=POStatus.SENT.value, sent_at=now)
        )
    how = supplier.transport.type
    what = {"order": "sent", "change": "change sent", "cancel": "cancellation sent"}.get(
        document.kind, "sent"
    )
    ref = f" ({result.reference})" if result.reference else ""
    found_in = result.details.get("found_in")
    looked = (
        (
            f" — found in {found_in} after an interrupted attempt"
            if found_in
            else " — found at the supplier after an interrupted attempt"
        )
        if result.details.get("resolved_by_lookup")
        else ""
    )
    message = f"{document.number} rev {document.revision} {what} to {supplier.name} by {how}"
    if confirmed_by is not None:
        looked = f" — {supplier.name} has it, said {confirmed_by}"
    timeline(conn, document, f"{message}{ref}{looked}", result, now)
    queue_status_updates(conn, config, [po_id], now)


def po_of(document: PurchaseOrderDocument) -> int:
    """The id of the PO the document is about."""
    if document.po_id is None:  # a test message: there is nothing to record it on
        raise NotFound(f"{document.number} is not a purchase order Tandem keeps")
    return document.po_id


def timeline(
    conn: Connection,
    document: PurchaseOrderDocument,
    message: str,
    result: SendResult | None,
    now: datetime,
) -> None:
    """An event on the PO's timeline; with a result, the message as sent goes with it."""
    data: dict[str, Any] = {"revision": document.revision, "kind": document.kind}
    if result is not None:
        data.update(
            reference=result.reference, sent=result.sent[:SENT_KEPT], details=_plain(result.details)
        )
    record(
        conn,
        [
            Event(
                "po.sent" if result else "po.manual",
                message,
                po_id=po_of(document),
                supplier_id=document.supplier_id,
                data=data,
            )
        ],
        now,
    )


def _plain(value: Any) -> Any:
    """Details as JSON-safe values for the events table."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
