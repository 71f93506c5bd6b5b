"""How long a hosted page's link lives after the invoice is paid or voided."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from payinvoice.contracts import SYSTEM, InvoiceEvent, InvoiceView
from payinvoice.domain.status import InvoiceStatus
from payinvoice.hosted_links import link_expired, settled_at
from tests.utils.documents import make_document

PAID_AT = datetime(2025, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(seconds=86400)


def invoice(status: InvoiceStatus, *events: InvoiceEvent) -> InvoiceView:
    return replace(make_document().invoice, status=status, events=list(events), day_seconds=86400.0)


def test_a_paid_invoice_is_settled_when_it_was_last_paid() -> None:
    refunded_then_paid = invoice(
        InvoiceStatus.PAID, InvoiceEvent(PAID_AT - DAY, "paid", SYSTEM),
        InvoiceEvent(PAID_AT - DAY / 2, "refunded", SYSTEM), InvoiceEvent(PAID_AT, "paid", SYSTEM),
    )

    assert settled_at(refunded_then_paid) == PAID_AT


def test_an_open_invoice_is_not_settled_whatever_its_history() -> None:
    reopened = invoice(InvoiceStatus.OPEN, InvoiceEvent(PAID_AT, "paid", SYSTEM))

    assert settled_at(reopened) is None
    assert not link_expired(reopened, 0, PAID_AT + 1000 * DAY)


def test_the_link_expires_its_days_after_the_invoice_was_voided() -> None:
    voided = invoice(InvoiceStatus.VOID, InvoiceEvent(PAID_AT, "voided", SYSTEM))

    assert not link_expired(voided, 90, PAID_AT + 90 * DAY - timedelta(seconds=1))
    assert link_expired(voided, 90, PAID_AT + 90 * DAY)


def test_the_links_days_are_the_invoices_own() -> None:
    short_days = replace(invoice(InvoiceStatus.PAID, InvoiceEvent(PAID_AT, "paid", SYSTEM)), day_seconds=1.0)

    assert link_expired(short_days, 90, PAID_AT + timedelta(seconds=90))
