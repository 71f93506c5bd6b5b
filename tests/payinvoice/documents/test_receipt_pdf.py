"""The receipt PDF, printed by the invoice's template when the invoice is paid in full: its
payments (date, method, id, amount), what was refunded and the amount due (none left), in the
buyer's language; invoices and credit notes print without a payments table."""

from datetime import UTC, datetime

from payinvoice.contracts import CreditNote, MarkedPaid, Payment, Refund
from payinvoice.documents import (
    credit_note_pdf_data,
    invoice_pdf_data,
    receipt_filename,
    receipt_pdf_data,
    render_receipt_pdf,
)
from tests.payinvoice.documents.test_fees_and_credit_notes import NOTE
from tests.utils.documents import make_document
from tests.utils.pdf import pdf_text

# Total 173.62: 100.00 by transfer (20.00 of it refunded), then 93.62 by card.
PAYMENTS = [
    Payment("pay-1", 10000, "EUR", datetime(2025, 1, 20, 9, 0, tzinfo=UTC), "bank_transfer"),
    Payment("pi_3NxYz", 9362, "EUR", datetime(2025, 2, 3, 15, 30, tzinfo=UTC), "card"),
]
REFUND = Refund("re-1", "pay-1", 2000, datetime(2025, 1, 25, tzinfo=UTC), "Returned widget")


def paid_document(locale: str = "en", **changes):
    return make_document(
        locale, status="paid", amount_paid=17362, payments=PAYMENTS, refunds=[REFUND], **changes
    )


def test_the_receipt_shows_each_payment_the_refund_and_nothing_left_due() -> None:
    text = pdf_text(render_receipt_pdf(paid_document()))

    assert "Receipt for invoice INV-000042" in text
    assert "Invoice number INV-000042" in text and "Issue date 2025-01-10" in text
    assert "Paid on 2025-02-03" in text  # the last payment's day
    assert "Payment reference RF18INV000042" in text
    assert "Date Method Payment id or reference Amount" in text
    assert "2025-01-20 bank_transfer pay-1 100.00 EUR" in text
    assert "2025-02-03 card pi_3NxYz 93.62 EUR" in text
    assert "Total 173.62 EUR" in text and "Paid 193.62 EUR" in text and "Refunded -20.00 EUR" in text
    assert "Amount due 0.00 EUR" in text
    assert "RECEIVED FROM" in text and "Ada Buyer AG" in text
    assert text.index("pi_3NxYz") < text.index("Total") < text.index("Amount due")


def test_a_german_buyers_receipt_is_in_german() -> None:
    text = pdf_text(render_receipt_pdf(paid_document("de")))

    assert "Zahlungsbestätigung zur Rechnung INV-000042" in text
    assert "Bezahlt am 03.02.2025" in text
    assert "Datum Zahlungsart Zahlungs-ID oder Referenz Betrag" in text
    assert "20.01.2025 bank_transfer pay-1 100,00 €" in text
    assert "03.02.2025 card pi_3NxYz 93,62 €" in text
    assert "Gesamtbetrag 173,62 €" in text and "Erstattet -20,00 €" in text
    assert "Offener Betrag 0,00 €" in text
    assert "Diese Rechnung ist bezahlt. Vielen Dank." in text


def test_what_the_merchant_marked_paid_is_a_row_of_its_own() -> None:
    marked = MarkedPaid(7362, "Cheque 0042", datetime(2025, 2, 5, tzinfo=UTC))
    document = make_document(
        status="paid", amount_paid=17362, payments=PAYMENTS[:1], marked_paid=[marked], paid_by="out_of_band"
    )

    text = pdf_text(render_receipt_pdf(document))

    assert "2025-02-05 Marked as paid Cheque 0042 73.62 EUR" in text
    assert "Paid on 2025-02-05" in text and "Paid 173.62 EUR" in text and "Refunded" not in text


def test_an_overpaid_receipt_shows_the_overpaid_amount() -> None:
    overpaid = [*PAYMENTS, Payment("pay-3", 1000, "EUR", datetime(2025, 2, 4, tzinfo=UTC), "bank_transfer")]
    text = pdf_text(render_receipt_pdf(make_document(status="paid", amount_paid=18362, payments=overpaid)))

    assert "Paid 183.62 EUR" in text and "Overpaid 10.00 EUR" in text and "Amount due 0.00 EUR" in text


def test_the_receipt_is_named_after_the_invoice_and_prints_the_same_bytes_again() -> None:
    assert receipt_filename(paid_document().invoice) == "receipt-INV-000042.pdf"
    assert render_receipt_pdf(paid_document()) == render_receipt_pdf(paid_document())


def test_invoices_and_credit_notes_have_no_payments_table() -> None:
    """Their input, and so their PDF and its archived hash, is what it was before receipts."""
    assert "payments" not in invoice_pdf_data(paid_document())
    assert "payments" not in credit_note_pdf_data(make_document(credit_notes=[NOTE]), NOTE.number)
    assert receipt_pdf_data(paid_document())["lines"] is None


def test_an_invoice_credited_to_zero_has_a_receipt_without_a_payments_table() -> None:
    credited = CreditNote("cn-key-2", "CN-000002", 17362, "Order cancelled", datetime(2025, 2, 1, tzinfo=UTC))
    document = make_document(status="paid", credit_notes=[credited], paid_by="credit_note")

    data = receipt_pdf_data(document)
    text = pdf_text(render_receipt_pdf(document))

    assert data["payments"] is None
    assert "Payment id or reference" not in text and "Paid on" not in text
    assert "Credit note CN-000002 (Order cancelled) -173.62 EUR" in text and "Amount due 0.00 EUR" in text
