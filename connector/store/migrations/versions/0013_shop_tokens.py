"""shop tokens: the Admin API token of a shop reached as an app, encrypted, kept across restarts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-15 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shop_tokens",
        sa.Column("shop", sa.String(255), primary_key=True),
        sa.Column("client_id", sa.String(255), primary_key=True),
        sa.Column("grant_type", sa.String(32), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("obtained_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("refresh_expires_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("shop_tokens")
