"""what e-invoices need: the seller's company data, the buyer's address, VAT id, buyer reference,
electronic address and e-invoice format; and each invoice's bank details frozen at issue

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:30:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("merchants", sa.Column("company", sa.JSON(), nullable=True))
    with op.batch_alter_table("buyers") as batch:
        batch.add_column(sa.Column("address", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("vat_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("buyer_reference", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("electronic_address", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("einvoice_format", sa.String(length=16), nullable=False, server_default="none")
        )
    op.create_table(
        "invoice_bank_details",
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("bic", sa.String(length=11), nullable=True),
        sa.Column("account_holder", sa.String(length=200), nullable=True),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    # Invoices issued before: frozen with the details in force now, what they showed until now.
    numbers = sa.table("invoice_numbers", sa.column("invoice_id"), sa.column("merchant_id"))
    merchants = sa.table(
        "merchants", sa.column("id"), sa.column("iban"), sa.column("bic"), sa.column("legal_name"),
        sa.column("name"),
    )
    frozen = sa.table(
        "invoice_bank_details", sa.column("invoice_id"), sa.column("iban"), sa.column("bic"),
        sa.column("account_holder"), sa.column("frozen_at"),
    )
    now = sa.literal(datetime.now(UTC), sa.DateTime(timezone=True))
    op.execute(frozen.insert().from_select(
        ["invoice_id", "iban", "bic", "account_holder", "frozen_at"],
        sa.select(
            numbers.c.invoice_id, merchants.c.iban, merchants.c.bic,
            sa.func.coalesce(merchants.c.legal_name, merchants.c.name), now,
        ).join(merchants, merchants.c.id == numbers.c.merchant_id),
    ))  # fmt: skip


def downgrade() -> None:
    op.drop_table("invoice_bank_details")
    with op.batch_alter_table("buyers") as batch:
        for column in ("einvoice_format", "electronic_address", "buyer_reference", "vat_id", "address"):
            batch.drop_column(column)
    op.drop_column("merchants", "company")
