"""Writing a supplier's new offers as the difference from the ones stored.

A feed that changed in 1 % of its rows costs 1 % of the writes: the stored offers are read
back a batch at a time and kept only as supplier SKU, store SKU and a hash of their values,
compared with the new ones by supplier SKU in polars, and only added, changed and removed
offers are written. `OfferChanges.skus` names the store SKUs they touch, the ones whose stock
figure may have moved. When most offers changed, deleting and inserting them all is cheaper
than updating them one by one, and gives the same table.

Half a million offers cross the driver in bulk both ways: read back as JSON arrays built by
SQLite (COPY on PostgreSQL), written through executemany (COPY), never as a Python tuple per
offer held all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, func, select

from tandem.connector.catalogue.rows import OFFER_COLUMNS
from tandem.connector.store import schema as t

BATCH = 50_000  # offers written per round trip; also the progress step
# Above this share of changed or removed offers, a full replace is cheaper than updates.
REPLACE_SHARE = 0.5
# SQLite: writing at least this share of the offers table, its index on the store SKU is
# dropped and built again after (a sort), rather than updated once per offer in no order.
REBUILD_SHARE = 0.25
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
_SKU_INDEX = next(i for i in t.offers.indexes if i.name == "ix_offers_sku")

# (rows written so far, rows to write)
Progress = Callable[[int, int], None]


@dataclass
class OfferChanges:
    added: int = 0
    changed: int = 0
    removed: int = 0
    # Store SKUs of every offer written (with repeats); `skus` makes the set when asked for.
    touched: pl.Series = field(default_factory=lambda: pl.Series(dtype=pl.String), repr=False)

    @property
    def written(self) -> int:
        return self.added + self.changed + self.removed

    @property
    def skus(self) -> set[str]:
        return set(self.touched.to_list())


def write_offers(
    conn: Connection, supplier_id: str, offers: pl.DataFrame, progress: Progress | None = None
) -> OfferChanges:
    """Make `supplier_id`'s stored offers equal to `offers` (OFFER_COLUMNS, one row per
    supplier SKU), writing only what differs."""
    offers = offers.select(OFFER_COLUMNS).cast(_SCHEMA)  # type: ignore[arg-type]
    stored = stored_digests(conn, supplier_id)
    if stored.height == 0:
        with _bulk(conn, offers.height):
            insert_offers(conn, supplier_id, offers, progress)
        return OfferChanges(offers.height, touched=offers["sku"])
    both = offers.select(KEY, _digest()).join(stored, on=KEY, how="full", coalesce=True)
    new, old = pl.col("digest").is_not_null(), pl.col("digest_old").is_not_null()
    removed = both.filter(~new).select(KEY, "sku_old")
    changed = both.filter(new & old & (pl.col("digest") != pl.col("digest_old")))
    added = offers.join(both.filter(~old), on=KEY, how="semi")
    changed = offers.join(changed.select(KEY, "sku_old"), on=KEY)
    del both
    touched = pl.concat([added["sku"], changed["sku"], changed["sku_old"], removed["sku_old"]])
    result = OfferChanges(added.height, changed.height, removed.height, touched)
    if changed.height + removed.height > REPLACE_SHARE * stored.height:
        with _bulk(conn, offers.height):
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
    with _bulk(conn, added.height):
        insert_offers(conn, supplier_id, added, progress)
    return result


def _digest() -> pl.Expr:
    """A 64-bit hash of an offer's values, the same for the same values (in this process):
    equal offers are found without holding the stored ones beside the new."""
    return pl.struct(VALUES).hash().alias("digest")


def stored_digests(conn: Connection, supplier_id: str) -> pl.DataFrame:
    """The supplier's stored offers as supplier SKU, store SKU (`sku_old`) and `digest_old`
    (`_digest` of the values)."""
    parts = [
        batch.select(KEY, pl.col("sku").alias("sku_old"), _digest().alias("digest_old"))
        for batch in stored_offers(conn, supplier_id)
    ]
    if not parts:
        return pl.DataFrame(schema={KEY: pl.String, "sku_old": pl.String, "digest_old": pl.UInt64})
    return pl.concat(parts)


def stored_offers(conn: Connection, supplier_id: str) -> Iterator[pl.DataFrame]:
    """The supplier's offers as stored, in OFFER_COLUMNS (cost as micros), up to BATCH at a
    time by ranges of supplier SKUs."""
    raw: Any = conn.connection.driver_connection
    names = ", ".join(_DB_COLUMNS.get(c, c) for c in OFFER_COLUMNS)
    after = ""  # below every SKU: checked SKUs are never empty
    if conn.dialect.name == "postgresql":
        query = (
            f"SELECT {names} FROM offers WHERE supplier_id = %s AND supplier_sku > %s"
            " ORDER BY supplier_sku LIMIT %s"
        )
        while True:
            text = bytearray()
            with (
                raw.cursor() as cursor,
                cursor.copy(
                    f"COPY ({query}) TO STDOUT (FORMAT csv)", (supplier_id, after, BATCH)
                ) as copy,
            ):
                for chunk in copy:
                    text += chunk
            if not text:
                return
            # Text cells are quoted when they need it; NULL is an empty cell, never a text one.
            batch = pl.read_csv(
                bytes(text), has_header=False, new_columns=list(_SCHEMA), schema=_SCHEMA
            )
            yield batch
            if batch.height < BATCH:
                return
            after = batch[KEY][-1]  # the last in the database's collation
    # One JSON array a column, built in C by SQLite and parsed in Rust by polars: a tuple per
    # offer through fetchall takes twice as long, and hundreds of megabytes for half a million.
    arrays = ", ".join(f"'{c}', json_group_array({_DB_COLUMNS.get(c, c)})" for c in OFFER_COLUMNS)
    lists = {c: pl.List(d) for c, d in _SCHEMA.items()}
    cursor = raw.cursor()
    try:
        while True:
            # The range's last SKU, read from the unique index; none for the last range.
            cursor.execute(
                "SELECT supplier_sku FROM offers WHERE supplier_id = ? AND supplier_sku > ?"
                " ORDER BY supplier_sku LIMIT 1 OFFSET ?",
                (supplier_id, after, BATCH - 1),
            )
            last = cursor.fetchone()
            cursor.execute(
                f"SELECT count(*), CAST(json_object({arrays}) AS BLOB) FROM offers"
                " WHERE supplier_id = ? AND supplier_sku > ?"
                + ("" if last is None else " AND supplier_sku <= ?"),
                (supplier_id, after) + (() if last is None else (last[0],)),
            )
            count, document = cursor.fetchone()
            if count:
                yield pl.read_json(document, schema=lists).explode(pl.all())  # type: ignore[arg-type]
            if last is None:
                return
            after = last[0]
    finally:
        cursor.close()


@contextmanager
def _bulk(conn: Connection, rows: int) -> Iterator[None]:
    """Around writing `rows` offers on SQLite: without the store SKU index when they are many,
    built again (inside the same transaction) once they are in."""
    if conn.dialect.name != "sqlite" or rows == 0:
        yield
        return
    total = conn.execute(select(func.count()).select_from(t.offers)).scalar_one()
    rebuild = rows >= REBUILD_SHARE * total
    if rebuild:
        _SKU_INDEX.drop(conn)
    yield
    if rebuild:
        _SKU_INDEX.create(conn)


def insert_offers(
    conn: Connection, supplier_id: str, offers: pl.DataFrame, progress: Progress | None
) -> None:
    """Bulk insert through the driver: executemany on SQLite, COPY on PostgreSQL, in supplier
    SKU order, the order of the unique index, so each entry goes at its end instead of at a
    random place. Half a million rows through SQLAlchemy's parameter processing would take
    several times longer."""
    columns = ("supplier_id", "sku", "supplier_sku", "name", "cost", *OFFER_COLUMNS[4:])
    raw: Any = conn.connection.driver_connection
    framed = offers.select(pl.lit(supplier_id).alias("supplier_id"), *OFFER_COLUMNS).sort(KEY)
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
            batch = framed.slice(start, BATCH)
            cursor.executemany(statement, batch.iter_rows())  # a few hundred tuples at a time
            if progress:
                progress(start + batch.height, total)
    finally:
        cursor.close()
