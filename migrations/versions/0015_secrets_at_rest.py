"""secrets encrypted at rest: the secret columns widened for the sealed form, existing rows sealed

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from payinvoice.db.sealed import SEALED_LENGTH, SealedColumn, keyring_for, reseal, unseal_all

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The secret columns as this revision knows them, with their length before it and nullability.
COLUMNS = (
    (SealedColumn("credit_check_settings", "merchant_id", "secret"), 200, False),
    (SealedColumn("webhook_endpoints", "id", "secret"), 200, False),
    (SealedColumn("api_keys", "id", "signing_secret"), 100, True),
    (SealedColumn("stripe_integrations", "merchant_id", "webhook_secret"), 200, False),
)


def _resize(to_sealed: bool) -> None:
    # PostgreSQL enforces VARCHAR lengths; SQLite does not, and rebuilding `webhook_endpoints`
    # there (batch mode) would cascade-delete its deliveries: its columns keep their old length.
    if op.get_bind().dialect.name != "postgresql":
        return
    for sealed, length, nullable in COLUMNS:
        old, new = sa.String(length), sa.String(SEALED_LENGTH)
        op.alter_column(
            sealed.table, sealed.column, existing_type=old if to_sealed else new,
            type_=new if to_sealed else old, existing_nullable=nullable,
        )


def upgrade() -> None:
    _resize(to_sealed=True)
    # The keyring of the engine env.py made from the settings: none (a dev database without
    # PAYINVOICE_ENCRYPTION_KEY) leaves the rows in clear until a key is set and
    # `payinvoice reseal-secrets` runs. Offline SQL cannot encrypt: run that command after it.
    if context.is_offline_mode():
        return
    keyring = keyring_for(op.get_bind().dialect)
    if keyring is not None:
        reseal(op.get_bind(), keyring, [sealed for sealed, _, _ in COLUMNS])


def downgrade() -> None:
    # Back in clear first, so the values fit the narrower columns again; a sealed value under a
    # key the settings no longer hold stops the downgrade, naming its column and key id.
    if not context.is_offline_mode():
        unseal_all(op.get_bind(), keyring_for(op.get_bind().dialect), [sealed for sealed, _, _ in COLUMNS])
    _resize(to_sealed=False)
