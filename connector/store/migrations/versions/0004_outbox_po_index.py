"""outbox: an index on po_id, which every claim and every PO action reads by

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_po_id", "outbox", ["po_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_po_id", table_name="outbox")
