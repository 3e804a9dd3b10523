"""Writing a supplier's new offers as the difference from the ones stored.

A feed that changed in 1 % of its rows costs 1 % of the writes: the stored offers are read
back, compared with the new ones by supplier SKU in polars, and only added, changed and
removed offers are written. `OfferChanges.skus` names the store SKUs they touch, the ones
whose stock figure may have moved. When most offers changed, deleting and inserting them all is
cheaper than updating them one by one, and gives the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete

from tandem.connector.catalogue.rows import OFFER_COLUMNS
from tandem.connector.store import schema as t

BATCH = 50_000  # offers written per round trip; also the progress step
# Above this share of changed or removed offers, a full replace is cheaper than updates.
REPLACE_SHARE = 0.5
KEY = "supplier_sku"
VALUES = tuple(c for c in OFFER_COLUMNS if c != KEY)
_DB_COLUMNS = {"cost_micros": "cost"}  # offers.cost holds the micros (store.types.Money)
_SCHEMA = {
    "sku": pl.String,
    "supplier_sku": pl.String,
    "name": pl.String,
    "cost_micros": pl.Int64,
    "currency": pl.String,
    "stock": pl.Int64,
    "lead_time_days": pl.Int64,
    "pack_size": pl.Int64,
    "min_quantity": pl.Int64,
}

# (rows written so far, rows to write)
Progress = Callable[[int, int], None]


@dataclass
class OfferChanges:
    added: int = 0
    changed: int = 0
    removed: int = 0
    skus: set[str] = field(default_factory=set)  # store SKUs of every offer written

    @property
    def written(self) -> int:
        return self.added + self.changed + self.removed


def write_offers(
    conn: Connection, supplier_id: str, offers: pl.DataFrame, progress: Progress | None = None
) -> OfferChanges:
    """Make `supplier_id`'s stored offers equal to `offers` (OFFER_COLUMNS, one row per
    supplier SKU), writing only what differs."""
    offers = offers.select(OFFER_COLUMNS).cast(_SCHEMA)  # type: ignore[arg-type]
    stored = stored_offers(conn, supplier_id)
    added = offers.join(stored, on=KEY, how="anti")
    removed = stored.join(offers, on=KEY, how="anti")
    both = offers.join(stored, on=KEY, how="inner", suffix="_old")
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_old")) for c in VALUES)
    changed = both.filter(differs)
    result = OfferChanges(added.height, changed.height, removed.height)
    result.skus = set(
        pl.concat([added["sku"], changed["sku"], changed["sku_old"], removed["sku"]])
        .unique()
        .to_list()
    )
    if stored.height and changed.height + removed.height > REPLACE_SHARE * stored.height:
        conn.execute(delete(t.offers).where(t.offers.c.supplier_id == supplier_id))
        insert_offers(conn, supplier_id, offers, progress)
        return result
    raw: Any = conn.connection.driver_connection
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    cursor = raw.cursor()
    try:
        if removed.height:
            cursor.executemany(
                f"DELETE FROM offers WHERE supplier_id = {mark} AND supplier_sku = {mark}",
                [(supplier_id, sku) for sku in removed[KEY]],
            )
        if changed.height:
            sets = ", ".join(f"{_DB_COLUMNS.get(c, c)} = {mark}" for c in VALUES)
            cursor.executemany(
                f"UPDATE offers SET {sets} WHERE supplier_id = {mark} AND supplier_sku = {mark}",
                changed.select(*VALUES, pl.lit(supplier_id), KEY).rows(),
            )
    finally:
        cursor.close()
    insert_offers(conn, supplier_id, added, progress)
    return result


def stored_offers(conn: Connection, supplier_id: str) -> pl.DataFrame:
    """The supplier's offers as stored, in OFFER_COLUMNS (cost as micros)."""
    raw: Any = conn.connection.driver_connection
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    names = ", ".join(_DB_COLUMNS.get(c, c) for c in OFFER_COLUMNS)
    cursor = raw.cursor()
    try:
        cursor.execute(f"SELECT {names} FROM offers WHERE supplier_id = {mark}", (supplier_id,))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def insert_offers(
    conn: Connection, supplier_id: str, offers: pl.DataFrame, progress: Progress | None
) -> None:
    """Bulk insert through the driver: executemany on SQLite, COPY on PostgreSQL. Half a
    million rows through SQLAlchemy's parameter processing would take several times longer."""
    columns = ("supplier_id", "sku", "supplier_sku", "name", "cost", *OFFER_COLUMNS[4:])
    raw: Any = conn.connection.driver_connection
    framed = offers.select(pl.lit(supplier_id).alias("supplier_id"), *OFFER_COLUMNS)
    total = framed.height
    if progress:
        progress(0, total)
    if total == 0:
        return
    if conn.dialect.name == "postgresql":
        # polars writes each batch as CSV text in one call, sparing a Python tuple and a
        # `write_row` per offer. Null cells go out unquoted and empty, which COPY reads as
        # NULL; checked text cells are never empty.
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY offers ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            for start in range(0, total, BATCH):
                batch = framed.slice(start, BATCH)
                copy.write(batch.write_csv(include_header=False))
                if progress:
                    progress(start + batch.height, total)
        return
    statement = (
        f"INSERT INTO offers ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    cursor = raw.cursor()
    try:
        for start in range(0, total, BATCH):
            rows = framed.slice(start, BATCH).rows()
            cursor.executemany(statement, rows)
            if progress:
                progress(start + len(rows), total)
    finally:
        cursor.close()
