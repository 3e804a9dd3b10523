"""shops apart: the shop each write-back goes to (every shop's worker takes its own), and
the shop whose orders a PO serves (POs do not mix shops unless the supplier consolidates them)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDER_KINDS = ("store.order_status", "store.fulfillment")
SHOP_KINDS = ("store.stock", "store.continue_selling")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("shop", sa.String(255), nullable=True))
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("shop", sa.String(255), nullable=True))
    # Every write-back learns its shop: the one shop the database serves, else its order's
    # shop or the one its payload names (so a write-back put back in the queue later is still
    # taken by its shop's worker).
    conn = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("shop", sa.String),
    )
    kinds = ORDER_KINDS + SHOP_KINDS
    identity = sa.table("store_identity", sa.column("shop", sa.String))
    served = conn.execute(sa.select(identity.c.shop)).scalars().all()
    if len(served) == 1:
        conn.execute(sa.update(outbox).where(outbox.c.kind.in_(kinds)).values(shop=served[0]))
        return
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("shop", sa.String))
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.kind, outbox.c.payload).where(outbox.c.kind.in_(kinds))
    ).all()
    wanted: list[int] = sorted(
        {int(r.payload["order_id"]) for r in rows if (r.payload or {}).get("order_id")}
    )
    shop_of: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        shop_of.update(
            conn.execute(sa.select(orders.c.id, orders.c.shop).where(orders.c.id.in_(part))).all()
        )
    for row in rows:
        payload = row.payload or {}
        if row.kind in ORDER_KINDS:
            shop = shop_of.get(int(payload.get("order_id") or 0))
        else:
            shop = payload.get("shop")
        if shop is not None:
            conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(shop=shop))


def downgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("shop")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("shop")
