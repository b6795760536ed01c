"""Domain errors → RFC 9457 problem+json. No stack trace ever leaves the process."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from core.logging import get_logger

log = get_logger("api.problems")

# API.md's codes whose status the error's class alone would not say.
_STATUS_BY_CODE = {
    "auth.missing": 401,
    "auth.invalid": 401,
    "auth.ip_not_allowed": 403,
    "ledger.insufficient_funds": 402,
    "order.insufficient_funds": 402,
    "order.invalid_face_value": 422,
    "order.product_unavailable": 409,
    "order.price_changed": 409,
    "order.reference_conflict": 409,
    "order.not_completed": 409,
    "idempotency.mismatch": 409,
    "idempotency.in_progress": 409,
    "idempotency.invalid_key": 422,
    "ip_allowlist.invalid": 422,
    "ip_allowlist.excludes_you": 422,
    "signup.email_taken": 409,
    "api_key.last_live_key": 409,
    "party.inactive": 403,
    "rate_limited": 429,
}

# Starlette's own errors (no route, wrong method, …) as stable codes.
_CODE_BY_HTTP_STATUS = {404: "not_found", 405: "method_not_allowed", 401: "auth.missing", 413: "too_large"}


def status_for(error: DomainError) -> int:
    if error.code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[error.code]
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Conflict):
        return 409
    if isinstance(error, ValidationFailed):
        return 422
    return 400


def problem(request: Request, *, status: int, code: str, title: str, detail: str | None = None,
            errors: list | None = None) -> JSONResponse:
    body = {
        # An identifier, not a page: RFC 9457 lets `type` be a URN; the docs list every code.
        "type": f"urn:steller:error:{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def validation_errors(exc: RequestValidationError) -> list[dict]:
    """FastAPI's validation details as API.md's `errors: [{field, message}]` (field: dotted path)."""
    found = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        found.append({"field": ".".join(location) or None, "message": str(error.get("msg", "invalid"))})
    return found


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem(request, status=status_for(exc), code=exc.code, title=exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(request, status=422, code="validation_failed", title="The request is not valid",
                       errors=validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and str(exc.detail).startswith("There was an error parsing the body"):
            # FastAPI's own answer to a body that is not JSON (or not UTF-8): invalid input, like the rest.
            return problem(request, status=422, code="validation_failed", title="The request is not valid",
                           errors=[{"field": None, "message": "the body is not valid JSON in UTF-8"}])
        code = _CODE_BY_HTTP_STATUS.get(exc.status_code, f"http_{exc.status_code}")
        response = problem(request, status=exc.status_code, code=code, title=str(exc.detail))
        for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
            response.headers[name] = value
        return response



def _causes(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _database_unreachable(exc: BaseException) -> bool:
    """PostgreSQL is down or restarting, or the pool gave no connection: worth a retry, not a bug."""
    import asyncpg

    unreachable = (ConnectionError, OSError, TimeoutError, asyncpg.exceptions.CannotConnectNowError,
                   asyncpg.exceptions.ConnectionDoesNotExistError, asyncpg.exceptions.InterfaceError,
                   asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.TooManyConnectionsError)
    return any(isinstance(e, unreachable) for e in _causes(exc))


def _bad_data(exc: BaseException) -> bool:
    """PostgreSQL refused a value (SQLSTATE class 22: a NUL in text, a number beyond bigint…)."""
    import asyncpg

    return any(isinstance(e, asyncpg.exceptions.DataError) for e in _causes(exc)) or any(
        isinstance(e, OverflowError) for e in _causes(exc))


def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Called by the request middleware, so even a 500 carries the request id.

    Two kinds of failure are not ours to apologise for: the database being unreachable (503 with
    Retry-After; the pool reconnects by itself) and a value the database cannot hold (422).
    """
    if _database_unreachable(exc):
        log.warning("database_unreachable", path=request.url.path, error_type=type(exc).__name__)
        response = problem(request, status=503, code="unavailable", title="Service unavailable",
                           detail="The service is briefly unavailable; retry in a few seconds.")
        response.headers["Retry-After"] = "5"
        return response
    if _bad_data(exc):
        log.info("value_refused_by_database", path=request.url.path, error_type=type(exc).__name__)
        return problem(request, status=422, code="validation_failed", title="The request is not valid",
                       errors=[{"field": None, "message": "a value is out of range or holds a character "
                                                          "that cannot be stored (such as NUL)"}])
    # The traceback goes through the log redaction like every line (no codes, keys or secrets).
    log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc)
    return problem(request, status=500, code="internal", title="Internal error",
                   detail="Something went wrong on our side; quote the request id to support.")
