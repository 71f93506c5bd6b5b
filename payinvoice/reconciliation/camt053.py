"""ISO 20022 camt.053 (bank-to-customer statement) into plain entries.

Any `camt.053.001.NN` version is read (.02 and .08 are what banks send most); only the parts
reconciliation needs are kept. The XML is parsed by defusedxml with DTDs refused outright, so
entity expansion ("billion laughs") and external entities never run.
"""

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from payinvoice.domain.money import MoneyError, exponent, to_minor

_NAMESPACE = re.compile(r"\{(urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2})\}Document")


class StatementError(ValueError):
    """A file that is not a readable camt.053 statement; the message says why."""


@dataclass(frozen=True)
class StatementEntry:
    """One booked entry (`Ntry`) of a statement. `amount` carries the currency's exponent."""

    entry_ref: str
    account: str  # IBAN (or other id) of the statement's account; "" when the file has none
    amount: Decimal
    currency: str
    credit: bool
    booked_at: datetime | None  # midnight UTC of the booking date (or its exact time if given)
    references: tuple[str, ...] = ()  # structured creditor references (CdtrRefInf/Ref)
    remittance: tuple[str, ...] = ()  # unstructured remittance lines (Ustrd)
    debtor_name: str | None = None
    debtor_iban: str | None = None

    @property
    def minor(self) -> int:
        return to_minor(str(self.amount), self.currency)


@dataclass(frozen=True)
class Statement:
    statement_id: str
    version: str  # e.g. "camt.053.001.08"
    entries: tuple[StatementEntry, ...]


def parse_statement(data: bytes) -> Statement:
    """Read a camt.053 document; anything else raises StatementError with a clear message."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise StatementError("DTDs and entities are not allowed in a statement") from None
    except ParseError as error:
        raise StatementError(f"malformed XML: {error}") from None
    found = _NAMESPACE.fullmatch(root.tag)
    if found is None:
        raise StatementError("not a camt.053 document (root must be a camt.053.001 Document)")
    ns = {"c": found.group(1)}
    report = root.find("c:BkToCstmrStmt", ns)
    statements = report.findall("c:Stmt", ns) if report is not None else []
    if report is None or not statements:
        raise StatementError("not a camt.053 statement: no BkToCstmrStmt/Stmt")
    statement_id = _text(report, "c:GrpHdr/c:MsgId", ns) or _text(statements[0], "c:Id", ns)
    if not statement_id:
        raise StatementError("the statement has no GrpHdr/MsgId nor Stmt/Id")
    entries: list[StatementEntry] = []
    seen: dict[str, int] = {}
    for stmt in statements:
        account = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", ns) or ""
        for ntry in stmt.findall("c:Ntry", ns):
            where = f"entry {len(entries) + 1}"
            entries.append(_entry(ntry, ns, account.replace(" ", "").upper(), where, seen))
    version = found.group(1).rsplit(":", 1)[1]
    return Statement(statement_id=statement_id, version=version, entries=tuple(entries))


def _entry(
    ntry: Element, ns: dict[str, str], account: str, where: str, seen: dict[str, int]
) -> StatementEntry:
    amount_element = ntry.find("c:Amt", ns)
    if amount_element is None or not (amount_element.text or "").strip():
        raise StatementError(f"{where}: no Amt")
    currency = amount_element.get("Ccy", "").strip()
    indicator = _text(ntry, "c:CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(f"{where}: CdtDbtInd must be CRDT or DBIT, not {indicator!r}")
    try:
        minor = to_minor(amount_element.text.strip(), currency, "Amt")  # type: ignore[union-attr]
    except MoneyError as error:
        raise StatementError(f"{where}: {error.message}") from None
    if minor <= 0:
        raise StatementError(f"{where}: Amt must be greater than 0")
    details = ntry.findall("c:NtryDtls/c:TxDtls", ns)
    references = [r for d in details for r in _texts(d, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns)]
    remittance = [u for d in details for u in _texts(d, "c:RmtInf/c:Ustrd", ns)]
    debtor_name = debtor_iban = None
    for d in details:
        # .02 names the debtor in Dbtr/Nm, .08 in Dbtr/Pty/Nm.
        debtor_name = debtor_name or _text(d, "c:RltdPties/c:Dbtr/c:Nm", ns) or _text(
            d, "c:RltdPties/c:Dbtr/c:Pty/c:Nm", ns
        )
        debtor_iban = debtor_iban or _text(d, "c:RltdPties/c:DbtrAcct/c:Id/c:IBAN", ns)
    entry = StatementEntry(
        entry_ref="", account=account, amount=Decimal(minor).scaleb(-exponent(currency)),
        currency=currency, credit=indicator == "CRDT", booked_at=_booked_at(ntry, ns, where),
        references=tuple(references), remittance=tuple(remittance), debtor_name=debtor_name,
        debtor_iban=debtor_iban.replace(" ", "").upper() if debtor_iban else None,
    )
    ref = (
        _text(ntry, "c:AcctSvcrRef", ns) or _text(ntry, "c:NtryRef", ns)
        or next((r for d in details if (r := _text(d, "c:Refs/c:AcctSvcrRef", ns))), None)
    )  # fmt: skip
    return _with_ref(entry, ref, seen)


def _with_ref(entry: StatementEntry, ref: str | None, seen: dict[str, int]) -> StatementEntry:
    """The bank's own reference when it gives one; otherwise a digest of what the entry says,
    numbered by occurrence so two identical unreferenced entries stay two."""
    if ref:
        return replace(entry, entry_ref=ref[:100])
    content = "|".join(
        [entry.account, str(entry.amount), entry.currency, str(entry.credit), str(entry.booked_at),
         *entry.references, *entry.remittance, entry.debtor_name or "", entry.debtor_iban or ""]
    )  # fmt: skip
    digest = hashlib.sha256(content.encode()).hexdigest()[:24]
    seen[digest] = seen.get(digest, 0) + 1
    return replace(entry, entry_ref=f"h-{digest}-{seen[digest]}")


def _booked_at(ntry: Element, ns: dict[str, str], where: str) -> datetime | None:
    day = _text(ntry, "c:BookgDt/c:Dt", ns)
    moment = _text(ntry, "c:BookgDt/c:DtTm", ns)
    try:
        if day:
            return datetime.combine(date.fromisoformat(day[:10]), time(), UTC)
        if moment:
            parsed = datetime.fromisoformat(moment)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise StatementError(f"{where}: BookgDt is not an ISO 8601 date") from None
    return None


def _text(element: Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(path, ns)
    text = (found.text or "").strip() if found is not None else ""
    return " ".join(text.split()) or None


def _texts(element: Element, path: str, ns: dict[str, str]) -> list[str]:
    return [t for found in element.findall(path, ns) if (t := " ".join((found.text or "").split()))]
