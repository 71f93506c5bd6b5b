"""ISO 11649 structured creditor references ("RF" + two check digits + up to 21 characters)."""


def _digits(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


def creditor_reference(body: str) -> str:
    """Build the RF reference for an alphanumeric body, e.g. an invoice number."""
    cleaned = "".join(ch for ch in body.upper() if ch.isalnum())
    if not cleaned or len(cleaned) > 21:
        raise ValueError("reference body must have 1 to 21 alphanumeric characters")
    check = 98 - _digits(cleaned + "RF00") % 97
    return f"RF{check:02d}{cleaned}"


def is_valid_creditor_reference(reference: str) -> bool:
    ref = reference.replace(" ", "").upper()
    if not 5 <= len(ref) <= 25 or not ref.startswith("RF") or not ref[2:4].isdigit():
        return False
    if not (ref.isascii() and ref.isalnum()):
        return False
    return _digits(ref[4:] + ref[:4]) % 97 == 1


INVOICE_PREFIX = "INV"


def invoice_number(sequence: int) -> str:
    return f"{INVOICE_PREFIX}-{sequence:06d}"


CREDIT_NOTE_PREFIX = "CN"


def credit_note_number(sequence: int) -> str:
    return f"{CREDIT_NOTE_PREFIX}-{sequence:06d}"


def invoice_number_from_reference(reference: str) -> str | None:
    """The invoice number a valid RF reference of ours was built from (`RF..INV000123` ->
    `INV-000123`), or None for a reference that is invalid or not one of ours."""
    if not is_valid_creditor_reference(reference):
        return None
    body = reference.replace(" ", "").upper()[4:]
    digits = body[len(INVOICE_PREFIX) :]
    if not body.startswith(INVOICE_PREFIX) or not digits.isdigit() or len(digits) < 6:
        return None
    return invoice_number(int(digits))
