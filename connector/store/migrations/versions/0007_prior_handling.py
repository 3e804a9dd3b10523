"""orders: what the store already says (prior_handling); order lines: units fulfilled in the
store and the person's "plan anyway" (fence_lifted_at)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("prior_handling", sa.JSON()))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(
            sa.Column(
                "fulfilled_quantity", sa.Integer(), nullable=False, server_default=sa.text("0")
            )
        )
        batch.add_column(sa.Column("fence_lifted_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("fence_lifted_at")
        batch.drop_column("fulfilled_quantity")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("prior_handling")
