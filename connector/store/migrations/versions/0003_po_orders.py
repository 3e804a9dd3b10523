"""po_orders: every order a numbered PO has served

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tandem.connector.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "po_orders",
        sa.Column("po_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", tandem.connector.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_po_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchase_orders.id"],
            name=op.f("fk_po_orders_po_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("po_id", "order_id", name=op.f("pk_po_orders")),
    )
    op.create_index("ix_po_orders_order_id", "po_orders", ["order_id"], unique=False)
    # The orders numbered POs serve today; what they served before is not known any more.
    op.execute(
        """
        INSERT INTO po_orders (po_id, order_id, linked_at)
        SELECT DISTINCT pl.po_id, ol.order_id, po.released_at
        FROM allocations a
        JOIN po_lines pl ON pl.id = a.po_line_id
        JOIN purchase_orders po ON po.id = pl.po_id
        JOIN order_lines ol ON ol.id = a.order_line_id
        WHERE po.number IS NOT NULL AND po.released_at IS NOT NULL
        """
    )


def downgrade() -> None:
    op.drop_index("ix_po_orders_order_id", table_name="po_orders")
    op.drop_table("po_orders")
