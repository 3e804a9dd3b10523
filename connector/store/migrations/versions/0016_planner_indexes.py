"""planner: PO lines by SKU and PO (the committed and open-PO figures read only recent POs'
lines of the SKUs in play), and POs by supplier and release time (which POs still count
against a supplier's stock figures)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_po_lines_sku_po_id", "po_lines", ["sku", "po_id"], unique=False)
    op.drop_index("ix_po_lines_sku", table_name="po_lines")
    op.create_index(
        "ix_purchase_orders_supplier_released",
        "purchase_orders",
        ["supplier_id", "released_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_purchase_orders_supplier_released", table_name="purchase_orders")
    op.create_index("ix_po_lines_sku", "po_lines", ["sku"], unique=False)
    op.drop_index("ix_po_lines_sku_po_id", table_name="po_lines")
