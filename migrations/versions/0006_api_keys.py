"""api keys with roles (merchant, processor, support) and processor settlements

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # Rebuilding `merchants` (to drop a column) would trip the foreign keys that point at
        # it; SQLite's documented procedure is to switch them off, outside any transaction.
        op.execute("PRAGMA foreign_keys=OFF")
    api_keys = op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("signing_secret", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index("ix_api_keys_merchant_id", "api_keys", ["merchant_id"])
    # Every merchant's existing key becomes its first merchant-role key; the column goes.
    merchants = sa.table("merchants", sa.column("id"), sa.column("api_key_hash"))
    rows = op.get_bind().execute(sa.select(merchants.c.id, merchants.c.api_key_hash)).all()
    now = datetime.now(UTC)
    op.bulk_insert(api_keys, [
        {"id": merchant_id, "merchant_id": merchant_id, "role": "merchant", "key_hash": key_hash,
         "signing_secret": None, "created_at": now}
        for merchant_id, key_hash in rows
    ])  # fmt: skip
    with op.batch_alter_table("merchants") as batch_op:
        batch_op.drop_column("api_key_hash")
    if sqlite:
        op.execute("PRAGMA foreign_key_check")

    op.create_table(
        "processor_settlements",
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("settlement_id", sa.String(length=200), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("merchant_id", "settlement_id"),
    )


def downgrade() -> None:
    op.drop_table("processor_settlements")
    with op.batch_alter_table("merchants") as batch_op:
        batch_op.add_column(sa.Column("api_key_hash", sa.String(length=64), nullable=True))
    op.drop_index("ix_api_keys_merchant_id", table_name="api_keys")
    op.drop_table("api_keys")
