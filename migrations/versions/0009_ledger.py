"""the ledger: one append-only row per movement of money, backfilled from invoices' payments

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 15:40:00.000000

Existing invoices get one `payment` row per applied payment and one `unapplied_payment` row per
payment kept off a voided invoice, read from the read model's documents, so that the ledger
check agrees with every invoice from the start.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def upgrade() -> None:
    ledger = op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("buyer_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["buyer_id"], ["buyers.id"]),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "kind", "source_id"),
    )
    op.create_index("ix_ledger_entries_buyer_id", "ledger_entries", ["buyer_id"])
    op.create_index("ix_ledger_entries_merchant_invoice", "ledger_entries", ["merchant_id", "invoice_id"])

    invoices = sa.table(
        "invoices", sa.column("id", sa.String), sa.column("merchant_id", sa.String),
        sa.column("buyer_id", sa.String), sa.column("document", sa.JSON),
    )
    now = datetime.now(UTC)
    rows = []
    for invoice in op.get_bind().execute(sa.select(invoices)):
        document = invoice.document or {}
        for key, kind in (("payments", "payment"), ("unapplied_payments", "unapplied_payment")):
            for payment in document.get(key) or []:
                rows.append({
                    "merchant_id": invoice.merchant_id, "buyer_id": invoice.buyer_id,
                    "invoice_id": invoice.id, "kind": kind, "amount": int(payment["amount"]),
                    "currency": payment["currency"], "source": payment.get("method") or "unknown",
                    "source_id": payment["payment_id"], "occurred_at": _instant(payment["paid_at"]),
                    "created_at": now,
                })
    if rows:
        op.bulk_insert(ledger, rows)


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_merchant_invoice", table_name="ledger_entries")
    op.drop_index("ix_ledger_entries_buyer_id", table_name="ledger_entries")
    op.drop_table("ledger_entries")
