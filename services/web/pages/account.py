"""Signing in by SMS code (a captcha with its text alternative, then the code) and signing out.

Every call to identity carries the person's address (X-Forwarded-For through Backends), so its
per-address limits count the person, not this site. The phone between the two steps stays in the
sealed session, never in a URL.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web import signin
from services.web.backends import ApiProblem
from services.web.deps import Api, CheckedForm, CurrentSession, client_ip, end_session, redirect, render, safe_next

router = APIRouter()


async def _phone_page(request: Request, api: Api, next_path: str, *, phone: str = "", errors: dict | None = None) -> Response:
    captcha = await api.post_json("identity", "/captcha", client_ip=client_ip(request))
    return render(
        request,
        "signin.html",
        {"title": "登录", "captcha": captcha, "values": {"phone": phone}, "errors": errors or {}, "next": next_path},
        status_code=400 if errors else 200,
    )


@router.get("/signin", summary="登录：手机号码和图形验证码（公开）")
async def signin_page(request: Request, api: Api, s: CurrentSession, next: str = "/my") -> Response:
    if s.signed_in:
        return redirect(safe_next(next, "/my"))
    return await _phone_page(request, api, safe_next(next, "/my"))


@router.post("/signin", summary="发送短信验证码（公开）")
async def send_code(request: Request, api: Api, s: CurrentSession, form: CheckedForm) -> Response:
    phone, answer = str(form.get("phone") or "").strip(), str(form.get("captcha_answer") or "").strip()
    next_path = safe_next(str(form.get("next") or ""), "/my")
    if errors := signin.check_phone_form(phone, answer):
        return await _phone_page(request, api, next_path, phone=phone, errors=errors)
    body = {"phone": signin.normalized(phone), "captcha_id": str(form.get("captcha_id") or "")[:36] or "-", "captcha_answer": answer}
    try:
        await api.post_json("identity", "/sms/send", body, client_ip=client_ip(request))
    except ApiProblem as problem:
        return await _phone_page(request, api, next_path, phone=phone, errors=signin.problem_by_field(problem, "captcha_answer"))
    s.set_flash(signin_phone=body["phone"], signin_next=next_path)
    return redirect("/signin/code")


@router.get("/signin/code", summary="登录：填写短信验证码（公开）")
async def code_page(request: Request, s: CurrentSession) -> Response:
    pending = s.flash or {}
    if "signin_phone" not in pending:
        return redirect("/signin")
    return render(
        request,
        "signin_code.html",
        {
            "title": "填写短信验证码",
            "phone_masked": signin.masked(pending["signin_phone"]),
            "next": pending.get("signin_next", "/my"),
            "errors": {},
        },
    )


@router.post("/signin/code", summary="短信验证码登录（公开）")
async def login(request: Request, api: Api, s: CurrentSession, form: CheckedForm) -> Response:
    pending = s.flash or {}
    if "signin_phone" not in pending:
        return redirect("/signin")
    code = str(form.get("code") or "").strip()
    errors = signin.check_code(code)
    if not errors:
        try:
            tokens = await api.post_json(
                "identity", "/sms/login", {"phone": pending["signin_phone"], "code": code}, client_ip=client_ip(request)
            )
        except ApiProblem as problem:
            errors = signin.problem_by_field(problem, "code")
    if errors:
        return render(
            request,
            "signin_code.html",
            {
                "title": "填写短信验证码",
                "phone_masked": signin.masked(pending["signin_phone"]),
                "next": pending.get("signin_next", "/my"),
                "errors": errors,
            },
            status_code=400,
        )
    s.pop_flash()
    s.sign_in(tokens, name=(tokens.get("account") or {}).get("name"), phone_masked=signin.masked(pending["signin_phone"]))
    s.sub = (tokens.get("account") or {}).get("id")
    return redirect(safe_next(pending.get("signin_next"), "/my"))


@router.post("/signout", summary="退出登录（已登录者）")
async def signout(request: Request, api: Api, s: CurrentSession, form: CheckedForm) -> Response:
    await end_session(request, api, s)
    return redirect("/")
