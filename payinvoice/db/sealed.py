"""Secrets at rest: columns sealed with the payload keyring (AES-GCM), transparent to every caller.

A `SealedString` column encrypts on the way into the database and decrypts on the way out, so the
use cases and activities that read `WebhookEndpoint.secret` and the others see plaintext while the
row holds only `sealed:v1:<key id>:<base64 of nonce + ciphertext>`. The associated data names the
column (`table.column`) and the key id, so a sealed value copied into another column, or relabelled
to another key, fails authentication instead of being used.

The keyring belongs to the engine: `payinvoice.db.session.create_engine(..., keyring=...)` registers
it for that engine's dialect, which is what SQLAlchemy hands to the type on every bind and result.
Each process that builds an engine from the settings (the API, the worker, the CLI, the migrations)
passes `keyring_from_settings(settings)`; engines made without one (most tests, the benchmark)
store secrets as they come. That is the payload codec's rule too: no `PAYINVOICE_ENCRYPTION_KEY`,
no encryption, which only development allows (`PAYINVOICE_REQUIRE_SECRETS` makes production refuse
to start without the key), so a keyless dev database keeps working with the same code.

Rotation: the current key seals, every key of the keyring opens; `reseal` rewrites the rows still
in clear or under an old key (the operator CLI's `reseal-secrets`, migration 0015).
A value without the prefix is legacy plaintext, written before sealing was on, and is read as is.
"""

import base64
import binascii
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, MetaData, String, column, select, table, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from payinvoice.codec import NONCE_BYTES, Keyring

PREFIX = "sealed:v1:"
# Room for a sealed 200-character ASCII secret (plaintext + nonce + tag, base64, the prefix and
# the key id: 323 characters) with margin; the plaintext limits stay where the API puts them.
SEALED_LENGTH = 600

_keyrings: "WeakKeyDictionary[Dialect, Keyring]" = WeakKeyDictionary()


class SealedValueError(ValueError):
    """A sealed value that cannot be opened. Names the column and the key id, never a key or value."""


def use_keyring(dialect: Dialect, keyring: Keyring | None) -> None:
    """Seal and open the `SealedString` columns of this dialect's (one engine's) statements with
    `keyring`; None: store as they come and open nothing sealed."""
    if keyring is None:
        _keyrings.pop(dialect, None)
    else:
        _keyrings[dialect] = keyring


def keyring_for(dialect: Dialect) -> Keyring | None:
    return _keyrings.get(dialect)


def _associated_data(key_id: str, context: str) -> bytes:
    return f"{context}|{key_id}".encode()


def seal(keyring: Keyring, plaintext: str, context: str) -> str:
    """`plaintext` sealed under the keyring's current key, bound to `context` (`table.column`)."""
    kid = keyring.current_key_id
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(keyring.keys[kid]).encrypt(nonce, plaintext.encode(), _associated_data(kid, context))
    return f"{PREFIX}{kid}:{base64.b64encode(nonce + ciphertext).decode()}"


def sealed_key_id(stored: str) -> str | None:
    """The key id a stored value is sealed under; None for legacy plaintext."""
    if not stored.startswith(PREFIX):
        return None
    return stored[len(PREFIX) :].partition(":")[0]


def unseal(keyring: Keyring | None, stored: str, context: str) -> str:
    """The plaintext of a stored value: legacy plaintext as is, a sealed one opened with the key of
    its key id. Raises `SealedValueError` for an unknown key id, a moved or tampered value."""
    kid = sealed_key_id(stored)
    if kid is None:
        return stored
    key = keyring.keys.get(kid) if keyring is not None else None
    if key is None:
        known = ", ".join(sorted(keyring.keys)) if keyring else "none (PAYINVOICE_ENCRYPTION_KEY unset)"
        raise SealedValueError(
            f"{context} is sealed under unknown key id {kid!r}; known key ids: {known} "
            "(add the old key to PAYINVOICE_ENCRYPTION_OLD_KEYS)"
        )
    try:
        data = base64.b64decode(stored.rsplit(":", 1)[1], validate=True)
        nonce, ciphertext = data[:NONCE_BYTES], data[NONCE_BYTES:]
        return AESGCM(key).decrypt(nonce, ciphertext, _associated_data(kid, context)).decode()
    except (binascii.Error, ValueError, InvalidTag):
        raise SealedValueError(
            f"{context} (key id {kid!r}) failed authentication: tampered, corrupt or from another column"
        ) from None


class SealedString(TypeDecorator[str]):
    """A string column stored sealed when its engine has a keyring (see the module docstring).

    Only whole values round-trip: a WHERE comparing the column with a value never matches (each
    seal takes a fresh nonce), so secrets are looked up by their row's key, never by value."""

    impl = String
    cache_ok = True

    def __init__(self, length: int = SEALED_LENGTH, *, context: str) -> None:
        super().__init__(length)
        self.length = length
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        keyring = _keyrings.get(dialect)
        if value is None or keyring is None:
            return value
        return seal(keyring, value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return unseal(_keyrings.get(dialect), value, self.context)


@dataclass(frozen=True)
class SealedColumn:
    """Where a sealed secret lives: its table, the table's primary key, and the column."""

    table: str
    key: str
    column: str

    @property
    def context(self) -> str:
        return f"{self.table}.{self.column}"


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    """Every `SealedString` column of the models, for `reseal`."""
    found = []
    for model in metadata.sorted_tables:
        for col in model.columns:
            if isinstance(col.type, SealedString):
                [key] = model.primary_key.columns
                found.append(SealedColumn(model.name, key.name, col.name))
    return found


def _rewrite(
    connection: Connection, columns: Iterable[SealedColumn], change: Callable[[SealedColumn, str], str | None]
) -> dict[str, int]:
    """Applies `change` to every stored value of `columns` (raw, bypassing `SealedString`), writing
    back what it returns unless None; the number of rows rewritten per column. Each update names
    the value it replaces, so a secret changed meanwhile is left to its writer."""
    counts: dict[str, int] = {}
    for sealed in columns:
        raw = table(sealed.table, column(sealed.key, String()), column(sealed.column, String()))
        key, value = raw.c[sealed.key], raw.c[sealed.column]
        rows = connection.execute(select(key, value).where(value.is_not(None)).order_by(key)).all()
        counts[sealed.context] = 0
        for row_key, stored in rows:
            new = change(sealed, stored)
            if new is None:
                continue
            connection.execute(
                update(raw).where(key == row_key, value == stored).values({sealed.column: new})
            )
            counts[sealed.context] += 1
    return counts


def reseal(connection: Connection, keyring: Keyring, columns: Sequence[SealedColumn]) -> dict[str, int]:
    """Seals every value of `columns` not yet under the keyring's current key (legacy plaintext,
    values under an old key); idempotent: a second run rewrites nothing."""

    def change(sealed: SealedColumn, stored: str) -> str | None:
        if sealed_key_id(stored) == keyring.current_key_id:
            return None
        return seal(keyring, unseal(keyring, stored, sealed.context), sealed.context)

    return _rewrite(connection, columns, change)


def unseal_all(
    connection: Connection, keyring: Keyring | None, columns: Sequence[SealedColumn]
) -> dict[str, int]:
    """Writes every sealed value of `columns` back in clear (the downgrade of migration 0015)."""

    def change(sealed: SealedColumn, stored: str) -> str | None:
        if sealed_key_id(stored) is None:
            return None
        return unseal(keyring, stored, sealed.context)

    return _rewrite(connection, columns, change)
