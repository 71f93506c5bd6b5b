"""Reading camt.053 statements: both common versions, optional parts missing, and files that are
not statements or attack the parser (entity expansion, external entities) are refused."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payinvoice.reconciliation.camt053 import StatementError, parse_statement
from tests.utils.camt053 import ACCOUNT, SAMPLE, Entry, camt053

NS08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _refused(data: bytes, message: str) -> None:
    with pytest.raises(StatementError, match=message):
        parse_statement(data)


def test_the_sample_statement_reads_as_five_entries() -> None:
    statement = parse_statement(SAMPLE.read_bytes())
    assert statement.statement_id == "STMT-20261104-DE89370400440532013000"
    assert statement.version == "camt.053.001.08"
    assert [e.entry_ref for e in statement.entries] == [f"202611040000173{i}" for i in range(4, 9)]
    assert [e.credit for e in statement.entries] == [True, True, True, False, True]
    first, second, third, _, fifth = statement.entries
    assert (first.amount, first.currency, first.minor) == (Decimal("119.00"), "EUR", 11900)
    assert first.account == ACCOUNT
    assert first.booked_at == datetime(2026, 11, 4, tzinfo=UTC)
    assert first.references == ("RF69INV000001",)
    assert (first.debtor_name, first.debtor_iban) == ("Nordwind Handel GmbH", "DE44500105175407324931")
    assert second.remittance == ("Teilzahlung Rechnung INV-000002, Rest folgt",)
    assert third.debtor_name == "BERGMANN & SOEHNE KG"
    assert fifth.amount == Decimal("75.30")


@pytest.mark.parametrize("version", ["02", "08"])
def test_both_versions_name_the_debtor_and_the_remittance(version: str) -> None:
    data = camt053(
        [Entry("42.50", ref="R1", reference="RF18 5390 0754 7034", remittance=["Invoice", "INV-000007"],
               debtor_name="Ada Buyer", debtor_iban="de44 5001 0517 5407 3249 31")],
        version=version, msg_id="MSG-1",
    )  # fmt: skip
    statement = parse_statement(data)
    assert statement.version == f"camt.053.001.{version}"
    (entry,) = statement.entries
    assert entry.entry_ref == "R1"
    assert entry.references == ("RF18 5390 0754 7034",)
    assert entry.remittance == ("Invoice", "INV-000007")
    assert (entry.debtor_name, entry.debtor_iban) == ("Ada Buyer", "DE44500105175407324931")


def test_an_entry_without_the_optional_parts_still_reads() -> None:
    (entry,) = parse_statement(camt053([Entry("10", booked=None)])).entries
    assert entry.amount == Decimal("10.00")  # with the currency's exponent
    assert entry.booked_at is None
    assert (entry.references, entry.remittance, entry.debtor_name, entry.debtor_iban) == ((), (), None, None)


def test_amounts_carry_their_currencys_exponent() -> None:
    data = camt053([Entry("1500", currency="JPY"), Entry("1.250", currency="KWD")])
    entries = parse_statement(data).entries
    assert [(e.amount, e.minor) for e in entries] == [(Decimal("1500"), 1500), (Decimal("1.250"), 1250)]
    assert str(entries[0].amount) == "1500"


def test_without_a_bank_reference_an_entry_gets_a_stable_one_of_its_content() -> None:
    data = camt053([Entry("10.00", ref=None), Entry("10.00", ref=None), Entry("11.00", ref=None)])
    first = [e.entry_ref for e in parse_statement(data).entries]
    assert first == [e.entry_ref for e in parse_statement(data).entries]  # the same file: the same refs
    assert len(set(first)) == 3  # two identical entries stay two
    assert all(ref.startswith("h-") for ref in first)


def test_the_entry_reference_falls_back_to_ntryref() -> None:
    data = SAMPLE.read_bytes().replace(b"<AcctSvcrRef>2026110400001734</AcctSvcrRef>", b"")
    assert parse_statement(data).entries[0].entry_ref == "1"


def test_a_booking_time_with_an_offset_is_converted_to_utc() -> None:
    day = b"<BookgDt>\n          <Dt>2026-11-04</Dt>"
    data = SAMPLE.read_bytes().replace(day, b"<BookgDt><DtTm>2026-11-04T10:30:00+01:00</DtTm>", 1)
    assert parse_statement(data).entries[0].booked_at == datetime(2026, 11, 4, 9, 30, tzinfo=UTC)


def test_every_statement_of_the_document_is_read_with_its_own_account() -> None:
    data = SAMPLE.read_bytes()
    start, end = data.index(b"<Stmt>"), data.index(b"</Stmt>") + len(b"</Stmt>")
    second = data[start:end].replace(b"DE89370400440532013000", b"NL20INGB0001234567")
    second = second.replace(b"20261104", b"X")
    entries = parse_statement(data[:end] + second + data[end:]).entries
    assert len(entries) == 10
    assert {e.account for e in entries[5:]} == {"NL20INGB0001234567"}


# Refused


def test_malformed_xml_is_refused() -> None:
    _refused(SAMPLE.read_bytes()[:-30], "malformed XML")
    _refused(b"", "malformed XML")


def test_another_iso_message_is_refused() -> None:
    _refused(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>', "not a camt.053")
    _refused(b"<Document><BkToCstmrStmt/></Document>", "not a camt.053")
    _refused(b"<html><body>statement</body></html>", "not a camt.053")


def test_a_document_without_statements_is_refused() -> None:
    _refused(f'<Document xmlns="{NS08}"><BkToCstmrStmt/></Document>'.encode(), "no BkToCstmrStmt/Stmt")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (Entry("10.001"), "more than 2 decimals"),
        (Entry("1e3"), "not a plain decimal"),
        (Entry("0.00"), "greater than 0"),
        (Entry("10.00", currency="XXX"), "not supported"),
    ],
)
def test_an_entry_with_a_bad_amount_is_refused(entry: Entry, message: str) -> None:
    _refused(camt053([Entry("1.00"), entry]), f"entry 2: .*{message}")


def test_an_entry_neither_credit_nor_debit_is_refused() -> None:
    data = camt053([Entry("1.00")]).replace(b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>X</CdtDbtInd>")
    _refused(data, "entry 1: CdtDbtInd")


def test_entity_expansion_is_refused() -> None:
    laughs = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<!DOCTYPE Document [<!ENTITY lol0 "lol">{laughs}]><Document>&lol9;</Document>'
    _refused(bomb.encode(), "DTDs and entities are not allowed")


def test_external_entities_are_refused() -> None:
    attack = SAMPLE.read_bytes().replace(
        b"<Document ", b'<!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Document ', 1
    ).replace(b"Order 5531 thank you", b"&x;")
    _refused(attack, "DTDs and entities are not allowed")


def test_an_external_dtd_is_refused() -> None:
    attack = b'<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://127.0.0.1:1/evil.dtd"><Document/>'
    _refused(attack, "DTDs and entities are not allowed")
