"""The payload codec on its own: no server, no database."""

import base64
import os

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from payinvoice.codec import (
    EncryptionCodec,
    EncryptionKeyError,
    Keyring,
    build_data_converter,
    key_id,
    keyring_from_settings,
)
from payinvoice.settings import Settings


def _new_key() -> bytes:
    return os.urandom(32)


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _settings(**values: object) -> Settings:
    # Explicit values, so that a key in the environment running the tests changes nothing here.
    return Settings(**{"encryption_key": None, "encryption_old_keys": None, **values})


def _payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'{{"buyer": "{text}"}}'.encode())


async def test_round_trip_restores_every_payload_exactly() -> None:
    codec = EncryptionCodec(Keyring.from_keys(_new_key()))
    payloads = [_payload("Ada Buyer"), Payload(metadata={"encoding": b"binary/null"}), _payload("x" * 5000)]

    decoded = await codec.decode(await codec.encode(payloads))

    assert decoded == payloads


async def test_encoded_payload_carries_no_plaintext_and_names_its_key() -> None:
    key = _new_key()
    codec = EncryptionCodec(Keyring.from_keys(key))

    [encoded] = await codec.encode([_payload("Ada Buyer")])

    assert b"Ada Buyer" not in encoded.SerializeToString()
    assert b"json/plain" not in encoded.SerializeToString()
    assert dict(encoded.metadata) == {
        "encoding": b"binary/encrypted",
        "encryption-key-id": key_id(key).encode(),
    }
    # A fresh nonce each time: the same payload never encrypts to the same bytes.
    [again] = await codec.encode([_payload("Ada Buyer")])
    assert again.data != encoded.data


async def test_unknown_key_id_fails_loudly() -> None:
    [encoded] = await EncryptionCodec(Keyring.from_keys(_new_key())).encode([_payload("Ada Buyer")])

    with pytest.raises(ValueError, match="unknown key id"):
        await EncryptionCodec(Keyring.from_keys(_new_key())).decode([encoded])


async def test_tampered_data_fails_authentication() -> None:
    codec = EncryptionCodec(Keyring.from_keys(_new_key()))
    [encoded] = await codec.encode([_payload("Ada Buyer")])
    tampered = Payload()
    tampered.CopyFrom(encoded)
    tampered.data = encoded.data[:-1] + bytes([encoded.data[-1] ^ 1])

    with pytest.raises(ValueError, match="failed authentication"):
        await codec.decode([tampered])


async def test_key_id_is_bound_to_the_ciphertext() -> None:
    """Relabelling a payload with another known key id does not get it decrypted."""
    old, new = _new_key(), _new_key()
    codec = EncryptionCodec(Keyring.from_keys(new, [old]))
    [encoded] = await codec.encode([_payload("Ada Buyer")])
    relabelled = Payload()
    relabelled.CopyFrom(encoded)
    relabelled.metadata["encryption-key-id"] = key_id(old).encode()

    with pytest.raises(ValueError, match="failed authentication"):
        await codec.decode([relabelled])


async def test_rotation_keeps_payloads_under_an_old_key_readable() -> None:
    old, new = _new_key(), _new_key()
    [under_old] = await EncryptionCodec(Keyring.from_keys(old)).encode([_payload("Ada Buyer")])
    rotated = EncryptionCodec(Keyring.from_keys(new, [old]))

    assert await rotated.decode([under_old]) == [_payload("Ada Buyer")]
    [under_new] = await rotated.encode([_payload("Ada Buyer")])
    assert under_new.metadata["encryption-key-id"] == key_id(new).encode()


async def test_unencrypted_payloads_pass_through() -> None:
    codec = EncryptionCodec(Keyring.from_keys(_new_key()))
    plain = [_payload("written before encryption"), Payload(metadata={"encoding": b"binary/null"})]

    assert await codec.decode(plain) == plain


def test_keyring_from_settings_takes_the_current_and_the_old_keys() -> None:
    current, old1, old2 = _new_key(), _new_key(), _new_key()

    keyring = keyring_from_settings(
        _settings(encryption_key=_b64(current), encryption_old_keys=f"{_b64(old1)}, {_b64(old2)},")
    )

    assert keyring is not None
    assert keyring.current_key_id == key_id(current)
    assert len(keyring.current_key_id) == 8
    assert dict(keyring.keys) == {key_id(current): current, key_id(old1): old1, key_id(old2): old2}
    assert base64.b64encode(current).decode() not in repr(keyring)
    assert keyring_from_settings(_settings()) is None


@pytest.mark.parametrize(
    "bad",
    [
        "not base64 at all!",
        base64.b64encode(b"too short").decode(),
        base64.b64encode(os.urandom(31)).decode(),
    ],
    ids=["not-base64", "too-short", "31-bytes"],  # stable ids: parallel runs collect the same tests
)
def test_bad_key_material_is_a_clear_startup_error(bad: str) -> None:
    with pytest.raises(EncryptionKeyError, match="PAYINVOICE_ENCRYPTION_KEY must be the base64 encoding of"):
        keyring_from_settings(_settings(encryption_key=bad))
    with pytest.raises(EncryptionKeyError, match="PAYINVOICE_ENCRYPTION_OLD_KEYS") as raised:
        keyring_from_settings(_settings(encryption_key=_b64(_new_key()), encryption_old_keys=bad))
    assert bad not in str(raised.value)


def test_keys_are_secret_in_the_settings() -> None:
    key = _b64(_new_key())
    settings = _settings(encryption_key=key, encryption_old_keys=key)

    assert isinstance(settings.encryption_key, SecretStr)
    assert key not in repr(settings) and key not in str(settings.model_dump())


async def test_build_data_converter_without_a_key_is_the_plain_default() -> None:
    assert build_data_converter(_settings()) is DataConverter.default


async def test_build_data_converter_with_a_key_encrypts_and_decrypts() -> None:
    key = _new_key()
    converter = build_data_converter(_settings(encryption_key=_b64(key)))

    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.payload_converter_class is DataConverter.default.payload_converter_class
    [encoded] = await converter.encode([{"buyer": "Ada Buyer", "total": 42840}])
    assert encoded.metadata["encryption-key-id"] == key_id(key).encode()
    assert b"Ada Buyer" not in encoded.data
    assert await converter.decode([encoded], [dict]) == [{"buyer": "Ada Buyer", "total": 42840}]
