"""order lines: whether the mode is the global default's only (mode_fallback), so a catalogue
that lists the SKU later has the line decided again

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(
            sa.Column("mode_fallback", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Lines decided before this column existed say so in their source.
    order_lines = sa.table(
        "order_lines",
        sa.column("mode_source", sa.String()),
        sa.column("mode_fallback", sa.Boolean()),
    )
    op.execute(
        order_lines.update()
        .where(order_lines.c.mode_source == "global default")
        .values(mode_fallback=sa.true())
    )


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("mode_fallback")
