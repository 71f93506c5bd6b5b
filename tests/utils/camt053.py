"""camt.053 statements made to order, and the shipped sample filled in with a test's invoices."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, tostring

SAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "camt053_sample.xml"
# What the sample quotes, to be replaced by the references of the invoices a test made.
SAMPLE_REFERENCE, SAMPLE_NUMBER, SAMPLE_DATE = "RF69INV000001", "INV-000002", "2026-11-04"
SAMPLE_REFS = ["2026110400001734", "2026110400001735", "2026110400001736", "2026110400001737",
               "2026110400001738"]  # fmt: skip
ACCOUNT = "DE89370400440532013000"


def sample_statement(replacements: Mapping[str, str]) -> bytes:
    """The shipped sample with each key replaced by its value (a tiny template step)."""
    text = SAMPLE.read_text(encoding="utf-8")
    for placeholder, value in replacements.items():
        assert placeholder in text, placeholder
        text = text.replace(placeholder, value)
    return text.encode()


@dataclass
class Entry:
    amount: str
    currency: str = "EUR"
    credit: bool = True
    ref: str | None = field(default_factory=lambda: f"BK{uuid.uuid4().hex[:16].upper()}")
    booked: str | None = "2026-11-20"
    reference: str | None = None  # RF creditor reference (Strd/CdtrRefInf/Ref)
    remittance: Sequence[str] = ()  # Ustrd lines
    debtor_name: str | None = None
    debtor_iban: str | None = None


def camt053(
    entries: Sequence[Entry], *, version: str = "08", msg_id: str | None = None, account: str = ACCOUNT
) -> bytes:
    """A camt.053.001.<version> statement ("02" or "08") of one account with `entries`."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"

    def sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
        child = SubElement(parent, tag, attrs)
        child.text = text
        return child

    def path(parent: Element, tags: str, text: str) -> None:
        for tag in tags.split("/"):
            parent = sub(parent, tag)
        parent.text = text

    root = Element("Document", xmlns=ns)  # children in the default namespace
    report = sub(root, "BkToCstmrStmt")
    header = sub(report, "GrpHdr")
    sub(header, "MsgId", msg_id or f"MSG-{uuid.uuid4().hex[:12]}")
    sub(header, "CreDtTm", "2026-11-21T06:00:00+01:00")
    stmt = sub(report, "Stmt")
    sub(stmt, "Id", f"STMT-{uuid.uuid4().hex[:8]}")
    sub(stmt, "CreDtTm", "2026-11-21T06:00:00+01:00")
    path(stmt, "Acct/Id/IBAN", account)
    for e in entries:
        ntry = sub(stmt, "Ntry")
        sub(ntry, "Amt", e.amount, Ccy=e.currency)
        sub(ntry, "CdtDbtInd", "CRDT" if e.credit else "DBIT")
        if version == "02":
            sub(ntry, "Sts", "BOOK")
        else:
            path(ntry, "Sts/Cd", "BOOK")
        if e.booked:
            path(ntry, "BookgDt/Dt", e.booked)
        if e.ref:
            sub(ntry, "AcctSvcrRef", e.ref)
        tx = sub(sub(ntry, "NtryDtls"), "TxDtls")
        if e.debtor_name or e.debtor_iban:
            parties = sub(tx, "RltdPties")
            if e.debtor_name:
                path(parties, "Dbtr/Nm" if version == "02" else "Dbtr/Pty/Nm", e.debtor_name)
            if e.debtor_iban:
                path(parties, "DbtrAcct/Id/IBAN", e.debtor_iban)
        if e.remittance or e.reference:
            info = sub(tx, "RmtInf")
            for line in e.remittance:
                sub(info, "Ustrd", line)
            if e.reference:
                path(info, "Strd/CdtrRefInf/Ref", e.reference)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root)
