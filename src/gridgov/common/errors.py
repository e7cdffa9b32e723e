"""Application errors: each carries an HTTP status, a machine code, a Chinese message and the field at fault."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class ErrorDetail(BaseModel):
    """The body's `error`: a machine code, a Chinese message, the field at fault; some errors add their own keys
    (an illegal transition lists the allowed actions, a validation error lists every field)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="机器可读的错误码，如 invalid_input、not_found、illegal_transition")
    message: str = Field(description="中文错误说明")
    field: str | None = Field(default=None, description="出错的字段")


class ErrorBody(BaseModel):
    """Every error response of the API: {"error": {code, message, field, ...}}."""

    error: ErrorDetail


# The statuses an AppError may answer, with what each means to a client.
ERROR_STATUSES: dict[int, str] = {
    AppError.status: "请求无效",
    NotAuthenticated.status: "未登录或凭证无效",
    Forbidden.status: "无权执行此操作或对象不在管辖范围内",
    NotFound.status: "对象不存在或不在可见范围内",
    Conflict.status: "状态冲突（如不允许的流转，列出允许的动作）",
    TooLarge.status: "请求体或上传文件过大",
    InvalidInput.status: "输入无效（指明字段）",
    429: "请求过于频繁",
}
