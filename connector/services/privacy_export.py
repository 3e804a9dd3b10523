"""Exporting what Tandem holds about a customer: one JSON document (`gather`), written where
only Tandem's user may read it (`write_export`), and deleted when the customer's data is
erased (`remove_exports`). What is gathered is what `privacy` erases: the customer's orders
with the data on them, their drop-ship POs' ship-to, and the records about or quoting them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from tandem.connector.configuration import TandemConfig
from tandem.connector.services.privacy import (
    Subject,
    customer_orders,
    drop_ship_pos,
    order_rows,
    person_quotes,
    same_email,
    same_phone,
)
from tandem.connector.services.privacy_quotes import quoting_rows
from tandem.connector.store import Database
from tandem.connector.store import schema as t
from tandem.connector.store.keys import chunks


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def gather(
    conn: Connection, shop: str, subject: Subject, now: datetime, request: str | None = None
) -> dict[str, Any]:
    """Everything Tandem holds about the subject in `shop`, as one JSON-ready document."""
    order_ids = customer_orders(conn, shop, subject)
    orders = order_rows(conn, order_ids)
    pos = drop_ship_pos(conn, order_ids)
    quotes = person_quotes([subject], orders, pos)
    ol, pl, a, po = t.order_lines, t.po_lines, t.allocations, t.purchase_orders
    lines: dict[int, list[dict[str, Any]]] = {}
    served: dict[int, dict[str, dict[str, Any]]] = {}
    for part in chunks(order_ids):
        for r in conn.execute(select(ol).where(ol.c.order_id.in_(part)).order_by(ol.c.position)):
            lines.setdefault(r.order_id, []).append(
                {
                    "sku": r.sku,
                    "title": r.title,
                    "quantity": r.quantity,
                    "price": r.price,
                    "properties": r.properties,
                }
            )
        for r in conn.execute(
            select(ol.c.order_id, po.c.id, po.c.number, po.c.supplier_id, po.c.mode, po.c.status)
            .join(a, a.c.order_line_id == ol.c.id)
            .join(pl, pl.c.id == a.c.po_line_id)
            .join(po, po.c.id == pl.c.po_id)
            .where(ol.c.order_id.in_(part))
        ):
            entry = {"supplier": r.supplier_id, "mode": r.mode, "status": r.status}
            served.setdefault(r.order_id, {})[r.number or f"draft-{r.id}"] = entry
    ship_to = {p.order_id: p.ship_to for p in pos if p.ship_to}
    document: dict[str, Any] = _plain(
        {
            "shop": shop,
            "request": request,
            "generated_at": now,
            "subject": subject.as_dict(),
            "orders": [
                {
                    "id": o.external_id,
                    "name": o.name,
                    "created_at": o.created_at,
                    "financial_status": o.financial_status,
                    "cancelled_at": o.cancelled_at,
                    "currency": o.currency,
                    "customer": o.customer,
                    "shipping_address": o.shipping_address,
                    "lines": lines.get(o.id, []),
                    "purchase_orders": [
                        {"number": number, **entry}
                        for number, entry in sorted(served.get(o.id, {}).items())
                    ],
                    "drop_ship_address": ship_to.get(o.id),
                }
                for o in orders
            ],
            # Tandem's records about these orders and their drop-ship POs, and any other
            # record that quotes the customer: timeline, exceptions, messages to suppliers
            # and their answers.
            "records": quoting_rows(conn, quotes, order_ids, [p.id for p in pos]),
        }
    )
    return document


def export_folder(config: TandemConfig, db: Database) -> Path:
    """`privacy_folder`; one still relative (a configuration made without a file) is taken
    beside the SQLite database file, else in the current folder."""
    folder = config.privacy_folder
    if folder.is_absolute():
        return folder
    database = db.engine.url.database
    if db.is_sqlite and database and database != ":memory:" and not database.startswith("file:"):
        return Path(database).resolve().parent / folder
    return Path.cwd() / folder


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "_"


def export_path(folder: Path, shop: str, request: str) -> Path:
    return folder / f"{_safe(shop)}--{_safe(request)}.json"


def write_export(folder: Path, shop: str, request: str, document: dict[str, Any]) -> Path:
    """Write the export where only Tandem's user may read it (written whole, or not at all);
    the same request written again replaces it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = export_path(folder, shop, request)
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False, indent=2)
            file.write("\n")
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return path


def remove_exports(folder: Path, shop: str, subject: Subject | None = None) -> list[Path]:
    """Delete the shop's exports (only the subject's, when given): what was exported for a
    customer is theirs too."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.glob(f"{_safe(shop)}--*.json")):
        if subject is not None:
            try:
                found = json.loads(path.read_text(encoding="utf-8")).get("subject") or {}
            except (OSError, ValueError, AttributeError):
                continue  # not an export Tandem wrote
            if not _same_subject(subject, found):
                continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _same_subject(subject: Subject, found: dict[str, Any]) -> bool:
    if subject.customer_id and found.get("customer_id") == subject.customer_id:
        return True
    if subject.email and same_email(subject.email, found.get("email")):
        return True
    if subject.phone and same_phone(subject.phone, found.get("phone")):
        return True
    return bool(set(subject.order_ids) & set(found.get("orders") or ()))
