"""Who may open a workbench screen: an officer's session, and the roles each screen needs.

An officer's roles and agency come from identity at sign-in (and again at every token refresh),
so a screen can leave out what that officer may not do. They are only a courtesy: every API call
carries the officer's own token and the API decides.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from services.web.backends import ApiProblem
from services.web.deps import PageError, SignInRequired, access_token
from services.web.session import Session

ROLE_LABELS = {
    "registrar": "登记人员",
    "handler": "承办人",
    "reviewer": "审查人",
    "head": "负责人",
    "supervisor": "政务公开办",
    "admin": "系统管理员",
}

# The workbench's parts and who may open each (the APIs' own rules, for the navigation).
SECTIONS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/office/requests", "依申请公开", frozenset({"registrar", "handler", "reviewer", "head", "supervisor", "admin"})),
    ("/office/documents", "主动公开", frozenset({"registrar", "handler", "reviewer", "head", "supervisor", "admin"})),
    ("/office/supervision", "监督考核", frozenset({"supervisor", "admin"})),
    ("/office/admin", "系统管理", frozenset({"admin", "head"})),
)


def _next_path(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def officer_session(request: Request) -> Session:
    """The signed-in officer's session; anyone else is sent to the officers' sign-in page."""
    s: Session = request.state.session
    if not s.signed_in:
        raise SignInRequired(_next_path(request))
    if not s.is_officer:
        raise PageError(
            403,
            "仅限工作人员",
            "政务公开工作台仅供机关工作人员使用。如您是工作人员，请先退出当前账号，再从工作人员登录页登录。",
        )
    return s


OfficerSession = Annotated[Session, Depends(officer_session)]


def officer_with(*roles: str) -> Callable[[Request], Coroutine[Any, Any, str]]:
    """A dependency giving the access token of an officer holding one of `roles` (else a Chinese 403 page)."""

    async def dependency(request: Request) -> str:
        s = officer_session(request)
        if not s.has_any(*roles):
            names = "、".join(ROLE_LABELS.get(r, r) for r in roles)
            raise PageError(403, "无权访问", f"此页面仅供{names}使用。")
        return await access_token(request)

    return dependency


OfficerToken = Annotated[str, Depends(officer_with(*ROLE_LABELS))]


def sections_for(s: Session) -> list[tuple[str, str]]:
    return [(path, label) for path, label, roles in SECTIONS if s.has_any(*roles)]


def roles_in_words(s: Session) -> str:
    return "、".join(ROLE_LABELS.get(r, r) for r in s.roles)


def problem_errors(problem: ApiProblem, fields: tuple[str, ...] = ()) -> dict[str, str]:
    """An API's refusal as a form's errors: by the field the API names when the form has it, else for the form as a whole.

    Templates show `errors["form"]` at the top of the form (with id="form") and in the error summary.
    """
    found: dict[str, str] = {}
    for item in problem.errors:
        field = str(item.get("field") or "").split(".")[-1]
        if field in fields and field not in found:
            found[field] = str(item.get("message") or problem.detail)
    return found or {"form": problem.detail}
