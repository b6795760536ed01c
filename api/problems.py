"""Domain errors → RFC 9457 problem+json. No stack trace ever leaves the process."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from core.logging import get_logger

log = get_logger("api.problems")

_STATUS_BY_CODE = {
    "ledger.insufficient_funds": 402,
    "order.insufficient_funds": 402,
    "party.inactive": 403,
    "rate_limited": 429,
}


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
        "type": f"https://docs.steller.dev/errors/{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return problem(request, status=status_for(exc), code=exc.code, title=exc.message)



def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Called by the request middleware, so even a 500 carries the request id."""
    log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem(request, status=500, code="internal", title="Internal error",
                   detail="Something went wrong on our side; quote the request id to support.")
