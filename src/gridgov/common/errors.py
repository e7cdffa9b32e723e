"""Application errors: each carries an HTTP status, a machine code, a Chinese message and the field at fault."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class InvalidInput(AppError):
    status = 422
    code = "invalid_input"


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, message: str, *, allowed: list[str], status_now: str) -> None:
        super().__init__(message, allowed=allowed, status=status_now)


class TooLarge(AppError):
    status = 413
    code = "too_large"
