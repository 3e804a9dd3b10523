"""dashboard sessions ended by logging out: the digest of each one's id, until it expires

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tandem.connector.store.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_logouts",
        sa.Column("session_digest", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_dashboard_logouts_expires_at", "dashboard_logouts", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_logouts_expires_at", table_name="dashboard_logouts")
    op.drop_table("dashboard_logouts")
