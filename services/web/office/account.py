"""Officers sign in (local account with password and, where enrolled, TOTP; or the county's single sign-on),
change their password, sign out, and land on the workbench's home page.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backends import ApiProblem, BackendUnavailable
from services.web.deps import Api, CheckedForm, CurrentSession, PageError, Settings, client_ip, end_session, redirect, render, safe_next
from services.web.office.deps import OfficerSession, OfficerToken, roles_in_words, sections_for
from services.web.session import Session

router = APIRouter()

# identity's problem codes -> the field the officer must change (anything else: the form as a whole).
_FIELD_OF_CODE = {"login_invalid": "password", "totp_required": "totp", "totp_invalid": "totp"}


def _office_next(value: str | None) -> str:
    path = safe_next(value, "/office/")
    return path if path.startswith("/office") else "/office/"


def _signin_page(request: Request, settings: Any, next_path: str, *, values: dict | None = None, errors: dict | None = None) -> Response:
    return render(
        request,
        "office/signin.html",
        {"title": "工作人员登录", "values": values or {}, "errors": errors or {}, "next": next_path, "sso": settings.office_sso},
        status_code=400 if errors else 200,
    )


async def _start(request: Request, api: Api, s: Session, tokens: dict[str, Any]) -> None:
    account = tokens.get("account") or {}
    if account.get("kind") != "officer":
        raise ApiProblem(403, "officers_only", "该账号不是工作人员账号，请使用工作人员账号登录")
    s.sign_in(tokens, name=account.get("name"), phone_masked=None)
    s.sub = account.get("id")
    if s.agency_id:
        try:
            s.agency_name = (await api.get_json("catalog", f"/agencies/{quote(s.agency_id, safe='')}"))["name"]
        except (ApiProblem, BackendUnavailable, KeyError):
            s.agency_name = None


@router.get("/office/signin", summary="工作人员登录页（公开）")
async def signin_page(request: Request, s: CurrentSession, settings: Settings, next: str = "/office/") -> Response:
    if s.is_officer:
        return redirect(_office_next(next))
    return _signin_page(request, settings, _office_next(next))


@router.post("/office/signin", summary="工作人员本地账号登录（公开）")
async def signin(request: Request, api: Api, s: CurrentSession, settings: Settings, form: CheckedForm) -> Response:
    values = {name: str(form.get(name) or "").strip() for name in ("username", "totp")}
    password = str(form.get("password") or "")
    next_path = _office_next(str(form.get("next") or ""))
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "请填写用户名"
    if not password:
        errors["password"] = "请填写密码"
    if values["totp"] and not (values["totp"].isdigit() and len(values["totp"]) == 6):
        errors["totp"] = "动态口令为 6 位数字"
    if not errors:
        body = {"username": values["username"][:64], "password": password[:256], "totp": values["totp"] or None}
        try:
            await _start(request, api, s, await api.post_json("identity", "/password/login", body, client_ip=client_ip(request)))
        except ApiProblem as problem:
            errors = {_FIELD_OF_CODE.get(problem.code, "form"): problem.detail}
    if errors:
        values.pop("totp", None)  # a one-time code is never written back into the page
        return _signin_page(request, settings, next_path, values=values, errors=errors)
    return redirect(next_path)


def _callback_url(request: Request, settings: Any, provider: str) -> str:
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    return f"{base}/office/sso/{quote(provider, safe='')}/callback"


@router.get("/office/sso/{provider}", summary="工作人员单点登录：转到本县认证系统（公开）")
async def sso_start(request: Request, provider: str, api: Api, s: CurrentSession, settings: Settings, next: str = "/office/") -> Response:
    if provider not in settings.office_sso:
        raise PageError(404, "未找到", "没有这个单点登录入口。")
    resp = await api.call(
        "identity",
        "GET",
        f"/oidc/{quote(provider, safe='')}/authorize",
        params={"redirect_uri": _callback_url(request, settings, provider)},
        client_ip=client_ip(request),
        follow_redirects=False,
    )
    location = resp.headers.get("location")
    if not location:
        raise PageError(503, "单点登录暂时不可用", "认证系统没有给出登录地址，请稍后再试或使用本地账号登录。")
    # The state comes back only to the browser that started: a callback opened anywhere else (an attacker's own
    # code and state, RFC 6749 §10.12) must not sign that browser in as someone else.
    s.sso_state = (parse_qs(urlsplit(location).query).get("state") or [None])[0]
    s.sso_next = _office_next(next)  # where the officer was going when asked to sign in
    s.changed = True
    return redirect(location, status_code=302)


@router.get("/office/sso/{provider}/callback", summary="工作人员单点登录：认证系统带回登录结果（公开）")
async def sso_callback(
    request: Request, provider: str, api: Api, s: CurrentSession, settings: Settings, code: str = "", state: str = "", error: str = ""
) -> Response:
    if provider not in settings.office_sso:
        raise PageError(404, "未找到", "没有这个单点登录入口。")
    started, s.sso_state, s.changed = s.sso_state, None, True
    next_path, s.sso_next = _office_next(s.sso_next), None
    if error or not code or not state:
        return _signin_page(request, settings, next_path, errors={"form": "单点登录未完成：认证系统没有确认您的身份，请重试。"})
    if not started or not hmac.compare_digest(started.encode(), state.encode()):
        return _signin_page(request, settings, next_path, errors={"form": "本次单点登录不是在此浏览器中发起的，请在本页重新登录。"})
    try:
        tokens = await api.post_json(
            "identity",
            f"/oidc/{quote(provider, safe='')}/callback",
            {"code": code[:2048], "state": state[:64]},
            client_ip=client_ip(request),
        )
        await _start(request, api, s, tokens)
    except ApiProblem as problem:
        return _signin_page(request, settings, next_path, errors={"form": problem.detail})
    return redirect(next_path)


@router.post("/office/signout", summary="工作人员退出登录（已登录者）")
async def signout(request: Request, api: Api, s: CurrentSession, form: CheckedForm) -> Response:
    await end_session(request, api, s)
    s.set_flash(notice="您已退出工作台。")
    return redirect("/office/signin")


@router.get("/office/", summary="工作台首页（工作人员）")
async def home(request: Request, s: OfficerSession, token: OfficerToken) -> Response:
    return render(request, "office/home.html", {"title": "工作台", "sections": sections_for(s), "roles_text": roles_in_words(s)})


@router.get("/office", include_in_schema=False)
async def home_slash() -> Response:
    return redirect("/office/", status_code=308)


@router.get("/office/password", summary="修改本人密码（本地账号工作人员）")
async def password_page(request: Request, s: OfficerSession, token: OfficerToken) -> Response:
    return render(request, "office/password.html", {"title": "修改密码", "errors": {}})


@router.post("/office/password", summary="修改本人密码（本地账号工作人员）")
async def change_password(request: Request, api: Api, s: OfficerSession, token: OfficerToken, form: CheckedForm) -> Response:
    current, new, again = (str(form.get(n) or "") for n in ("current_password", "new_password", "new_password_again"))
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "请填写原密码"
    if not new:
        errors["new_password"] = "请填写新密码"
    elif new != again:
        errors["new_password_again"] = "两次填写的新密码不一致"
    if not errors:
        body = {"current_password": current[:256], "new_password": new[:256]}
        try:
            await api.call("identity", "POST", "/password/change", json=body, token=token, client_ip=client_ip(request))
        except ApiProblem as problem:
            field = "current_password" if problem.code in ("login_invalid", "login_locked") else "new_password"
            errors = {field: problem.detail}
    if errors:
        return render(request, "office/password.html", {"title": "修改密码", "errors": errors}, status_code=400)
    s.set_flash(notice="密码已修改。下次登录请使用新密码。")
    return redirect("/office/")
