"""invoice issue and due dates for the aging and DSO reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing invoices get their dates from the stored view (`document`), which has carried the ISO
# `issue_date` and `due_date` strings (or null before issue) since the first revision.
_BACKFILL = {
    "sqlite": (
        "UPDATE invoices SET issue_date = json_extract(document, '$.issue_date'), "
        "due_date = json_extract(document, '$.due_date')"
    ),
    "postgresql": (
        "UPDATE invoices SET issue_date = CAST(document ->> 'issue_date' AS DATE), "
        "due_date = CAST(document ->> 'due_date' AS DATE)"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issue_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.create_index(
            "ix_invoices_merchant_status_due", ["merchant_id", "status", "due_date"], unique=False
        )
        batch_op.create_index("ix_invoices_merchant_issue", ["merchant_id", "issue_date"], unique=False)

    backfill = _BACKFILL.get(op.get_context().dialect.name)
    if backfill is not None:
        op.execute(backfill)


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_merchant_issue")
        batch_op.drop_index("ix_invoices_merchant_status_due")
        batch_op.drop_column("due_date")
        batch_op.drop_column("issue_date")
