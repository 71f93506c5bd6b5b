"""Every error the API answers with, mapped in one place to `{"error": {"code", "message"}}`."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from payinvoice.contracts import ErrorType
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


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _validation_message(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", "invalid"))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return error_response(error.status, error.code, error.message)

    @app.exception_handler(MoneyError)
    async def _money_error(_: Request, error: MoneyError) -> JSONResponse:
        return error_response(422, error.code, error.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(error.status_code, "error")
        return error_response(error.status_code, code, str(error.detail))

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
