"""Warehouse stock levels: a CSV snapshot (`sku,on_hand`) replaces the previous one.

Only the shortfall quantity basis reads these figures. Lines waiting in an exception are
planned again afterwards, since new stock may serve them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, delete, select

from tandem.connector.errors import InputError
from tandem.connector.services.suppliers import replan_waiting
from tandem.connector.store import Database
from tandem.connector.store import schema as t

SKU_COLUMNS = ("sku",)
QUANTITY_COLUMNS = ("on_hand", "quantity", "available", "stock")


@dataclass
class StockImport:
    rows: int
    problems: list[str]
    skipped: bool = False


def _parse(path: Path, text: str) -> tuple[dict[str, int], list[str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    reader.fieldnames = header
    sku_col = next((c for c in SKU_COLUMNS if c in header), None)
    qty_col = next((c for c in QUANTITY_COLUMNS if c in header), None)
    if sku_col is None or qty_col is None:
        raise InputError(
            f"{path}:1",
            [f"needs columns sku and on_hand (has {', '.join(header) or 'none'})"],
        )
    levels: dict[str, int] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        sku = (row.get(sku_col) or "").strip()
        raw = (row.get(qty_col) or "").strip()
        if not sku:
            problems.append(f"line {line}: sku is empty")
            continue
        try:
            quantity = int(raw)
        except ValueError:
            problems.append(f"line {line}: {qty_col} {raw!r} is not a whole number (SKU {sku})")
            continue
        if sku in levels:
            problems.append(f"line {line}: SKU {sku} given twice; the later figure is used")
        levels[sku] = quantity
    return levels, problems


def import_stock(
    db: Database, path: Path, now: datetime, *, skip_unchanged: bool = False
) -> StockImport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), [f"cannot read: {exc.strerror or exc}"]) from None
    digest = hashlib.sha256(data).hexdigest()
    if skip_unchanged:
        # Checked before parsing and outside a write: the usual case is an unchanged file.
        with db.read() as conn:
            if _last_digest(conn) == digest:
                return StockImport(0, [], skipped=True)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    levels, problems = _parse(path, text)
    with db.write() as conn:
        conn.execute(delete(t.stock_levels))
        if levels:
            conn.execute(
                t.stock_levels.insert(),
                [{"sku": s, "on_hand": q, "updated_at": now} for s, q in levels.items()],
            )
        conn.execute(
            t.stock_imports.insert().values(
                source=str(path), sha256=digest, rows=len(levels), imported_at=now
            )
        )
        replan_waiting(conn)
    return StockImport(len(levels), problems)


def _last_digest(conn: Connection) -> str | None:
    return conn.execute(
        select(t.stock_imports.c.sha256).order_by(t.stock_imports.c.id.desc()).limit(1)
    ).scalar()
