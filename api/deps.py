"""Request dependencies: settings, DB session, Temporal client, the authenticated key and its role."""

import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from payinvoice.db.models import ApiKey, Merchant
from payinvoice.domain.errors import ErrorType, Refusal
from payinvoice.keys import Role, hash_api_key
from payinvoice.settings import Settings

_bearer = HTTPBearer(auto_error=False)


READ_METHODS = frozenset({"GET", "HEAD"})


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized() -> Refusal:
    return Refusal(ErrorType.UNAUTHORIZED, "missing or unknown API key")


@dataclass(frozen=True)
class Caller:
    merchant: Merchant
    key: ApiKey


async def current_caller(credentials: Credentials, session: SessionDep) -> Caller:
    """The merchant and key behind the bearer token: unknown, revoked or expired keys are 401."""
    if credentials is None:
        raise _unauthorized()
    found = (
        await session.execute(
            select(ApiKey, Merchant)
            .join(Merchant, Merchant.id == ApiKey.merchant_id)
            .where(ApiKey.key_hash == hash_api_key(credentials.credentials), ApiKey.revoked_at.is_(None))
        )
    ).first()
    if found is None:
        raise _unauthorized()
    key, merchant = found
    if key.expires_at is not None and key.expires_at <= datetime.now(UTC):
        raise _unauthorized()
    return Caller(merchant=merchant, key=key)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def _forbidden(caller: Caller, request: Request) -> Refusal:
    return Refusal(ErrorType.FORBIDDEN, f"a {caller.key.role} key may not {request.method} {request.url.path}"
    )


async def current_merchant(request: Request, caller: CurrentCaller) -> Merchant:
    """The merchant whose endpoint this is: any request with a merchant key, reads with a
    support key; a processor key only reports settlements."""
    role = caller.key.role
    if role == Role.MERCHANT or (role == Role.SUPPORT and request.method in READ_METHODS):
        return caller.merchant
    raise _forbidden(caller, request)


async def merchant_key(request: Request, caller: CurrentCaller) -> Merchant:
    """Only a merchant key: managing keys is not for support or processors."""
    if caller.key.role != Role.MERCHANT:
        raise _forbidden(caller, request)
    return caller.merchant


async def processor_key(request: Request, caller: CurrentCaller) -> Caller:
    if caller.key.role != Role.PROCESSOR:
        raise _forbidden(caller, request)
    return caller


def require_admin(credentials: Credentials, settings: SettingsDep) -> None:
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if (
        not admin_key
        or credentials is None
        or not hmac.compare_digest(credentials.credentials.encode(), admin_key.encode())
    ):
        raise Refusal(ErrorType.UNAUTHORIZED, "admin key required")


def require_metrics_reader(credentials: Credentials, settings: SettingsDep) -> None:
    """`GET /metrics`: the metrics token (what Prometheus is given) or the admin key, compared in
    constant time; with neither configured, nobody."""
    given = credentials.credentials.encode() if credentials is not None else b""
    accepted = [
        secret.get_secret_value().encode()
        for secret in (settings.metrics_token, settings.admin_key)
        if secret is not None and secret.get_secret_value()
    ]
    # Both are compared whatever the first answers, so the time taken tells nothing either.
    matches = [hmac.compare_digest(given, secret) for secret in accepted]
    if not given or not any(matches):
        raise Refusal(ErrorType.UNAUTHORIZED, "the metrics token or the admin key is required")


CurrentMerchant = Annotated[Merchant, Depends(current_merchant)]
MerchantKey = Annotated[Merchant, Depends(merchant_key)]
ProcessorKey = Annotated[Caller, Depends(processor_key)]
