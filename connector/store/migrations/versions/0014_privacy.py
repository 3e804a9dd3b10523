"""privacy: what a privacy request says (kept on its webhook delivery until it is answered),
and the shops whose work is stopped (the app uninstalled)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-16 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    op.create_table(
        "shop_stops",
        sa.Column("shop", sa.String(255), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("stopped_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shop_stops")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("payload")
