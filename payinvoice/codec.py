"""Payload encryption: an AES-GCM `PayloadCodec` with a versioned keyring, and the one data converter.

Every payload the service hands to Temporal (workflow inputs and results, activity arguments,
update and query values, failure details) is serialized by the default converter, then encrypted
whole by `EncryptionCodec`. Temporal's history holds only ciphertext plus two metadata entries:
`encoding=binary/encrypted` and `encryption-key-id=<id>`. The key id is bound to the ciphertext as
AES-GCM associated data, so a payload cannot be relabelled to another key.

Keys come from the settings (`PAYINVOICE_ENCRYPTION_KEY`, `PAYINVOICE_ENCRYPTION_OLD_KEYS`) as
`SecretStr` and never appear in logs, reprs or error messages; only their ids (the first 8 hex
characters of the key's SHA-256) do. Old keys are kept for decoding only, so rotating the current
key leaves every existing history readable.

The codec encrypts payloads only: workflow ids and search attributes stay in clear, so keep
customer PII out of them.
"""

import base64
import binascii
import dataclasses
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

from payinvoice.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32


class EncryptionKeyError(ValueError):
    """The configured key material is unusable. Raised at startup, never with the key in it."""


def key_id(key: bytes) -> str:
    """The public name of a key: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def parse_key(encoded: str, *, setting: str) -> bytes:
    """Decode one base64 key of exactly 32 bytes, or fail naming the setting (not the value)."""
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise EncryptionKeyError(
            f"{setting} must be the base64 encoding of exactly {KEY_BYTES} random bytes; generate one "
            "with: python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"
        )
    return key


@dataclass(frozen=True)
class Keyring:
    """The key that encrypts (`current_key_id`) and every key that may still decrypt, by id."""

    current_key_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current_key_id not in self.keys:
            raise EncryptionKeyError(f"the current key id {self.current_key_id!r} is not in the keyring")
        for kid, key in self.keys.items():
            if len(key) not in (16, 24, 32):
                raise EncryptionKeyError(f"key {kid!r} is not a valid AES key length")

    @classmethod
    def from_keys(cls, current: bytes, old: Sequence[bytes] = ()) -> "Keyring":
        keys = {key_id(k): k for k in old}
        keys[key_id(current)] = current
        return cls(key_id(current), keys)


class EncryptionCodec(PayloadCodec):
    """Encrypts each whole serialized payload with AES-GCM under the keyring's current key."""

    def __init__(self, keyring: Keyring) -> None:
        super().__init__()
        self._current_key_id = keyring.current_key_id
        self._ciphers = {kid: AESGCM(key) for kid, key in keyring.keys.items()}

    @property
    def current_key_id(self) -> str:
        return self._current_key_id

    def __repr__(self) -> str:
        return f"EncryptionCodec(current_key_id={self._current_key_id!r})"

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        kid = self._current_key_id
        cipher = self._ciphers[kid]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            data = nonce + cipher.encrypt(nonce, payload.SerializeToString(), kid.encode())
            encoded.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: kid.encode()}, data=data)
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)  # never encrypted (e.g. written before encryption was on)
                continue
            kid = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
            cipher = self._ciphers.get(kid)
            if cipher is None:
                raise ValueError(
                    f"payload encrypted with unknown key id {kid!r}; known key ids: "
                    f"{', '.join(sorted(self._ciphers))} (add the old key to PAYINVOICE_ENCRYPTION_OLD_KEYS)"
                )
            if len(payload.data) <= NONCE_BYTES:
                raise ValueError(f"encrypted payload (key id {kid!r}) is truncated")
            nonce, ciphertext = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
            try:
                plaintext = cipher.decrypt(nonce, ciphertext, kid.encode())
            except InvalidTag:
                raise ValueError(
                    f"encrypted payload (key id {kid!r}) failed authentication: tampered or corrupt"
                ) from None
            decoded.append(Payload.FromString(plaintext))
        return decoded


def keyring_from_settings(settings: Settings) -> Keyring | None:
    """The keyring the settings describe, or None when encryption is off (no current key)."""
    if settings.encryption_key is None:
        return None
    current = parse_key(settings.encryption_key.get_secret_value(), setting="PAYINVOICE_ENCRYPTION_KEY")
    old: list[bytes] = []
    if settings.encryption_old_keys is not None:
        for item in settings.encryption_old_keys.get_secret_value().split(","):
            if item.strip():
                old.append(parse_key(item, setting="each key in PAYINVOICE_ENCRYPTION_OLD_KEYS"))
    return Keyring.from_keys(current, old)


def build_data_converter(settings: Settings) -> DataConverter:
    """The converter for every client, worker and replayer: the default one, encrypted when keyed."""
    keyring = keyring_from_settings(settings)
    if keyring is None:
        return DataConverter.default
    return dataclasses.replace(DataConverter.default, payload_codec=EncryptionCodec(keyring))
