"""The JSON of invoices and buyers exactly as the API answers it; webhook events carry the same."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.dunning import buyer_ladder_io
from api.schemas import BuyerOut, Credit, InvoiceOut, PaymentRecordOut
from payinvoice.contracts import InvoiceView, invoice_workflow_id, to_document
from payinvoice.db.models import Buyer, Invoice
from payinvoice.documents import hosted_invoice_url
from payinvoice.domain.money import from_minor
from payinvoice.domain.status import InvoiceStatus, amount_due, overpaid_amount


def invoice_out(view: InvoiceView, public_url: str) -> InvoiceOut:
    """The invoice JSON; `public_url` (the settings') makes `hosted_invoice_url` and `pdf_url`
    absolute, for shop backends, webhooks and the CLI alike."""
    money = lambda minor: from_minor(minor, view.currency)  # noqa: E731
    document = to_document(view)
    for line, priced in zip(document["lines"], view.lines, strict=True):
        line.update(line.pop("line"), unit_price=money(priced.line.unit_price))
        line.update(line_total=money(priced.line_total), tax_amount=money(priced.tax_amount))
    for key, paid_list in (("payments", view.payments), ("unapplied_payments", view.unapplied_payments)):
        for payment, paid in zip(document[key], paid_list, strict=True):
            payment["amount"] = from_minor(paid.amount, paid.currency)
    for refund in document["refunds"]:
        refund["amount"] = money(refund["amount"])
    if view.promise is not None:
        document["promise"]["amount"] = money(view.promise.amount)
    if view.decision is not None:
        decision = view.decision
        document["decision"].update(
            limit=money(decision.limit), exposure=money(decision.exposure), amount=money(decision.amount)
        )
    document.update(
        id=view.invoice_id,
        subtotal=money(view.subtotal), tax_total=money(view.tax_total), total=money(view.total),
        amount_paid=money(view.amount_paid),
        amount_due=money(amount_due(view.total, view.amount_paid)),
        overpaid_amount=money(overpaid_amount(view.total, view.amount_paid)),
        workflow_id=invoice_workflow_id(view.invoice_id),
        hosted_invoice_url=hosted_invoice_url(public_url, view.hosted_token),
        pdf_url=f"{public_url.rstrip('/')}/v1/invoices/{view.invoice_id}/pdf" if view.number else None,
    )
    return InvoiceOut.model_validate(document)


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
        id=buyer.id, external_id=buyer.external_id, name=buyer.name, email=buyer.email,
        currency=buyer.currency, credit_limit=money(buyer.credit_limit), limit_source=buyer.limit_source,
        review_all=buyer.review_all, payment_terms_days=buyer.payment_terms_days, status=buyer.status,
        credit=Credit(
            limit=money(buyer.credit_limit), exposure=money(buyer.exposure),
            available=money(max(buyer.credit_limit - buyer.exposure, 0)), status=buyer.status,
        ),
        payment_record=PaymentRecordOut(
            invoices_paid=record.invoices_paid, paid_on_time=record.paid_on_time,
            on_time_streak=record.on_time_streak, average_days_late=record.average_days_late,
            worst_days_late=record.worst_days_late, overdue_amount=money(int(overdue or 0)),
        ),
        dunning_ladder=buyer_ladder_io(buyer),
        iban=buyer.iban,
        locale=buyer.locale,
        created_at=buyer.created_at,
    )
