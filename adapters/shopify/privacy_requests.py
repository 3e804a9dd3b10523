"""Answering Shopify's mandatory compliance webhooks from their stored deliveries.

- `customers/data_request`: everything Tandem holds about the customer (their orders, the
  customer and addresses on them, drop-ship POs' ship-to, the records that quote them) is
  written as one JSON file into `privacy_folder`, and an exception tells the merchant where it
  is: they pass it on to the customer (Shopify expects their answer within 30 days).
- `customers/redact`: the customer's data is erased from every table, and their exports are
  deleted (`connector.services.privacy`).
- `shop/redact` (Shopify sends it 48 hours after an uninstall): every customer's data of the
  shop is erased, and its exports deleted. Acted on only once the uninstall is confirmed (the
  shop's work is stopped, or Shopify refuses Tandem's token): replayed while the app is
  installed, it would erase a live shop's addresses.

None of this needs a call to the shop, so it goes on after an uninstall revoked Tandem's
token. Once answered, a delivery keeps the request's ids only (not the email or phone).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from tandem.adapters.shopify.errors import ShopifyError
from tandem.adapters.shopify.webhook_checks import (
    CUSTOMER_REDACT,
    DATA_REQUEST,
    PRIVACY_TOPICS,
    SHOP_REDACT,
)
from tandem.connector.configuration import TandemConfig
from tandem.connector.domain import ExceptionKind
from tandem.connector.services import privacy, privacy_export
from tandem.connector.store import Database, identity, shop_stops
from tandem.connector.store import schema as t
from tandem.connector.store.exceptions import NewException, raise_exceptions, resolve_keys

log = logging.getLogger("tandem.shopify")

CUSTOMER_GID = "gid://shopify/Customer/"
ORDER_GID = "gid://shopify/Order/"
# Fields of a request kept once it is answered: ids, no personal data.
KEPT = ("shop_id", "customer_id", "request_id", "orders")

Serves = Callable[[str], Awaitable[bool]]
Installed = Callable[[], Awaitable[bool | str]]


def subject_of(request: dict[str, Any]) -> privacy.Subject:
    """The customer a stored request names, by the ids Tandem stores (GIDs)."""
    customer = request.get("customer_id")
    return privacy.Subject(
        customer_id=f"{CUSTOMER_GID}{customer}" if customer else None,
        email=request.get("email"),
        phone=request.get("phone"),
        order_ids=tuple(f"{ORDER_GID}{o}" for o in request.get("orders") or ()),
    )


def data_request_key(shop: str, request_id: str) -> str:
    return f"privacy_request:{shop}:data_request:{request_id}"


@dataclass(frozen=True)
class Stored:
    id: int
    topic: str
    shop: str
    payload: dict[str, Any] | None
    received_at: datetime


async def answer_privacy_requests(
    db: Database,
    config: TandemConfig,
    shop: str,
    now: datetime,
    *,
    serves: Serves | None = None,
    installed: Installed | None = None,
) -> list[str]:
    """Answer the stored privacy requests; returns what could not be answered now (each
    such request waits for the next pass). `serves` tells whether a shop domain other than
    the ones Tandem knows is this shop's; `installed` asks Shopify whether the app still is
    (both need the shop's token: without them such requests wait)."""
    problems: list[str] = []
    wd = t.webhook_deliveries
    # Another shop served from this database answers its own.
    elsewhere = sorted({store.shop_name for store in config.stores} - {shop})
    with db.read() as conn:
        rows = conn.execute(
            select(wd.c.id, wd.c.topic, wd.c.shop, wd.c.payload, wd.c.received_at)
            .where(
                wd.c.processed_at.is_(None),
                wd.c.topic.in_(sorted(PRIVACY_TOPICS)),
                wd.c.shop.not_in(elsewhere),
            )
            .order_by(wd.c.id)
        ).all()
        names = _known_names(conn, shop)
    folder = privacy_export.export_folder(config, db)
    for row in rows:
        stored = Stored(row.id, row.topic, row.shop, row.payload, row.received_at)
        ours = await _ours(stored.shop, names, serves)
        if ours is not True:
            reason = (
                f"sent for {stored.shop}, but Tandem serves {shop}: ignored"
                if ours is False
                else f"waits: {ours}"
            )
            with db.write() as conn:
                _close(conn, stored, now, reason, None if ours is False else stored.payload)
            problems.append(f"webhook {stored.topic} {reason}")
            continue
        if stored.topic == SHOP_REDACT:
            confirmed = await _uninstall_confirmed(db, shop, installed)
            if confirmed is not True:
                with db.write() as conn:
                    _close(conn, stored, now if confirmed is False else None, _why(confirmed))
                problems.append(f"webhook {SHOP_REDACT} {_why(confirmed)}")
                continue
        try:
            await asyncio.to_thread(_answer, db, config, shop, stored, folder, now)
        except OSError as exc:  # the folder cannot be written: it waits, saying why
            reason = f"waits: {folder} cannot be written ({exc.strerror or exc})"
            with db.write() as conn:
                _close(conn, stored, None, reason)
            problems.append(f"webhook {stored.topic} {reason}")
    return problems


def _known_names(conn: Connection, shop: str) -> set[str]:
    """The shop's names a delivery may give: the configured one and, once claimed, the
    myshopify domain Shopify reported (recorded as "domain (gid)")."""
    names = {shop.lower()}
    found = identity.current(conn, shop)
    if found is not None and found.account:
        names.add(found.account.split(" ", 1)[0].lower())
    return names


async def _ours(domain: str, names: set[str], serves: Serves | None) -> bool | str:
    if domain.lower() in names:
        return True
    if serves is None:
        return "Tandem cannot tell yet whether it is for this shop (the shop was not reached)"
    try:
        return await serves(domain)
    except ShopifyError as exc:
        return f"Tandem cannot tell yet whether it is for this shop: {exc}"


async def _uninstall_confirmed(db: Database, shop: str, installed: Installed | None) -> bool | str:
    """True once the app is known to be gone from the shop; False while Shopify still
    accepts Tandem's token; why not known yet otherwise."""
    with db.read() as conn:
        if shop_stops.shop_stopped(conn, shop):
            return True
    if installed is None:
        return "the uninstall is not confirmed yet (the shop was not reached)"
    answer = await installed()
    if answer is True:
        return False
    if answer is False:
        return True
    return f"the uninstall is not confirmed yet: {answer}"


def _why(confirmed: bool | str) -> str:
    if confirmed is False:
        return (
            "not acted on: Shopify still accepts Tandem's access token, the app is installed"
            " (Shopify sends shop/redact 48 hours after an uninstall)"
        )
    return f"waits: {confirmed}"


def _close(
    conn: Connection,
    stored: Stored,
    done: datetime | None,
    reason: str | None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Record the delivery's outcome: done (`done`) or waiting, with `reason`; an answered or
    ignored request keeps `payload` only."""
    wd = t.webhook_deliveries
    values: dict[str, Any] = {"last_error": reason}
    if done is not None:
        values |= {"processed_at": done, "payload": payload}
    conn.execute(update(wd).where(wd.c.id == stored.id).values(**values))


def _kept(request: dict[str, Any], **answered: Any) -> dict[str, Any]:
    return {**{k: request[k] for k in KEPT if k in request}, "answered": answered}


def _answer(
    db: Database, config: TandemConfig, shop: str, stored: Stored, folder: Path, now: datetime
) -> None:
    request = stored.payload
    if not request:
        _unreadable(db, shop, stored, now)
        return
    if stored.topic == DATA_REQUEST:
        _export(db, shop, stored, request, folder, now)
    elif stored.topic == CUSTOMER_REDACT:
        subject = subject_of(request)
        removed = privacy_export.remove_exports(folder, shop, subject)
        with db.write() as conn:
            db.lock(conn, "planner")
            _exports_gone(conn, shop, removed, now)
            erased = privacy.erase_customer(conn, config, shop, subject, now, CUSTOMER_REDACT)
            kept = _kept(request, orders=erased.orders, cancelled=erased.cancelled)
            _close(conn, stored, now, None, kept)
        log.info(
            "customer data erased (%s): %d orders, %d drop-ship POs, %d records",
            CUSTOMER_REDACT,
            erased.orders,
            erased.purchase_orders,
            erased.quotes,
        )
    else:
        removed = privacy_export.remove_exports(folder, shop)
        with db.write() as conn:
            db.lock(conn, "planner")
            _exports_gone(conn, shop, removed, now)
            erased = privacy.erase_shop(conn, config, shop, now, SHOP_REDACT)
            if not shop_stops.shop_stopped(conn, shop):
                reason = f"Tandem's app was uninstalled from {shop} ({SHOP_REDACT} received)"
                shop_stops.stop_shop(conn, shop, reason, now)
            _close(conn, stored, now, None, _kept(request, orders=erased.orders))
        log.info("shop data erased (%s): %d orders", SHOP_REDACT, erased.orders)


def _export(
    db: Database,
    shop: str,
    stored: Stored,
    request: dict[str, Any],
    folder: Path,
    now: datetime,
) -> None:
    subject = subject_of(request)
    request_id = str(request.get("request_id") or stored.id)
    with db.read() as conn:
        document = privacy_export.gather(
            conn, shop, subject, now, request=f"data request {request_id}"
        )
    path = privacy_export.write_export(folder, shop, f"data-request-{request_id}", document)
    count = len(document["orders"])
    who = subject.customer_id or "named by email or phone"
    with db.write() as conn:
        raise_exceptions(
            conn,
            [
                NewException(
                    ExceptionKind.PRIVACY_REQUEST,
                    data_request_key(shop, request_id),
                    f"A customer of {shop} asked for the data Tandem holds about them (Shopify"
                    f" data request {request_id}, customer {who}): {count} order(s), written to"
                    f" {path}. Send that file to the customer (Shopify expects the merchant's"
                    " answer within 30 days), then resolve this exception.",
                    details={"shop": shop, "request": request_id, "file": str(path)},
                )
            ],
            now,
        )
        _close(conn, stored, now, None, _kept(request, orders=count, file=str(path)))
    log.info("customer data exported (%s %s): %d orders", DATA_REQUEST, request_id, count)


def _exports_gone(conn: Connection, shop: str, removed: list[Path], now: datetime) -> None:
    """The data requests whose export was just deleted need no answer any more."""
    e = t.exceptions
    gone = {str(p) for p in removed}
    keys = [
        row.dedupe_key
        for row in conn.execute(
            select(e.c.dedupe_key, e.c.details).where(
                e.c.status == "open", e.c.kind == ExceptionKind.PRIVACY_REQUEST.value
            )
        )
        if row.dedupe_key.startswith(data_request_key(shop, ""))
        and (row.details or {}).get("file") in gone
    ]
    note = "the customer's data was erased at the store's request; the export was deleted"
    resolve_keys(conn, keys, "tandem", note, now)


def _unreadable(db: Database, shop: str, stored: Stored, now: datetime) -> None:
    """A request stored without what it asks (by a Tandem that did not keep it): say so."""
    with db.write() as conn:
        raise_exceptions(
            conn,
            [
                NewException(
                    ExceptionKind.PRIVACY_REQUEST,
                    f"privacy_request:{shop}:unread:{stored.id}",
                    f"Shopify sent a {stored.topic} request for {shop} on"
                    f" {stored.received_at:%Y-%m-%d}, but what it asked was not kept when it"
                    " arrived: answer it from the customer's page in the Shopify admin.",
                    details={"shop": shop, "topic": stored.topic},
                )
            ],
            now,
        )
        _close(conn, stored, now, "not answered: the request's content was not stored")
