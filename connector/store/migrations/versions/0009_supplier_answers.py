"""suppliers answer back: each answer recorded once (supplier_answers), each message or file
that brought answers (inbound_items), the expected ship date per PO line, and when a PO was
sent and confirmed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("supplier_id", sa.String(64), nullable=False),
        sa.Column("po_id", sa.Integer(), sa.ForeignKey("purchase_orders.id", ondelete="CASCADE")),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_supplier_answers_po", "supplier_answers", ["po_id"])
    op.create_table(
        "inbound_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(120), nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("processed_at", UTCDateTime),
        sa.UniqueConstraint("source", "key"),
    )
    with op.batch_alter_table("po_lines") as batch:
        batch.add_column(sa.Column("expected_ship_date", sa.Date()))
    with op.batch_alter_table("purchase_orders") as batch:
        batch.add_column(sa.Column("sent_at", UTCDateTime))
        batch.add_column(sa.Column("confirmed_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("purchase_orders") as batch:
        batch.drop_column("confirmed_at")
        batch.drop_column("sent_at")
    with op.batch_alter_table("po_lines") as batch:
        batch.drop_column("expected_ship_date")
    op.drop_table("inbound_items")
    op.drop_index("ix_supplier_answers_po", "supplier_answers")
    op.drop_table("supplier_answers")
