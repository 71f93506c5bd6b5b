"""The JSON of invoices and buyers exactly as the API answers it; webhook events carry the same."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payinvoice.balances import balance_of
from payinvoice.contracts import InvoiceView, invoice_workflow_id, to_document
from payinvoice.contracts.schemas import (
    BuyerOut,
    Credit,
    EarlyPaymentDiscountIO,
    ElectronicAddressIO,
    InvoiceOut,
    PaymentRecordOut,
    PostalAddressIO,
)
from payinvoice.db.models import Buyer, Invoice
from payinvoice.documents import hosted_invoice_url
from payinvoice.domain.discount import discount_amount
from payinvoice.domain.instalments import allocate
from payinvoice.domain.lines import PricedLine
from payinvoice.domain.money import from_minor
from payinvoice.domain.status import PAYABLE, InvoiceStatus
from payinvoice.ladders import buyer_ladder_io


def invoice_out(view: InvoiceView, public_url: str) -> InvoiceOut:
    """The invoice JSON; `public_url` (the settings') makes `hosted_invoice_url` and `pdf_url`
    absolute, for shop backends, webhooks and the CLI alike."""
    money = lambda minor: from_minor(minor, view.currency)  # noqa: E731
    document = to_document(view)
    document["lines"] = _lines(document["lines"], view.lines, money)
    for key, paid_list in (("payments", view.payments), ("unapplied_payments", view.unapplied_payments)):
        for payment, paid in zip(document[key], paid_list, strict=True):
            payment["amount"] = from_minor(paid.amount, paid.currency)
    for key in ("refunds", "fees", "credit_notes", "marked_paid"):
        for item in document[key]:
            item["amount"] = money(item["amount"])
    for note, credit_note in zip(document["credit_notes"], view.credit_notes, strict=True):
        note["lines"] = _lines(note["lines"], credit_note.lines, money)
    if view.promise is not None:
        document["promise"]["amount"] = money(view.promise.amount)
    if view.decision is not None:
        decision = view.decision
        document["decision"].update(
            limit=money(decision.limit), exposure=money(decision.exposure), amount=money(decision.amount)
        )
    document.update(
        id=view.invoice_id,
        subtotal=money(view.subtotal),
        tax_total=money(view.tax_total),
        total=money(view.total),
        amount_paid=money(view.amount_paid),
        amount_due=money(view.amount_due()),
        overpaid_amount=money(view.overpaid()),
        charged=money(view.charged()),
        discount=money(view.discount),
        discounted_amount=money(_discounted(view)) if _discounted(view) is not None else None,
        credited_to_balance=money(view.to_balance),
        workflow_id=invoice_workflow_id(view.invoice_id),
        hosted_invoice_url=hosted_invoice_url(public_url, view.hosted_token),
        pdf_url=f"{public_url.rstrip('/')}/v1/invoices/{view.invoice_id}/pdf" if view.number else None,
    )
    document.pop("late_interest", None)
    document["instalments"] = _instalments(view, money)
    for key in ("paid_before_plan", "overdue_instalments"):
        document.pop(key, None)
    return InvoiceOut.model_validate(document)


def _lines(
    documents: list[dict[str, Any]], lines: list[PricedLine], money: Callable[[int], str]
) -> list[dict[str, Any]]:
    for line, priced in zip(documents, lines, strict=True):
        line.update(line.pop("line"), unit_price=money(priced.line.unit_price))
        line.update(line_total=money(priced.line_total), tax_amount=money(priced.tax_amount))
    return documents


def _instalments(view: InvoiceView, money: Callable[[int], str]) -> list[dict[str, Any]]:
    """The plan, each instalment with what was paid towards it (payments since the plan fill
    them oldest first) and whether it is paid, still to come or past its due date unpaid."""
    shares = allocate(view.instalments, view.amount_paid - view.paid_before_plan)
    parts = []
    for instalment, paid in zip(view.instalments, shares, strict=True):
        if paid >= instalment.amount or view.status == InvoiceStatus.PAID:
            status = "paid"
        else:
            status = "overdue" if instalment.number in view.overdue_instalments else "due"
        parts.append({
            "number": instalment.number, "due_date": instalment.due_date, "amount": money(instalment.amount),
            "paid": money(paid), "status": status,
        })
    return parts


def _discounted(view: InvoiceView) -> int | None:
    """What settles the invoice while its early-payment discount is on offer."""
    offer = view.early_payment_discount
    if offer is None or view.discount or view.status not in PAYABLE:
        return None
    return max(view.amount_due() - discount_amount(view.total, offer), 0)


async def buyer_out(session: AsyncSession, buyer: Buyer) -> BuyerOut:
    def money(minor: int) -> str:
        return from_minor(minor, buyer.currency)

    overdue = await session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_due), 0)).where(
            Invoice.buyer_id == buyer.id,
            Invoice.status.in_([InvoiceStatus.OVERDUE, InvoiceStatus.UNCOLLECTIBLE]),
        )
    )
    record = buyer.payment_record()
    return BuyerOut(
        id=buyer.id,
        external_id=buyer.external_id,
        name=buyer.name,
        email=buyer.email,
        currency=buyer.currency,
        credit_limit=money(buyer.credit_limit),
        limit_source=buyer.limit_source,
        review_all=buyer.review_all,
        payment_terms_days=buyer.payment_terms_days,
        status=buyer.status,
        credit=Credit(
            limit=money(buyer.credit_limit),
            exposure=money(buyer.exposure),
            available=money(max(buyer.credit_limit - buyer.exposure, 0)),
            status=buyer.status,
        ),
        payment_record=PaymentRecordOut(
            invoices_paid=record.invoices_paid,
            paid_on_time=record.paid_on_time,
            on_time_streak=record.on_time_streak,
            average_days_late=record.average_days_late,
            worst_days_late=record.worst_days_late,
            overdue_amount=money(int(overdue or 0)),
        ),
        dunning_ladder=buyer_ladder_io(buyer),
        iban=buyer.iban,
        locale=buyer.locale,
        early_payment_discount=(
            None if buyer.early_payment_discount is None
            else EarlyPaymentDiscountIO.model_validate(buyer.early_payment_discount)
        ),
        balance=money(await balance_of(session, buyer.id)),
        address=None if buyer.address is None else PostalAddressIO.model_validate(buyer.address),
        vat_id=buyer.vat_id,
        buyer_reference=buyer.buyer_reference,
        electronic_address=(
            None if buyer.electronic_address is None
            else ElectronicAddressIO.model_validate(buyer.electronic_address)
        ),
        einvoice_format=buyer.einvoice_format or "none",
        created_at=buyer.created_at,
    )
