"""Every error the API answers with, mapped in one place to `{"error": {"code", "message"}}`."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from payinvoice.domain.errors import ErrorType, Refusal

log = logging.getLogger(__name__)

# The one table: what each refusal means over HTTP. Every `ErrorType` has a row
# (tests/api/test_errors.py), so a new code cannot ship without its status.
E = ErrorType
ERROR_STATUS: dict[ErrorType, int] = {
    # 400: the request itself is not one we can read.
    E.BAD_REQUEST: 400, E.INVALID_PAYLOAD: 400, E.UNDECODABLE_PAYLOAD: 400,
    # 401/403: who is calling.
    E.UNAUTHORIZED: 401, E.INVALID_SIGNATURE: 401, E.FORBIDDEN: 403,
    # 404: missing, or another merchant's.
    E.NOT_FOUND: 404, E.INVOICE_NOT_FOUND: 404, E.BUYER_NOT_FOUND: 404, E.KEY_NOT_FOUND: 404,
    E.UNMATCHED_ENTRY_NOT_FOUND: 404, E.WEBHOOK_ENDPOINT_NOT_FOUND: 404, E.WEBHOOK_DELIVERY_NOT_FOUND: 404,
    E.CREDIT_CHECK_NOT_CONFIGURED: 404, E.CODEC_DISABLED: 404, E.CREDIT_NOTE_NOT_FOUND: 404,
    E.COMPANY_NOT_SET: 404,
    E.METHOD_NOT_ALLOWED: 405, E.PAYLOAD_TOO_LARGE: 413, E.UNSUPPORTED_MEDIA_TYPE: 415,
    # 409: the invoice's (or account's) state does not allow it now.
    E.INVOICE_NOT_PAYABLE: 409, E.INVOICE_LIMIT_REACHED: 409, E.INVOICE_HAS_PAYMENTS: 409,
    E.INVOICE_NOT_VOIDABLE: 409,
    E.INVOICE_NOT_IN_REVIEW: 409, E.REMINDER_NOT_SENT: 409, E.INVOICE_NOT_EXTENDABLE: 409,
    E.INVOICE_NOT_PAUSABLE: 409, E.INVOICE_NOT_PAUSED: 409, E.INVOICE_NOT_DISPUTABLE: 409,
    E.INVOICE_NOT_DISPUTED: 409, E.INVOICE_NOT_PROMISABLE: 409, E.INVOICE_NOT_REFUNDABLE: 409,
    E.INVOICE_NOT_MARKABLE_PAID: 409, E.INVOICE_NOT_CREDITABLE: 409, E.INSTALMENTS_NOT_ALLOWED: 409,
    E.INVOICE_NOT_ISSUED: 409, E.CONFLICT: 409, E.ORDER_IN_PROGRESS: 409, E.BUYER_EXISTS: 409,
    E.CREDIT_NOTE_ID_REUSED: 409, E.REFERENCE_REUSED: 409, E.SETTLEMENT_CONFLICT: 409,
    E.ALREADY_RESOLVED: 409, E.BALANCE_SPENT: 409, E.INSUFFICIENT_BALANCE: 409, E.NO_OPEN_INVOICE: 409,
    E.KEY_ALREADY_ROTATED: 409, E.LAST_MERCHANT_KEY: 409, E.EINVOICE_INCOMPLETE: 409,
    E.TOO_MANY_ENDPOINTS: 409, E.TOO_MANY_RESENDS: 409,
    # 422: well formed, but the values cannot be accepted.
    E.INVALID_REQUEST: 422, E.INVALID_AMOUNT: 422, E.INVALID_LINE: 422, E.UNSUPPORTED_CURRENCY: 422,
    E.CURRENCY_MISMATCH: 422, E.INVALID_CURSOR: 422, E.INVALID_EMAIL: 422, E.INVALID_IBAN: 422,
    E.INVALID_BIC: 422, E.INVALID_POLICY: 422, E.CREDIT_LIMIT_REQUIRED: 422, E.INVALID_LADDER: 422,
    E.INVALID_LATE_INTEREST: 422, E.INVALID_DISCOUNT: 422, E.INVALID_STATEMENT: 422,
    E.INVALID_DUE_DATE: 422, E.INVALID_DATE: 422, E.PAYMENT_NOT_FOUND: 422, E.REFUND_EXCEEDS_PAYMENT: 422,
    E.CREDIT_EXCEEDS_CHARGED: 422, E.INVALID_INSTALMENTS: 422, E.URL_NOT_ALLOWED: 422,
    E.UNKNOWN_EINVOICE_FORMAT: 422,
    # 429: too many requests; `Retry-After` says when to try again.
    E.RATE_LIMITED: 429,
    E.INVALID_ADDRESS: 422, E.INVALID_VAT_ID: 422, E.INVALID_TAX_NUMBER: 422,
    E.INVALID_ELECTRONIC_ADDRESS: 422, E.INVALID_BUYER_REFERENCE: 422, E.INVALID_TAX_CATEGORY: 422,
    # 5xx: a part we depend on is away, or a fault of ours.
    E.INTERNAL_ERROR: 500, E.SERVICE_UNAVAILABLE: 503,
}  # fmt: skip

# Starlette's own errors (unknown route, wrong method), in the same vocabulary.
HTTP_ERROR_TYPES: dict[int, ErrorType] = {
    400: E.BAD_REQUEST, 401: E.UNAUTHORIZED, 403: E.FORBIDDEN, 404: E.NOT_FOUND,
    405: E.METHOD_NOT_ALLOWED, 409: E.CONFLICT, 413: E.PAYLOAD_TOO_LARGE, 422: E.INVALID_REQUEST,
    429: E.RATE_LIMITED, 503: E.SERVICE_UNAVAILABLE,
}  # fmt: skip


def error_response(
    code: ErrorType, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code.value, "message": message}}, status_code=ERROR_STATUS[code], headers=headers
    )


# The one error shape, as the OpenAPI document states it for every 4xx of every operation.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "examples": ["invalid_line"]},
                "message": {"type": "string", "examples": ["lines[0].quantity must be greater than 0"]},
            },
        }
    },
}
_ERROR_RESPONSE: dict[str, Any] = {
    "description": 'Refused: `{"error": {"code", "message"}}`, nothing persisted.',
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document tell the truth about errors: every operation answers its 4xx
    in the error shape (FastAPI documents a 422 `HTTPValidationError` that is never sent)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, response in responses.items():
                if status.startswith("4"):  # declared ones keep their description
                    response["content"] = _ERROR_RESPONSE["content"]
            responses.setdefault("4XX", _ERROR_RESPONSE)
    return schema


def _install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# What the database server answers when it has no connection to give (PostgreSQL's
# "too many clients", a server starting or gone): the request was fine; retry later.
_DATABASE_AWAY = ("TooManyConnectionsError", "CannotConnectNowError", "ConnectionDoesNotExistError")


def database_unavailable(error: BaseException) -> bool:
    """No connection to be had (pool exhausted, server full, away or locked), not a fault of the
    request: the API answers 503 with `Retry-After` instead of 500."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OperationalError | InterfaceError | PoolTimeoutError | ConnectionError):
            return True
        if type(cause).__name__ in _DATABASE_AWAY:
            return True
        cause = cause.__cause__
    return False


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", "invalid"))
    return "; ".join(parts) or "invalid request"


