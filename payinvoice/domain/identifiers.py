"""Checks of the identifiers people type: email addresses, IBANs and BICs (one rule each, used by
the API, the CLI and the pages alike)."""

import re

from stdnum import bic as stdnum_bic
from stdnum import iban
from stdnum.exceptions import ValidationError

from payinvoice.domain.errors import ErrorType, Refusal

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def checked_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):  # `$` alone would let a trailing newline through
        raise Refusal(ErrorType.INVALID_EMAIL, f"{value!r} is not an email address")
    return value


def checked_iban(value: str | None) -> str | None:
    """The IBAN in its compact form, checked (country format and check digits)."""
    if value is None:
        return None
    try:
        return iban.validate(value)
    except ValidationError:
        raise Refusal(ErrorType.INVALID_IBAN, f"{value!r} is not a valid IBAN") from None


def checked_bic(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return stdnum_bic.validate(value)
    except ValidationError:
        raise Refusal(ErrorType.INVALID_BIC, f"{value!r} is not a valid BIC") from None


def masked_iban(value: str | None) -> str | None:
    """An IBAN as a notice may show it: country, check digits and the last four characters."""
    if value is None:
        return None
    return f"{value[:4]} …{value[-4:]}" if len(value) > 8 else "…" + value[-4:]


def grouped_iban(value: str) -> str:
    """An IBAN as people read it: in groups of four ("DE89 3704 0044 0532 0130 00"). Only where it
    is printed for people: the EPC QR payload and the e-invoices carry the compact form."""
    compact = "".join(value.split())
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
