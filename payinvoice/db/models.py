"""Tables. Money columns are integer minor units; instants are timezone-aware UTC."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes; SQLite hands back naive ones, which are UTC by construction."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, int: BigInteger, dict[str, Any]: JSON}


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Last invoice number handed out; incremented in the same transaction that records it.
    last_invoice_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Buyer(Base):
    __tablename__ = "buyers"
    __table_args__ = (UniqueConstraint("merchant_id", "external_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    credit_limit: Mapped[int]
    # Sum of what this buyer's open reservations hold; changed only by conditional updates.
    exposure: Mapped[int] = mapped_column(default=0)
    payment_terms_days: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="active")
    # "manual" (set by the merchant) or "final_notice" (set by the dunning ladder).
    suspended_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditReservation(Base):
    __tablename__ = "credit_reservations"

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    amount: Mapped[int]
    version: Mapped[int] = mapped_column(default=0)


class InvoiceNumber(Base):
    __tablename__ = "invoice_numbers"
    __table_args__ = (UniqueConstraint("merchant_id", "sequence"),)

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    sequence: Mapped[int]


class Invoice(Base):
    """Read model of one invoice, written only by the workflow's save_invoice activity."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("merchant_id", "order_id"),
        Index("ix_invoices_merchant_created", "merchant_id", "created_at", "id"),
        Index("ix_invoices_buyer_status", "buyer_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(ForeignKey("merchants.id"))
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"))
    order_id: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    number: Mapped[str | None] = mapped_column(String(32), default=None)
    total: Mapped[int]
    amount_due: Mapped[int]
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    final_notice_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The whole InvoiceView as JSON: what the API renders.
    document: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SentEmail(Base):
    """Log of delivered emails by Message-ID, so a retried send does not go out twice."""

    __tablename__ = "sent_emails"

    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(64), default=None)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
