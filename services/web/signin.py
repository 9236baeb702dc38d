"""Signing in by SMS code: what the site checks before asking identity, and where identity's problems are shown."""

from __future__ import annotations

import re

from services.web.backends import ApiProblem
from shared.validators import is_valid_mobile, mask_mobile, normalize_mobile

# identity's problem codes -> the field the person must change (anything else: the form as a whole).
_FIELD_OF_CODE = {
    "captcha_invalid": "captcha_answer",
    "captcha_wrong": "captcha_answer",
    "sms_rate_limited": "phone",
    "sms_code_invalid": "code",
    "sms_code_expired": "code",
    "sms_code_exhausted": "code",
    "login_rate_limited": "code",
}


def check_phone_form(phone: str, answer: str) -> dict[str, str]:
    errors = {}
    if not phone:
        errors["phone"] = "请填写手机号码"
    elif not is_valid_mobile(normalize_mobile(phone)):
        errors["phone"] = "请输入 11 位中国大陆手机号码，例如 13800138000"
    if not answer:
        errors["captcha_answer"] = "请填写验证题的答案"
    elif not re.fullmatch(r"\d{1,8}", answer):
        errors["captcha_answer"] = "请用阿拉伯数字作答，例如 12"
    return errors


def check_code(code: str) -> dict[str, str]:
    if not code:
        return {"code": "请填写短信验证码"}
    if not re.fullmatch(r"\d{6}", code):
        return {"code": "短信验证码为 6 位数字"}
    return {}


def problem_by_field(problem: ApiProblem, default_field: str) -> dict[str, str]:
    """identity's Chinese detail next to the field it concerns (a 429 already says how long to wait)."""
    if problem.errors:
        field = str(problem.errors[0].get("field") or default_field)
        message = str(problem.errors[0].get("message") or problem.detail)
        return {field if field in ("phone", "captcha_answer", "code") else default_field: message}
    return {_FIELD_OF_CODE.get(problem.code, default_field): problem.detail}


def normalized(phone: str) -> str:
    return normalize_mobile(phone)


def masked(phone: str) -> str:
    return mask_mobile(phone)
