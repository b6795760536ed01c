"""What an unexpected exception becomes: the database gone is a 503 to retry, a value it cannot hold
a 422, anything else a 500 — never a stack trace."""

from __future__ import annotations

import json

import asyncpg
from starlette.requests import Request
from tortoise.exceptions import OperationalError

from api.problems import internal_error


def _request() -> Request:
    request = Request({"type": "http", "method": "GET", "path": "/v1/wallet", "headers": [], "query_string": b""})
    request.state.request_id = "req-1"
    return request


def _wrapped(cause: BaseException) -> OperationalError:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise OperationalError(exc) from exc
    except OperationalError as wrapped:
        return wrapped


def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after():
    for cause in (ConnectionRefusedError(111, "refused"), asyncpg.exceptions.CannotConnectNowError("starting up"),
                  asyncpg.exceptions.ConnectionDoesNotExistError("closed"), TimeoutError()):
        response = internal_error(_request(), _wrapped(cause))
        body = json.loads(response.body)
        assert (response.status_code, body["code"], response.headers["Retry-After"]) == (503, "unavailable", "5")
        assert body["request_id"] == "req-1"


def test_a_value_the_database_refuses_is_a_422():
    for cause in (asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence 0x00"),
                  asyncpg.exceptions.NumericValueOutOfRangeError("bigint out of range"), OverflowError("int too big")):
        response = internal_error(_request(), _wrapped(cause))
        assert (response.status_code, json.loads(response.body)["code"]) == (422, "validation_failed")


def test_anything_else_is_a_500_without_details():
    response = internal_error(_request(), RuntimeError("secret detail sk_live_abc"))
    body = json.loads(response.body)
    assert (response.status_code, body["code"]) == (500, "internal")
    assert "secret detail" not in response.body.decode()
