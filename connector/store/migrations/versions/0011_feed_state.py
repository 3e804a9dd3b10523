"""scheduled catalogue feeds: per supplier, what the last fetch of its feed saw (validators
for a conditional request, the content's digest) and since when it fails

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_state",
        sa.Column("supplier_id", sa.String(64), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("checked_at", UTCDateTime),
        sa.Column("arrived_at", UTCDateTime),
        sa.Column("changed_at", UTCDateTime),
        sa.Column("failing_since", UTCDateTime),
        sa.Column("last_error", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("feed_state")
