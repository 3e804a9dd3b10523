"""the supplier portal: links revoked before a moment, per PO or per supplier

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_revocations",
        sa.Column("scope", sa.String(120), primary_key=True),
        sa.Column("revoked_before_ms", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("portal_revocations")