def _allowed_methods(request: Request) -> str:
    """Every method of every route at the request's path. Starlette's own `Allow` names only
    the first route it matched, when GET and PATCH of one path are two routes."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.scope["path"]):
            methods |= route.methods or set()
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    _install_openapi(app)

    @app.exception_handler(Refusal)
    async def _refused(_: Request, refusal: Refusal) -> JSONResponse:
        return error_response(refusal.code, refusal.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(E.INVALID_REQUEST, _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        code = HTTP_ERROR_TYPES.get(error.status_code)
        if code is None:
            return JSONResponse(
                {"error": {"code": "error", "message": str(error.detail)}}, error.status_code, headers
            )
        return error_response(code, str(error.detail), headers)

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update_failed(_: Request, error: WorkflowUpdateFailedError) -> JSONResponse:
        # The workflow's validators refuse with the same codes: `ApplicationError.type`.
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in ERROR_STATUS:
            return error_response(ErrorType(cause.type), cause.message)
        log.error("update failed unexpectedly: %r", cause)
        return error_response(E.INTERNAL_ERROR, "internal error")

    @app.exception_handler(RPCError)
    async def _temporal_unavailable(_: Request, error: RPCError) -> JSONResponse:
        log.error("Temporal call failed: %s (%s)", error.message, error.status.name)
        return error_response(E.SERVICE_UNAVAILABLE, "the invoice engine is unavailable; retry later")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        if database_unavailable(error):
            log.error("database unavailable: %s", error)
            message = "the database is busy or away; retry later"
            return error_response(E.SERVICE_UNAVAILABLE, message, {"Retry-After": "1"})
        log.exception("unhandled error", exc_info=error)
        return error_response(E.INTERNAL_ERROR, "internal error")
