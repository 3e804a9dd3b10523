"""store identity (which shop this database serves) and the outbox's transmitting mark

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store_identity",
        sa.Column("shop", sa.String(255), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("account", sa.String(255)),
        sa.Column("database_id", sa.String(64), nullable=False),
        sa.Column("first_run_at", UTCDateTime, nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("transmitting_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("transmitting_at")
    op.drop_table("store_identity")
