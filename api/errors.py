"""Every error the API answers with, mapped in one place to `{"error": {"code", "message"}}`."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from payinvoice.contracts import ErrorType
from payinvoice.domain.discount import DiscountError
from payinvoice.domain.dunning import LadderError
from payinvoice.domain.instalments import InstalmentError
from payinvoice.domain.late_interest import InterestError
from payinvoice.domain.money import MoneyError

log = logging.getLogger(__name__)

# What each business error from the workflow means over HTTP.
UPDATE_ERROR_STATUS: dict[str, int] = {
    ErrorType.INVALID_AMOUNT: 422,
    ErrorType.CURRENCY_MISMATCH: 422,
    ErrorType.INVOICE_NOT_PAYABLE: 409,
    ErrorType.INVOICE_HAS_PAYMENTS: 409,
    ErrorType.INVOICE_NOT_VOIDABLE: 409,
    ErrorType.INVOICE_NOT_IN_REVIEW: 409,
    ErrorType.REMINDER_NOT_SENT: 409,
    ErrorType.INVOICE_NOT_EXTENDABLE: 409,
    ErrorType.INVOICE_NOT_PAUSABLE: 409,
    ErrorType.INVOICE_NOT_PAUSED: 409,
    ErrorType.INVOICE_NOT_DISPUTABLE: 409,
    ErrorType.INVOICE_NOT_DISPUTED: 409,
    ErrorType.INVOICE_NOT_PROMISABLE: 409,
    ErrorType.INVALID_DUE_DATE: 422,
    ErrorType.INVALID_DATE: 422,
    ErrorType.INVALID_REQUEST: 422,
    ErrorType.INVOICE_NOT_REFUNDABLE: 409,
    ErrorType.PAYMENT_NOT_FOUND: 422,
    ErrorType.REFUND_EXCEEDS_PAYMENT: 422,
    ErrorType.INVOICE_NOT_MARKABLE_PAID: 409,
    ErrorType.INVOICE_NOT_CREDITABLE: 409,
    ErrorType.CREDIT_EXCEEDS_CHARGED: 422,
    ErrorType.INSTALMENTS_NOT_ALLOWED: 409,
    ErrorType.INVALID_INSTALMENTS: 422,
}

HTTP_CODES: dict[int, str] = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 422: "invalid_request",
    503: "service_unavailable",
}  # fmt: skip


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str) -> ApiError:
    return ApiError(404, f"{what}_not_found", f"{what.replace('_', ' ')} not found")


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


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

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(LadderError)
    async def _ladder_error(_: Request, error: LadderError) -> JSONResponse:
        return error_response(422, error.code, error.message)

    @app.exception_handler(MoneyError)
    async def _money_error(_: Request, error: MoneyError) -> JSONResponse:
        return error_response(422, error.code, error.message)

    async def _domain_error(_: Request, error: Exception) -> JSONResponse:
        return error_response(422, error.code, getattr(error, "message", str(error)))

    for domain_error in (InterestError, DiscountError, InstalmentError):
        app.add_exception_handler(domain_error, _domain_error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(error.status_code, "error")
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        return error_response(error.status_code, code, str(error.detail), headers)

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update_failed(_: Request, error: WorkflowUpdateFailedError) -> JSONResponse:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type in UPDATE_ERROR_STATUS:
            return error_response(UPDATE_ERROR_STATUS[cause.type], cause.type, cause.message)
        log.error("update failed unexpectedly: %r", cause)
        return error_response(500, "internal_error", "internal error")

    @app.exception_handler(RPCError)
    async def _temporal_unavailable(_: Request, error: RPCError) -> JSONResponse:
        log.error("Temporal call failed: %s (%s)", error.message, error.status.name)
        return error_response(503, "service_unavailable", "the invoice engine is unavailable; retry later")

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return error_response(500, "internal_error", "internal error")
