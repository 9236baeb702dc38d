"""SMS-code login for websites: a captcha first, then a 6-digit code that works once.

Codes come from `secrets`, are kept only as an HMAC (keyed by the deployment's key and bound to
the phone), live `sms_code_ttl_seconds`, and die after `sms_code_max_attempts` wrong tries. The
reply to a send is the same whether or not the phone has an account. Limits bite before the
provider's own (Aliyun: 1 a minute, 5 an hour, 10 a day per phone).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from services.identity.adapters.orm import Account, Captcha, SmsCode
from services.identity.adapters.repository import AccountRepository
from services.identity.adapters.sms import CodeSender
from services.identity.settings import IdentitySettings
from shared.db import utcnow
from shared.errors import Problem
from shared.ratelimit import RateLimiter
from shared.uow import UnitOfWork

CAPTCHA_TTL = timedelta(minutes=5)
_DIGITS = "零一二三四五六七八九"


def _hash(settings: IdentitySettings, purpose: str, *parts: str) -> str:
    key = settings.key_encryption_key.get_secret_value().encode()
    return hmac.new(key, "|".join((purpose, *parts)).encode(), hashlib.sha256).hexdigest()


def _image(text: str) -> str:
    from captcha.image import ImageCaptcha

    png = ImageCaptcha(width=200, height=70).generate(text).getvalue()
    return "data:image/png;base64," + base64.b64encode(png).decode()


async def new_captcha(uow: UnitOfWork, settings: IdentitySettings) -> dict:
    """An arithmetic challenge as an image and as text (the accessible alternative), one answer."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    row = Captcha(answer_hash="", created_at=utcnow(), expires_at=utcnow() + CAPTCHA_TTL)
    uow.session.add(row)
    await uow.session.flush()
    row.answer_hash = _hash(settings, "captcha", row.id, str(a + b))
    return {
        "captcha_id": row.id,
        "image": _image(f"{a}+{b}=?"),
        "text_challenge": f"请计算：{_DIGITS[a]}加{_DIGITS[b]}等于几？（请用阿拉伯数字作答）",
        "expires_in": int(CAPTCHA_TTL.total_seconds()),
    }


async def _spend_captcha(uow: UnitOfWork, settings: IdentitySettings, captcha_id: str, answer: str) -> None:
    row = await uow.session.get(Captcha, captcha_id, with_for_update=True)
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Problem(400, "captcha_invalid", "图形验证码已失效，请刷新后重新作答")
    row.used_at = now  # one try per challenge, right or wrong
    if not hmac.compare_digest(row.answer_hash, _hash(settings, "captcha", row.id, answer.strip())):
        await uow.commit()
        raise Problem(400, "captcha_wrong", "图形验证码答案不正确，请刷新后重新作答")


async def send_code(
    uow: UnitOfWork,
    settings: IdentitySettings,
    limiter: RateLimiter,
    sender: CodeSender,
    *,
    phone: str,
    captcha_id: str,
    captcha_answer: str,
    ip: str,
) -> None:
    """Check the captcha and the limits, store a fresh code (superseding older ones), send it."""
    await _spend_captcha(uow, settings, captcha_id, captcha_answer)
    await limiter.enforce(
        [
            ("1/minute", ("sms-phone", phone)),
            ("5/hour", ("sms-phone", phone)),
            ("10/day", ("sms-phone", phone)),
            (f"{settings.sms_per_ip_per_hour}/hour", ("sms-ip", ip)),
            (f"{settings.sms_daily_budget}/day", ("sms-all",)),
        ],
        code="sms_rate_limited",
        detail="验证码发送过于频繁",
    )
    now = utcnow()
    await uow.session.execute(update(SmsCode).where(SmsCode.phone == phone, SmsCode.consumed_at.is_(None)).values(consumed_at=now))
    code = f"{secrets.randbelow(10**6):06d}"
    uow.session.add(
        SmsCode(
            phone=phone,
            code_hash=_hash(settings, "sms", phone, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.sms_code_ttl_seconds),
        )
    )
    # Committed before sending: a code that was sent always exists; the provider call holds no transaction.
    await uow.commit()
    await sender.send_code(phone, code, settings.sms_code_ttl_seconds // 60)


async def verify_code(uow: UnitOfWork, settings: IdentitySettings, limiter: RateLimiter, *, phone: str, code: str, ip: str) -> Account:
    """Spend a right code and return the phone's account (made on first login); count a wrong one."""
    await limiter.enforce([("30/hour", ("sms-login-ip", ip))], code="login_rate_limited", detail="登录尝试过于频繁")
    stmt = (
        select(SmsCode)
        .where(SmsCode.phone == phone, SmsCode.consumed_at.is_(None))
        .order_by(SmsCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    row = (await uow.session.execute(stmt)).scalar_one_or_none()
    now = utcnow()
    if row is None:
        raise Problem(400, "sms_code_invalid", "验证码不正确或已失效，请重新获取")
    if row.expires_at <= now:
        raise Problem(400, "sms_code_expired", "验证码已过期，请重新获取")
    if row.attempts >= settings.sms_code_max_attempts:
        raise Problem(400, "sms_code_exhausted", "验证码输错次数过多，已失效，请重新获取")
    if not hmac.compare_digest(row.code_hash, _hash(settings, "sms", phone, code)):
        row.attempts += 1
        await uow.commit()
        if row.attempts >= settings.sms_code_max_attempts:
            raise Problem(400, "sms_code_exhausted", "验证码输错次数过多，已失效，请重新获取")
        raise Problem(400, "sms_code_invalid", f"验证码不正确，还可再试 {settings.sms_code_max_attempts - row.attempts} 次")
    row.consumed_at = now
    accounts = AccountRepository(uow.session)
    account = await accounts.by_phone(phone)
    if account is None:
        account = Account(kind="citizen", phone=phone, status="active", created_at=now, updated_at=now)
        accounts.add(account)
        await accounts.flush()
    elif account.status == "merged" and account.merged_into:
        account = await accounts.get(account.merged_into) or account
    return account
