"""The EPC QR payload (EPC069-12, version 002) is built exactly, as pure code."""

import pytest

from payinvoice.epc import EpcError, SepaTransfer, epc_payload

TRANSFER = SepaTransfer(
    name="Widgets GmbH", iban="DE89 3704 0044 0532 0130 00", amount=11900, currency="EUR",
    bic="cobadeffxxx", reference="RF18INV000042",
)


def test_the_payload_has_the_elements_in_order_and_no_trailing_empties() -> None:
    assert epc_payload(TRANSFER).split("\n") == [
        "BCD", "002", "1", "SCT", "COBADEFFXXX", "Widgets GmbH", "DE89370400440532013000", "EUR119.00",
        "", "RF18INV000042",
    ]


def test_the_bic_may_be_empty_and_free_text_stands_in_for_a_missing_reference() -> None:
    payload = epc_payload(SepaTransfer(
        name="  Widgets \n GmbH ", iban="DE89370400440532013000", amount=1, currency="EUR",
        text="Invoice INV-000042",
    ))
    assert payload == (
        "BCD\n002\n1\nSCT\n\nWidgets GmbH\nDE89370400440532013000\nEUR0.01\n\n\nInvoice INV-000042"
    )


def test_a_reference_wins_over_free_text() -> None:
    payload = epc_payload(SepaTransfer(
        name="W", iban="DE89370400440532013000", amount=100, currency="EUR", reference="RF18INV000042",
        text="ignored",
    ))
    assert payload.endswith("EUR1.00\n\nRF18INV000042")


@pytest.mark.parametrize(
    "changes",
    [
        {"currency": "USD"},
        {"amount": 0},
        {"amount": 100_000_000_000},
        {"name": "x" * 71},
        {"name": "   "},
        {"reference": "RF" + "1" * 34},
    ],
)
def test_what_an_epc_code_cannot_carry_is_refused(changes: dict) -> None:
    fields = {**TRANSFER.__dict__, **changes}
    with pytest.raises(EpcError):
        epc_payload(SepaTransfer(**fields))


def test_the_largest_amount_fits() -> None:
    fields = {**TRANSFER.__dict__, "amount": 99_999_999_999}
    assert "EUR999999999.99" in epc_payload(SepaTransfer(**fields))
