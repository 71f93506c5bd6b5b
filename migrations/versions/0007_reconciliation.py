"""bank statements: imported entries (matched and the unmatched queue) and buyers' IBANs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("statement_id", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("entry_ref", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("debtor_name", sa.String(length=200), nullable=True),
        sa.Column("debtor_iban", sa.String(length=34), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("remittance", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("matched_by", sa.String(length=16), nullable=True),
        sa.Column("invoice_id", sa.String(length=36), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("merchant_id", "account", "entry_ref"),
    )
    op.create_index(
        "ix_bank_entries_merchant_outcome_created", "bank_entries", ["merchant_id", "outcome", "created_at"]
    )
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("iban", sa.String(length=34), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_column("iban")
    op.drop_index("ix_bank_entries_merchant_outcome_created", table_name="bank_entries")
    op.drop_table("bank_entries")
