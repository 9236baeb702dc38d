"""RFC 9457 problem details: every error leaves as application/problem+json with a stable `code`."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.context import current_correlation_id
from shared.db import database_unavailable

PROBLEM_JSON = "application/problem+json"
# How long a client should wait before retrying a call refused while the database was unavailable.
DATABASE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)

# Default Chinese detail for errors raised by the framework itself.
_DEFAULT_DETAIL = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthenticated", "需要有效的登录凭证"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "当前状态不允许此操作"),
    412: ("precondition_failed", "资源已被他人修改，请刷新后重试"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_failed", "提交的数据未通过校验"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
    503: ("unavailable", "服务暂不可用，请稍后再试"),
}


class Problem(Exception):
    """An error meant for the caller: HTTP status, stable machine code, Chinese detail."""

    def __init__(
        self, status: int, code: str, detail: str, *, title: str | None = None, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers
        self.extra = extra


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://gov-disclosure.example/problems/{code}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if cid := current_correlation_id():
        body["correlation_id"] = cid
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# Chinese wording for the validation errors callers meet most; others keep pydantic's text.
_VALIDATION_MESSAGES = {
    "missing": "必填项缺失",
    "string_too_short": "长度不足（至少 {min_length} 个字符）",
    "string_too_long": "长度超出（至多 {max_length} 个字符）",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "enum": "取值无效，可选：{expected}",
    "literal_error": "取值无效，可选：{expected}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为布尔值",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "greater_than_equal": "不得小于 {ge}",
    "less_than_equal": "不得大于 {le}",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "extra_forbidden": "不允许的字段",
    "uuid_parsing": "应为 UUID",
}


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _VALIDATION_MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", ""))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("（")[0].split("，")[0]


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error path of the app answer with problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status, exc.code, exc.detail, title=exc.title, instance=request.url.path, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_path(tuple(e.get("loc", ()))),
                "location": (e.get("loc") or ["body"])[0],
                "message": _message(e),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        fields = "、".join(dict.fromkeys(e["field"] for e in errors))
        return problem_response(422, "validation_failed", f"提交的数据未通过校验：{fields}", instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, default = _DEFAULT_DETAIL.get(exc.status_code, ("http_error", "请求未能完成"))
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else default
        return problem_response(exc.status_code, code, detail, instance=request.url.path, headers=getattr(exc, "headers", None))

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # Optimistic locking: someone else changed the row between our read and our write.
        return problem_response(412, "concurrent_modification", "资源已被他人同时修改，请刷新后重试", instance=request.url.path)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A check the handler did not make (or lost a race on): a duplicate key or a reference to nothing. The UoW rolls back.
        log.warning("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem_response(409, "integrity_conflict", "提交的数据与已有记录冲突，或引用的记录不存在", instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected_error_response(exc, request.method, request.url.path)


def unexpected_error_response(exc: BaseException, method: str | None, path: str | None) -> JSONResponse:
    """The answer to an exception no handler expected: 503 when the database is down or busy, else 500."""
    if database_unavailable(exc):
        # Down or busy, not wrong: nothing was committed, and the same call will succeed later.
        # 503 + Retry-After is what clients and gateways retry (with the same Idempotency-Key).
        log.warning("database unavailable on %s %s: %r", method, path, exc)
        return problem_response(
            503,
            "database_unavailable",
            "数据库暂时不可用，请稍后重试（您的提交未被保存）",
            instance=path,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    log.error("unhandled error on %s %s", method, path, exc_info=exc)
    return problem_response(500, "internal_error", _DEFAULT_DETAIL[500][1], instance=path)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": detail, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for status, (_, detail) in _DEFAULT_DETAIL.items()
    if status in (401, 403, 404, 409, 412, 422)
}
