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
        code = _CODE_BY_HTTP_STATUS.get(exc.status_code, f"http_{exc.status_code}")
        response = problem(request, status=exc.status_code, code=code, title=str(exc.detail))
        for name, value in (exc.headers or {}).items():  # e.g. Allow on a 405
            response.headers[name] = value
        return response



def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Called by the request middleware, so even a 500 carries the request id."""
    # The traceback goes through the log redaction like every line (no codes, keys or secrets).
    log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc)
    return problem(request, status=500, code="internal", title="Internal error",
                   detail="Something went wrong on our side; quote the request id to support.")
