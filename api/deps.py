"""Request dependencies: settings, DB session, Temporal client, authenticated merchant."""

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import ApiError
from payinvoice.db.models import Merchant
from payinvoice.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


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


def _unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "missing or unknown API key")


async def current_merchant(credentials: Credentials, session: SessionDep) -> Merchant:
    if credentials is None:
        raise _unauthorized()
    merchant = await session.scalar(
        select(Merchant).where(Merchant.api_key_hash == hash_api_key(credentials.credentials))
    )
    if merchant is None:
        raise _unauthorized()
    return merchant


def require_admin(credentials: Credentials, settings: SettingsDep) -> None:
    admin_key = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if (
        not admin_key
        or credentials is None
        or not hmac.compare_digest(credentials.credentials.encode(), admin_key.encode())
    ):
        raise ApiError(401, "unauthorized", "admin key required")


CurrentMerchant = Annotated[Merchant, Depends(current_merchant)]
