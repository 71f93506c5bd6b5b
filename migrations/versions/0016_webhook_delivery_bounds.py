"""webhook deliveries that cannot wedge: the resends of each delivery (capped), and the order of
events recorded at the same instant (an endpoint enabled again gets what it missed in order)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "webhook_deliveries", sa.Column("resends", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("webhook_events", sa.Column("seq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_events") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("resends")
