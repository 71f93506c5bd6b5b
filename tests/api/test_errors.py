"""The one table of refusals: every code has its status, and the body has one shape."""

import json

from sqlalchemy.exc import DBAPIError, IntegrityError

from api.errors import ERROR_STATUS, HTTP_ERROR_TYPES, database_unavailable, error_response
from payinvoice.domain.errors import ErrorType, Refusal, not_found


def test_every_error_type_has_an_http_status() -> None:
    assert set(ERROR_STATUS) == set(ErrorType)


def test_every_status_is_a_client_or_server_error() -> None:
    assert all(400 <= status < 600 for status in ERROR_STATUS.values())


def test_starlettes_own_errors_answer_with_codes_of_the_same_status() -> None:
    assert all(ERROR_STATUS[code] == status for status, code in HTTP_ERROR_TYPES.items())


def test_an_error_body_is_its_code_and_message() -> None:
    response = error_response(ErrorType.INVOICE_NOT_PAYABLE, "invoice is paid: payments are not accepted")

    assert response.status_code == 409
    assert json.loads(bytes(response.body)) == {
        "error": {"code": "invoice_not_payable", "message": "invoice is paid: payments are not accepted"}
    }


def test_not_found_names_what_is_missing() -> None:
    refusal = not_found(ErrorType.UNMATCHED_ENTRY_NOT_FOUND)

    assert isinstance(refusal, Refusal)
    assert refusal.code == ErrorType.UNMATCHED_ENTRY_NOT_FOUND
    assert refusal.message == "unmatched entry not found"


class TooManyConnectionsError(Exception):
    """Named as asyncpg names PostgreSQL's "sorry, too many clients already"."""


def test_a_database_with_no_connection_to_give_is_a_503_to_retry_not_a_500() -> None:
    try:
        try:
            raise TooManyConnectionsError("sorry, too many clients already")
        except TooManyConnectionsError as full:
            raise DBAPIError("SELECT 1", None, full) from full
    except DBAPIError as error:
        assert database_unavailable(error)


def test_a_constraint_violation_is_not_the_database_being_away() -> None:
    assert not database_unavailable(IntegrityError("INSERT", None, Exception("duplicate key")))
