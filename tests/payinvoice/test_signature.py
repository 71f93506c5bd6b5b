"""`Payinvoice-Signature`: signed bodies verify; anything altered, stale or forged does not."""

import pytest

from payinvoice.signature import SignatureError, sign, verify

SECRET = "pss_test-secret"
BODY = b'{"amount": "10.00"}'
NOW = 1_800_000_000


def test_a_fresh_signature_of_the_body_verifies() -> None:
    verify(sign(SECRET, NOW, BODY), BODY, SECRET, now=NOW + 10)


def test_one_matching_value_among_several_verifies() -> None:
    header = sign(SECRET, NOW, BODY) + ",v1=" + "0" * 64

    verify(header, BODY, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("header", "body", "secret", "now"),
    [
        (None, BODY, SECRET, NOW),
        ("", BODY, SECRET, NOW),
        ("v1=abc", BODY, SECRET, NOW),
        (f"t={NOW}", BODY, SECRET, NOW),
        (sign(SECRET, NOW, BODY), BODY + b" ", SECRET, NOW),
        (sign(SECRET, NOW, BODY), BODY, "another-secret", NOW),
        (sign(SECRET, NOW, BODY), BODY, SECRET, NOW + 301),
        (sign(SECRET, NOW, BODY), BODY, SECRET, NOW - 301),
        (sign(SECRET, NOW, BODY).replace(f"t={NOW}", f"t={NOW + 1}"), BODY, SECRET, NOW),
    ],
    ids=["none", "empty", "no-timestamp", "no-mac", "altered-body", "other-secret", "stale", "future",
         "moved-timestamp"],
)
def test_anything_else_is_refused(header: str | None, body: bytes, secret: str, now: int) -> None:
    with pytest.raises(SignatureError) as refused:
        verify(header, body, secret, now=now)
    assert secret not in str(refused.value)
