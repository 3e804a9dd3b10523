"""Privacy requests: what Tandem holds about a customer, exported or erased; a shop's erased.

A store's platform asks on a customer's behalf (send them their data; erase it) or on the
shop's (erase its customers' data once it has left). This service answers by shop and by the
store's own ids of the customer and of their orders (`Subject`); the store's adapter reads the
platform's request and says what to do.

A customer's data sits where Tandem keeps it by design — the order's customer and shipping
address, its lines' custom attributes, a drop-ship PO's ship-to — and wherever free text quotes
it (`privacy_quotes`). The export (`privacy_export`) gathers both into one JSON document for
the merchant to pass on. Erasing blanks the first (with the copies of the messages sent for the
customer's drop-ship POs, where the address is encoded too), erases every quote in the second,
and keeps what holds the POs and the books together: order numbers, SKUs, quantities, money,
the POs themselves. An
order's content hash stays, so the same order read again (unchanged) does not bring the data
back; an order the store changes afterwards is stored as the store then has it.

A drop-ship PO not yet sent cannot go out without the address it ships to, and the retailer
would not want goods sent to someone whose data they were told to erase: it is cancelled
before its address is erased (the supplier never had it, so nothing goes out), and an
exception tells the merchant, who decides about the order. Callers hold the planner's lock
(`Database.lock(conn, "planner")`) while erasing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind, Mode, POStatus
from tandem.connector.services.po_actions import cancel_po
from tandem.connector.services.po_revisions import unsent_first_sending
from tandem.connector.services.privacy_quotes import ERASED, Quotes, erase_quotes
from tandem.connector.store import schema as t
from tandem.connector.store.events import Event, record
from tandem.connector.store.exceptions import NewException, raise_exceptions
from tandem.connector.store.keys import chunks

BATCH = 500
WHO = "privacy request"
# Address parts erased wherever they are quoted, and those erased only where the text is
# about the person's orders (privacy_quotes: strong and weak values).
STRONG_ADDRESS = ("name", "address1", "address2", "phone", "email")
WEAK_ADDRESS = ("company", "city", "zip")
# What an erased drop-ship PO still says of where it went: no person, only the country.
KEPT_ADDRESS = ("country", "country_code")


@dataclass(frozen=True)
class Subject:
    """Whom a request is about, as the store names them: its id of the customer, their
    email and phone, and its ids of orders (`orders.external_id`). Any may be missing."""

    customer_id: str | None = None
    email: str | None = None
    phone: str | None = None
    order_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "email": self.email,
            "phone": self.phone,
            "orders": list(self.order_ids),
        }


@dataclass
class Erasure:
    orders: int = 0  # orders whose customer data was erased
    purchase_orders: int = 0  # drop-ship POs whose ship-to was erased
    cancelled: list[str] = field(default_factory=list)  # unsent drop-ship POs cancelled
    quotes: int = 0  # rows of free text in which quotes were erased


# -- finding a customer's orders ----------------------------------------------------------------


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", value) if isinstance(value, str) else ""


def same_phone(a: Any, b: Any) -> bool:
    """Two phone numbers as people write them ("555-625-1199", "+1 555 625 1199")."""
    x, y = _digits(a), _digits(b)
    if len(x) < 7 or len(y) < 7:
        return False
    return x.endswith(y) or y.endswith(x)


def same_email(a: Any, b: Any) -> bool:
    return (
        isinstance(a, str) and isinstance(b, str) and a.strip().casefold() == b.strip().casefold()
    )


def _is_theirs(row: Any, subject: Subject) -> bool:
    customer = row.customer or {}
    address = row.shipping_address or {}
    if row.external_id in subject.order_ids:
        return True
    if subject.customer_id and customer.get("id") == subject.customer_id:
        return True
    if subject.email and any(
        same_email(subject.email, v) for v in (customer.get("email"), address.get("email"))
    ):
        return True
    return bool(subject.phone and same_phone(subject.phone, address.get("phone")))


def customer_orders(conn: Connection, shop: str, subject: Subject) -> list[int]:
    """The shop's orders that are the subject's: those named, and those whose customer id,
    email or phone is theirs."""
    o = t.orders
    found: list[int] = []
    after = 0
    while True:
        rows = conn.execute(
            select(o.c.id, o.c.external_id, o.c.customer, o.c.shipping_address)
            .where(o.c.shop == shop, o.c.id > after)
            .order_by(o.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return found
        after = rows[-1].id
        found.extend(r.id for r in rows if _is_theirs(r, subject))


def shop_orders(conn: Connection, shop: str) -> list[int]:
    return list(conn.execute(select(t.orders.c.id).where(t.orders.c.shop == shop)).scalars())


def drop_ship_pos(conn: Connection, order_ids: Sequence[int]) -> list[Any]:
    po = t.purchase_orders
    rows: list[Any] = []
    for part in chunks(sorted(order_ids)):
        rows += conn.execute(
            select(po)
            .where(po.c.mode == Mode.DROP_SHIP.value, po.c.order_id.in_(part))
            .order_by(po.c.id)
        ).all()
    return rows


def order_rows(conn: Connection, order_ids: Sequence[int]) -> list[Any]:
    o = t.orders
    rows: list[Any] = []
    for part in chunks(sorted(order_ids)):
        rows += conn.execute(select(o).where(o.c.id.in_(part)).order_by(o.c.id)).all()
    return rows


def person_quotes(subjects: Iterable[Subject], orders: Iterable[Any], pos: Iterable[Any]) -> Quotes:
    strong: list[Any] = []
    weak: list[Any] = []
    for subject in subjects:
        strong += [subject.customer_id, subject.email, subject.phone]
    for order in orders:
        customer = order.customer or {}
        strong += [customer.get("id"), customer.get("email"), customer.get("name")]
        address = order.shipping_address or {}
        strong += [address.get(k) for k in STRONG_ADDRESS]
        weak += [address.get(k) for k in WEAK_ADDRESS]
    for po in pos:
        address = po.ship_to or {}
        strong += [address.get(k) for k in STRONG_ADDRESS]
        weak += [address.get(k) for k in WEAK_ADDRESS]
    return Quotes(strong, weak)


# -- erasing ------------------------------------------------------------------------------------


def erase_customer(
    conn: Connection, config: TandemConfig, shop: str, subject: Subject, now: datetime, why: str
) -> Erasure:
    """Erase the subject's data from every table (their orders: those named and those found
    by their id, email or phone). `why` names the request in what Tandem records."""
    order_ids = customer_orders(conn, shop, subject)
    return _erase(conn, config, order_ids, [subject], now, why, everywhere=False)


def erase_shop(
    conn: Connection, config: TandemConfig, shop: str, now: datetime, why: str
) -> Erasure:
    """Erase the data of every customer of `shop`."""
    return _erase(conn, config, shop_orders(conn, shop), [], now, why, everywhere=True)


def _erase(
    conn: Connection,
    config: TandemConfig,
    order_ids: Sequence[int],
    subjects: Sequence[Subject],
    now: datetime,
    why: str,
    *,
    everywhere: bool,
) -> Erasure:
    result = Erasure()
    orders = order_rows(conn, order_ids)
    pos = drop_ship_pos(conn, order_ids)
    quotes = person_quotes(subjects, orders, pos)
    names = {o.id: o.name for o in orders}
    result.cancelled = _cancel_unsent(conn, config, pos, names, now, why)
    keep = set(config.rules.mode_properties)
    for order in orders:
        customer = order.customer or {}
        conn.execute(
            update(t.orders)
            .where(t.orders.c.id == order.id)
            .values(
                customer={
                    "id": None,
                    "email": None,
                    "name": None,
                    "tags": customer.get("tags") or [],
                },
                shipping_address=None,
                address_key=None,
            )
        )
    _erase_line_attributes(conn, order_ids, keep)
    _erase_sent_copies(conn, [p.id for p in pos])
    for po in pos:
        ship_to = {k: v for k, v in (po.ship_to or {}).items() if k in KEPT_ADDRESS and v}
        group = po.group_key
        if po.ship_to_key and group.endswith("|" + po.ship_to_key):
            group = group[: -len(po.ship_to_key)] + "none"
        conn.execute(
            update(t.purchase_orders)
            .where(t.purchase_orders.c.id == po.id)
            .values(ship_to={"name": ERASED, **ship_to}, ship_to_key="none", group_key=group)
        )
    result.orders, result.purchase_orders = len(orders), len(pos)
    result.quotes = erase_quotes(
        conn, quotes, order_ids, [p.id for p in pos], everywhere=everywhere
    )
    record(
        conn,
        [
            Event(
                "privacy.erased",
                f"Customer data on order {o.name} erased at the store's request ({why})",
                order_id=o.id,
            )
            for o in orders
        ],
        now,
    )
    return result


def _erase_sent_copies(conn: Connection, po_ids: Sequence[int]) -> None:
    """A drop-ship PO's timeline keeps each message as it was sent (`services.sent`): its
    ship-to address is in there encoded as well (quoted-printable text, PDF and CSV
    attachments), where no search finds it, so the copy goes as a whole."""
    e = t.events
    for part in chunks(sorted(po_ids)):
        for row in conn.execute(select(e.c.id, e.c.data).where(e.c.po_id.in_(part))):
            data = row.data or {}
            if data.get("sent") not in (None, ERASED):
                erased = {**data, "sent": ERASED}
                conn.execute(update(e).where(e.c.id == row.id).values(data=erased))


def _erase_line_attributes(conn: Connection, order_ids: Sequence[int], keep: set[str]) -> None:
    """A line's custom attributes may carry anything a customer typed (a gift message, a name
    to engrave); only those that name the fulfilment mode keep their value."""
    ol = t.order_lines
    for part in chunks(sorted(order_ids)):
        for row in conn.execute(select(ol.c.id, ol.c.properties).where(ol.c.order_id.in_(part))):
            properties = row.properties or {}
            erased = {k: (v if k in keep else ERASED) for k, v in properties.items()}
            if erased != properties:
                conn.execute(update(ol).where(ol.c.id == row.id).values(properties=erased))


def _unsent(conn: Connection, po: Any) -> bool:
    """A draft, or a released PO whose first sending the supplier cannot have (never
    attempted, or refused outright). One passed on by hand counts as sent."""
    if po.status == POStatus.DRAFT.value:
        return True
    if po.status != POStatus.RELEASED.value or po.revision > 1:
        return False
    return unsent_first_sending(conn, po.id) is not None


def _cancel_unsent(
    conn: Connection,
    config: TandemConfig,
    pos: Sequence[Any],
    order_names: dict[int, str],
    now: datetime,
    why: str,
) -> list[str]:
    """Cancel each drop-ship PO the supplier does not have yet, telling the merchant."""
    cancelled: list[str] = []
    problems: list[NewException] = []
    for po in pos:
        if not _unsent(conn, po):
            continue
        done = cancel_po(conn, config, po.id, now, WHO)
        cancelled.append(done.number)
        supplier = config.supplier(po.supplier_id)
        order = order_names.get(po.order_id, "?")
        problems.append(
            NewException(
                ExceptionKind.PRIVACY_REQUEST,
                f"privacy_request:cancelled:{po.id}",
                f"{done.number} (drop-ship, {supplier.name if supplier else po.supplier_id}) for"
                f" order {order} was cancelled before it reached the supplier: the customer's"
                f" data was erased at the store's request ({why}), and a drop-ship PO cannot"
                " ship without their address. Decide about the order; Tandem orders nothing"
                " more for it without an address.",
                order_id=po.order_id,
                po_id=po.id,
                supplier_id=po.supplier_id,
                details={"po": done.number, "order": order, "request": why},
            )
        )
    raise_exceptions(conn, problems, now)
    return cancelled
