"""reminder ladders: the merchant's versions and a buyer's own ladder

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dunning_ladders",
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("merchant_id", "version"),
    )
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dunning_ladder", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_column("dunning_ladder")
    op.drop_table("dunning_ladders")
