"""what an invoice charges beyond its lines and the buyer's balance: late interest settings,
early-payment discounts, credit note numbers, buyer refunds, buyer-level ledger rows

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-21 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(
            sa.Column("last_credit_note_number", sa.BigInteger(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("late_interest", sa.JSON(), nullable=True))
    with op.batch_alter_table("buyers") as batch:
        batch.add_column(sa.Column("early_payment_discount", sa.JSON(), nullable=True))
    with op.batch_alter_table("ledger_entries") as batch:
        batch.alter_column("invoice_id", existing_type=sa.String(length=36), nullable=True)
    op.create_table(
        "credit_note_numbers",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("credit_note_id", sa.String(length=200), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("invoice_id", "credit_note_id"),
        sa.UniqueConstraint("merchant_id", "sequence"),
    )
    op.create_table(
        "buyer_refunds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("buyer_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["buyers.id"]),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("buyer_id", "reference"),
    )


def downgrade() -> None:
    op.drop_table("buyer_refunds")
    op.drop_table("credit_note_numbers")
    with op.batch_alter_table("ledger_entries") as batch:
        batch.alter_column("invoice_id", existing_type=sa.String(length=36), nullable=False)
    with op.batch_alter_table("buyers") as batch:
        batch.drop_column("early_payment_discount")
    with op.batch_alter_table("merchants") as batch:
        batch.drop_column("late_interest")
        batch.drop_column("last_credit_note_number")
