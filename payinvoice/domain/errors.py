"""Every refusal payinvoice can answer with: one vocabulary of codes, one exception.

A use case, a domain parser or a workflow validator that refuses a request raises
`Refusal(ErrorType.X, "message")`; the workflow turns it into an `ApplicationError` whose `type`
is the code, and `api/errors.py` maps each code to its HTTP status in one table.
"""

from enum import StrEnum


class ErrorType(StrEnum):
    """Machine-readable codes of refused requests (the `code` of the API's error body)."""

    # Money and input.
    INVALID_REQUEST = "invalid_request"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_LINE = "invalid_line"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
    CURRENCY_MISMATCH = "currency_mismatch"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_EMAIL = "invalid_email"
    INVALID_IBAN = "invalid_iban"
    INVALID_BIC = "invalid_bic"
    INVALID_POLICY = "invalid_policy"
    CREDIT_LIMIT_REQUIRED = "credit_limit_required"
    INVALID_LADDER = "invalid_ladder"
    INVALID_LATE_INTEREST = "invalid_late_interest"
    INVALID_DISCOUNT = "invalid_discount"
    INVALID_STATEMENT = "invalid_statement"
    URL_NOT_ALLOWED = "url_not_allowed"
    UNKNOWN_EINVOICE_FORMAT = "unknown_einvoice_format"
    INVALID_ADDRESS = "invalid_address"
    INVALID_VAT_ID = "invalid_vat_id"
    INVALID_TAX_NUMBER = "invalid_tax_number"
    INVALID_ELECTRONIC_ADDRESS = "invalid_electronic_address"
    INVALID_BUYER_REFERENCE = "invalid_buyer_reference"
    INVALID_TAX_CATEGORY = "invalid_tax_category"
    INVALID_PAYLOAD = "invalid_payload"
    INVALID_SIGNATURE = "invalid_signature"
    UNDECODABLE_PAYLOAD = "undecodable_payload"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    BAD_REQUEST = "bad_request"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_FOUND = "not_found"
    # Who is calling.
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    # What the invoice's state allows (the workflow's validators and the finished-invoice path).
    INVOICE_NOT_PAYABLE = "invoice_not_payable"
    INVOICE_LIMIT_REACHED = "invoice_limit_reached"
    INVOICE_HAS_PAYMENTS = "invoice_has_payments"
    INVOICE_NOT_VOIDABLE = "invoice_not_voidable"
    INVOICE_NOT_IN_REVIEW = "invoice_not_in_review"
    INVOICE_NOT_EXTENDABLE = "invoice_not_extendable"
    INVOICE_NOT_PAUSABLE = "invoice_not_pausable"
    INVOICE_NOT_PAUSED = "invoice_not_paused"
    INVOICE_NOT_DISPUTABLE = "invoice_not_disputable"
    INVOICE_NOT_DISPUTED = "invoice_not_disputed"
    INVOICE_NOT_PROMISABLE = "invoice_not_promisable"
    INVALID_DUE_DATE = "invalid_due_date"
    INVALID_DATE = "invalid_date"
    INVOICE_NOT_REFUNDABLE = "invoice_not_refundable"
    PAYMENT_NOT_FOUND = "unknown_payment"
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
    INVOICE_NOT_MARKABLE_PAID = "invoice_not_markable_paid"
    REMINDER_NOT_SENT = "reminder_not_sent"
    INVOICE_NOT_CREDITABLE = "invoice_not_creditable"
    CREDIT_EXCEEDS_CHARGED = "credit_exceeds_charged"
    INSTALMENTS_NOT_ALLOWED = "instalments_not_allowed"
    INVALID_INSTALMENTS = "invalid_instalments"
    INVOICE_NOT_ISSUED = "invoice_not_issued"
    # The buyer's e-invoice format needs data the invoice, seller or buyer lacks (BT-n listed).
    EINVOICE_INCOMPLETE = "einvoice_incomplete"
    # Conflicts with what exists.
    CONFLICT = "conflict"
    ORDER_IN_PROGRESS = "order_in_progress"
    BUYER_EXISTS = "buyer_exists"
    CREDIT_NOTE_ID_REUSED = "credit_note_id_reused"
    REFERENCE_REUSED = "reference_reused"
    SETTLEMENT_CONFLICT = "settlement_conflict"
    ALREADY_RESOLVED = "already_resolved"
    BALANCE_SPENT = "balance_spent"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    NO_OPEN_INVOICE = "no_open_invoice"
    KEY_ALREADY_ROTATED = "key_already_rotated"
    LAST_MERCHANT_KEY = "last_merchant_key"
    TOO_MANY_ENDPOINTS = "too_many_endpoints"
    TOO_MANY_RESENDS = "too_many_resends"
    # Not found (another merchant's resource is reported missing too).
    INVOICE_NOT_FOUND = "invoice_not_found"
    BUYER_NOT_FOUND = "buyer_not_found"
    CREDIT_NOTE_NOT_FOUND = "credit_note_not_found"
    KEY_NOT_FOUND = "key_not_found"
    UNMATCHED_ENTRY_NOT_FOUND = "unmatched_entry_not_found"
    WEBHOOK_ENDPOINT_NOT_FOUND = "webhook_endpoint_not_found"
    WEBHOOK_DELIVERY_NOT_FOUND = "webhook_delivery_not_found"
    CREDIT_CHECK_NOT_CONFIGURED = "credit_check_not_configured"
    COMPANY_NOT_SET = "company_not_set"
    CODEC_DISABLED = "codec_disabled"
    # Too many requests (the hosted page's rate limits): retry after the `Retry-After` seconds.
    RATE_LIMITED = "rate_limited"
    # A part payinvoice depends on is away, or a fault of our own.
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL_ERROR = "internal_error"


class Refusal(Exception):
    """A request refused for a business reason: nothing was persisted."""

    def __init__(self, code: ErrorType, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(code: ErrorType) -> Refusal:
    """`invoice_not_found` -> "invoice not found"."""
    return Refusal(code, code.value.removesuffix("_not_found").replace("_", " ") + " not found")
