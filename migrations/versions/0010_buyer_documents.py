"""what the buyer sees: merchants' bank details, buyers' locale, invoices' hosted-page token

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchants") as batch:
        batch.add_column(sa.Column("iban", sa.String(length=34), nullable=True))
        batch.add_column(sa.Column("bic", sa.String(length=11), nullable=True))
        batch.add_column(sa.Column("legal_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=500), nullable=True))
    with op.batch_alter_table("buyers") as batch:
        batch.add_column(sa.Column("locale", sa.String(length=8), nullable=False, server_default="en"))
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("hosted_token", sa.String(length=64), nullable=True))
    op.create_index("ix_invoices_hosted_token", "invoices", ["hosted_token"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_invoices_hosted_token", table_name="invoices")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("hosted_token")
    with op.batch_alter_table("buyers") as batch:
        batch.drop_column("locale")
    with op.batch_alter_table("merchants") as batch:
        for column in ("address", "legal_name", "bic", "iban"):
            batch.drop_column(column)
