"""HTTP plumbing that every module shares: the API's errors, their JSON envelope, request
ids, JSON integers and text."""

import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from http import HTTPStatus
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

# The id of the request being served; the JSON logs and error bodies carry it.
request_id: ContextVar[str] = ContextVar("request_id", default="")


def _integral(value: object) -> object:
    # JSON has one kind of number, and JSON Schema calls 1033.0 and 1.033e3 the integer
    # 1033. Strict validation refuses every float, so integral ones become ints before it;
    # fractions, strings and booleans still reach it, and are refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer field of a request body, as JSON Schema counts integers.
JsonInteger = Annotated[int, BeforeValidator(_integral)]


def _unicode(value: str) -> str:
    # JSON can escape half of a surrogate pair ("\ud800"); such a string is no text: it
    # has no UTF-8 form to store, log or answer.
    try:
        value.encode()
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_text", "must be valid Unicode text") from None
    return value


# A text field of a request body.
JsonText = Annotated[str, AfterValidator(_unicode)]


def new_id() -> str:
    """A random id: 128 bits as 32 hex digits, for items, orders and requests."""
    # Not base32: the standard library encodes that in Python, five times slower than
    # the rest of a request id's work.
    return secrets.token_hex(16)


class ApiError(HTTPException):
    """An error that knows how the API answers it.

    It is an HTTPException so that it passes FastAPI's request parsing untouched: the
    body-size limit raises it while FastAPI reads the body.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, message, headers)
        self.code = code
        self.message = message
        # Each invalid field of the request body, with what is wrong with it.
        self.fields = dict(fields) if fields else None


def bad_request(message: str) -> ApiError:
    """A 400: the request cannot be understood."""
    return ApiError(HTTPStatus.BAD_REQUEST, "bad_request", message)


def not_found(message: str) -> ApiError:
    return ApiError(HTTPStatus.NOT_FOUND, "not_found", message)


def invalid(fields: Mapping[str, str]) -> ApiError:
    """A 422: well-formed JSON whose content is wrong."""
    return ApiError(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "validation_failed",
        "the request body has invalid fields",
        fields,
    )


def too_large(limit: int) -> ApiError:
    return ApiError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "payload_too_large",
        f"the request body is larger than {limit} bytes",
    )


def timed_out() -> ApiError:
    return ApiError(
        HTTPStatus.GATEWAY_TIMEOUT, "timeout", "the request took longer than the server allows"
    )


def internal() -> ApiError:
    """A 500. It tells the client nothing about the cause, which is for the logs only."""
    return ApiError(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "internal server error")


class ErrorBody(BaseModel):
    code: str
    message: str
    request_id: str
    fields: dict[str, str] | None = None


class ErrorEnvelope(BaseModel):
    """Every error the API answers: {"error": {"code", "message", "request_id"}}."""

    error: ErrorBody


def error_response(error: ApiError) -> JSONResponse:
    body = ErrorEnvelope(
        error=ErrorBody(
            code=error.code,
            message=error.message,
            request_id=request_id.get(),
            fields=error.fields,
        )
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=error.status_code, headers=error.headers
    )


async def send_error(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer with ``error`` from ASGI middleware, outside FastAPI's exception handlers."""
    await error_response(error)(scope, receive, send)
