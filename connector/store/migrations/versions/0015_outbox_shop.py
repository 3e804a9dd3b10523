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
    # Write-backs not done yet learn their shop: an order's, or the one their payload names.
    conn = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("shop", sa.String),
    )
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("shop", sa.String))
    shop_of = dict(conn.execute(sa.select(orders.c.id, orders.c.shop)).all())
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.kind, outbox.c.payload).where(
            outbox.c.kind.in_(ORDER_KINDS + SHOP_KINDS),
            outbox.c.status.in_(("pending", "in_progress")),
        )
    ).all()
    for row in rows:
        payload = row.payload or {}
        shop = (
            shop_of.get(payload.get("order_id")) if row.kind in ORDER_KINDS else payload.get("shop")
        )
        if shop is not None:
            conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(shop=shop))


def downgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("shop")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("shop")
