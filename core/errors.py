"""Domain errors: each carries a stable dotted code that the fronts map to a reply."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every rule the core refuses. `code` is stable; `message` is for people."""

    code: str = "error"

    def __init__(self, message: str | None = None, *, code: str | None = None, **details: Any):
        if code is not None:
            self.code = code
        self.message = message or self.code
        self.details = details
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class NotFound(DomainError):
    code = "not_found"


class PermissionDenied(DomainError):
    code = "permission_denied"


class ValidationFailed(DomainError):
    code = "validation_failed"


class Conflict(DomainError):
    code = "conflict"
