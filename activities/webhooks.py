"""Webhook delivery activities: one signed POST per attempt, each attempt recorded; giving up
on an endpoint that failed for a whole retry window (disable it, tell the merchant); and
abandoning a delivery whose attempts could not be recorded, so that the next one goes ahead."""

import asyncio
import json
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from activities.email import MailSettings, send_notice_once
from payinvoice.contracts import DeliverWebhookInput, DeliveryResult, WebhookFailedInput
from payinvoice.db.models import (
    Merchant,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from payinvoice.domain.errors import Refusal
from payinvoice.emails import Recipient, render_webhook_disabled
from payinvoice.outbound import EXCERPT_CHARS, pinned_post, reply_excerpt, resolve
from payinvoice.webhooks import ERROR_CHARS, signed_headers, storable_text

# Bytes read of a 2xx answer for its excerpt (at most EXCERPT_CHARS characters are kept).
EXCERPT_BYTES = 4 * EXCERPT_CHARS


class WebhookActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], mail: MailSettings, timeout_seconds: float,
        allow_private_urls: bool = False,
    ) -> None:
        self._sessions = sessions
        self._mail = mail
        self._timeout = timeout_seconds
        self._allow_private_urls = allow_private_urls

    @activity.defn
    async def deliver_webhook(self, request: DeliverWebhookInput) -> DeliveryResult:
        """One attempt: POST the event to the endpoint, signed, with the delivery's id as
        `webhook-id`, and record what came back. Anything but a 2xx answer in time (a redirect,
        a URL whose host now resolves to an address we do not call) is a failed attempt,
        answered (not raised): the workflow owns the back-off. A delivery already made
        (unless resent on request), one whose endpoint was deleted, and one for a disabled
        endpoint are not sent. Only our own failures (the database) raise, and are retried."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(WebhookDelivery, WebhookEndpoint, WebhookEvent)
                    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                    .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                    .where(WebhookDelivery.id == request.delivery_id)
                )
            ).first()
        if row is None:
            return DeliveryResult(done=True)
        delivery, endpoint, event = row
        if delivery.status == "delivered" and not request.resend:
            return DeliveryResult(done=True)
        if endpoint.status != "enabled" and not request.resend:
            await self._set_status(delivery.id, "failed")
            return DeliveryResult(done=True)
        body = json.dumps(event.body, separators=(",", ":")).encode()
        sent_at = utcnow()
        headers = signed_headers(endpoint.secret, delivery.id, int(sent_at.timestamp()), body)
        status_code, answer, error = await self._post(endpoint.url, body, headers)
        delivered = status_code is not None and 200 <= status_code < 300
        await self._record(delivery.id, status_code, answer, error, delivered)
        return DeliveryResult(done=delivered)

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str, str | None]:
        """(status code, start of a 2xx answer, error) of one POST that lasts at most the
        timeout, to an address of the URL's host checked just now (payinvoice/outbound.py). A
        URL that may not be called is a failed attempt like any other: nothing is sent."""
        try:
            async with asyncio.timeout(self._timeout):
                target = await resolve(url, allow_private=self._allow_private_urls)
                async with pinned_post(
                    target, content=body, headers=headers, seconds=self._timeout
                ) as response:
                    if not response.is_success:
                        return response.status_code, "", None  # nothing of a refusal is kept
                    answer = bytearray()
                    async for chunk in response.aiter_bytes():
                        answer += chunk
                        if len(answer) >= EXCERPT_BYTES:
                            break
                    return response.status_code, reply_excerpt(bytes(answer)), None
        except Refusal:
            return None, "", "url not allowed"
        except (TimeoutError, httpx.TimeoutException):
            return None, "", "timeout"
        except httpx.HTTPError as error:
            return None, "", type(error).__name__

    async def _record(
        self, delivery_id: str, status_code: int | None, answer: str, error: str | None, delivered: bool
    ) -> None:
        """Write the attempt down. What the receiver controls is made storable first: a NUL
        refused by PostgreSQL would fail this record on every retry of the attempt."""
        answer = storable_text(answer, EXCERPT_CHARS)
        error = None if error is None else storable_text(error, ERROR_CHARS)
        now = utcnow()
        async with self._sessions.begin() as session:
            updated = await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(
                    status="delivered" if delivered else "retrying", attempts=WebhookDelivery.attempts + 1,
                    last_status_code=status_code, last_attempt_at=now,
                )
            )
            if updated.rowcount == 1:  # type: ignore[attr-defined]  # 0: the endpoint was deleted
                session.add(
                    WebhookAttempt(
                        delivery_id=delivery_id, status_code=status_code, response_body=answer,
                        error=error, attempted_at=now,
                    )
                )

    async def _set_status(self, delivery_id: str, status: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(WebhookDelivery).where(WebhookDelivery.id == delivery_id).values(status=status)
            )

    @activity.defn
    async def abandon_webhook_delivery(self, request: WebhookFailedInput) -> None:
        """The delivery's attempt could not be recorded however often it was retried: mark it
        abandoned (unless it was delivered meanwhile), so that the endpoint's later events about
        the subject go ahead. Its endpoint stays enabled: the failure was ours. A resend on
        request (`POST .../retry`) tries it again."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == request.delivery_id, WebhookDelivery.status != "delivered")
                .values(status="abandoned")
            )
        activity.logger.error(
            "webhook delivery %s to endpoint %s abandoned: its attempt could not be recorded",
            request.delivery_id, request.endpoint_id,
        )

    @activity.defn
    async def disable_webhook_endpoint(self, request: WebhookFailedInput) -> None:
        """The delivery failed for its whole window: mark it failed, disable its endpoint, and
        email the merchant once per disabling (logged by Message-ID, like invoice emails)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == request.delivery_id)
                .values(status="failed")
            )
            await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == request.endpoint_id, WebhookEndpoint.status == "enabled")
                .values(status="disabled", disabled_at=utcnow())
            )
            endpoint = await session.get(WebhookEndpoint, request.endpoint_id)
            merchant = await session.get(Merchant, endpoint.merchant_id) if endpoint else None
        if endpoint is None or merchant is None or endpoint.disabled_at is None:
            return  # deleted meanwhile
        msg_id = (
            f"<webhook_disabled.{int(endpoint.disabled_at.timestamp())}.{endpoint.id}@{self._mail.domain}>"
        )
        activity.logger.warning(
            "webhook endpoint %s of merchant %s disabled after delivery %s failed for its whole window",
            endpoint.id, merchant.id, request.delivery_id,
        )
        if merchant.email is None:
            activity.logger.warning("merchant %s has no email: not notified", merchant.id)
            return
        message = render_webhook_disabled(
            merchant=Recipient(merchant.name, merchant.email), endpoint_id=endpoint.id,
            endpoint_host=urlsplit(endpoint.url).hostname or "", delivery_id=request.delivery_id,
            mail_from=self._mail.mail_from, public_url=self._mail.public_url, message_id=msg_id,
            sent_at=utcnow(),
        )
        await send_notice_once(
            self._sessions, self._mail, message, subject_id=endpoint.id, kind="webhook", stage="disabled"
        )
