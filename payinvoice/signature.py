"""`Payinvoice-Signature`: how payinvoice signs what it sends (credit checks) and checks what
processors send (settlements). The value is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
under a shared secret; a timestamp far from now is refused so that a captured request cannot be
replayed later."""

import hashlib
import hmac

SIGNATURE_HEADER = "Payinvoice-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """Why a signature was refused; the text names no secret."""


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(
    header: str | None, body: bytes, secret: str, now: float, tolerance: float = TOLERANCE_SECONDS
) -> None:
    """Raise SignatureError unless `header` signs exactly `body` with `secret`, made within
    `tolerance` seconds of `now`. Several `v1=` values (a secret being rotated) may be given."""
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    macs: list[str] = []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            macs.append(value)
    if timestamp is None or not macs:
        raise SignatureError(f"{SIGNATURE_HEADER} must be t=<unix seconds>,v1=<hex>")
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"signature timestamp is more than {int(tolerance)} s away from now")
    expected = _mac(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, mac) for mac in macs):
        raise SignatureError("signature does not match the body")
