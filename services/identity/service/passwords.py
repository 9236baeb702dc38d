"""Local accounts for counties without single sign-on: argon2id passwords, lockout, TOTP for admins.

The answer to a wrong password is the same whether or not the username exists, and both are
counted: known usernames on their credential row, unknown ones in the rate limiter, so a
locked-out guesser cannot tell the two apart. A TOTP code works once (its time step is kept).
"""

from __future__ import annotations

import hmac
import math
import time
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from services.identity.adapters.orm import Account, LocalCredential, Officer, OfficerRole
from services.identity.adapters.repository import AccountRepository
from services.identity.adapters.signin import CredentialRepository
from services.identity.service.directory import keepable, scope_of
from services.identity.settings import IdentitySettings
from shared.auth import Principal, Role, unauthenticated
from shared.contracts.identity import OfficerChanged, OfficerMembership
from shared.db import utcnow
from shared.errors import Problem
from shared.events import Actor
from shared.ratelimit import RateLimiter
from shared.sealing import seal, unseal
from shared.uow import UnitOfWork

TOTP_PURPOSE = "totp"


def hasher(settings: IdentitySettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.password_hash_time_cost, memory_cost=settings.password_hash_memory_kib, parallelism=2, type=Type.ID
    )


def hash_password(settings: IdentitySettings, password: str) -> str:
    if len(password) < settings.password_min_length:
        raise Problem(400, "password_too_short", f"密码至少需要 {settings.password_min_length} 个字符")
    return hasher(settings).hash(password)


def _invalid() -> Problem:
    return unauthenticated("login_invalid", "用户名、密码或动态口令错误")


def _locked(seconds: int) -> Problem:
    seconds = max(1, seconds)
    return Problem(
        429,
        "login_locked",
        f"连续输错次数过多，账号已暂时锁定，请 {math.ceil(seconds / 60)} 分钟后再试",
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


def _unknown_limit(settings: IdentitySettings) -> str:
    return f"{settings.password_max_failures}/{settings.password_lockout_seconds} second"


# Verifying against this keeps an unknown username as slow as a known one.
_DUMMY: dict[tuple[int, int], str] = {}


def _dummy_hash(settings: IdentitySettings) -> str:
    key = (settings.password_hash_time_cost, settings.password_hash_memory_kib)
    if key not in _DUMMY:
        _DUMMY[key] = hasher(settings).hash("not-a-password-of-anyone")
    return _DUMMY[key]


def new_totp_secret(settings: IdentitySettings, credential: LocalCredential) -> str:
    """Give the credential a fresh, unconfirmed TOTP seed (sealed at rest); returns the otpauth URI."""
    secret = pyotp.random_base32()
    credential.totp_secret = seal(settings.key_encryption_key.get_secret_value(), TOTP_PURPOSE, secret.encode())
    credential.totp_confirmed_at = None
    credential.totp_last_step = None
    return pyotp.TOTP(secret).provisioning_uri(name=credential.username, issuer_name=settings.totp_issuer)


def _totp_step(settings: IdentitySettings, credential: LocalCredential, code: str | None) -> int | None:
    """The time step `code` belongs to (now ±1 step), if it is right and newer than the last one used."""
    if not code or not credential.totp_secret:
        return None
    secret = unseal(settings.key_encryption_key.get_secret_value(), TOTP_PURPOSE, credential.totp_secret).decode()
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and step > (credential.totp_last_step or -1):
            return step
    return None


async def _fail(uow: UnitOfWork, settings: IdentitySettings, credential: LocalCredential) -> Problem:
    """Count a wrong try (committed: the refusal rolls the rest back) and say so."""
    credential.failed_attempts += 1
    if credential.failed_attempts >= settings.password_max_failures:
        credential.failed_attempts = 0
        credential.locked_until = utcnow() + timedelta(seconds=settings.password_lockout_seconds)
    await uow.commit()
    return _invalid()


async def password_login(
    uow: UnitOfWork, settings: IdentitySettings, limiter: RateLimiter, *, username: str, password: str, totp: str | None
) -> tuple[Account, str]:
    """Check a username, password and (when enrolled, and always for admins) a TOTP code; returns the account and methods."""
    credentials = CredentialRepository(uow.session)
    credential = await credentials.by_username(username)
    now = utcnow()
    if credential is None:
        keys = ("pwd-unknown", username.casefold())
        if (wait := await limiter.retry_after([(_unknown_limit(settings), keys)])) is not None:
            raise _locked(wait)
        try:
            hasher(settings).verify(_dummy_hash(settings), password)
        except VerificationError:
            pass
        await limiter.enforce([(_unknown_limit(settings), keys)], code="login_locked", detail="连续输错次数过多")
        raise _invalid()
    if credential.locked_until is not None and credential.locked_until > now:
        raise _locked(math.ceil((credential.locked_until - now).total_seconds()))
    ph = hasher(settings)
    try:
        ph.verify(credential.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise await _fail(uow, settings, credential) from None  # the hash's details are nobody's business
    methods = "pwd"
    is_admin = await credentials.is_admin(credential.account_id)
    if is_admin or credential.totp_confirmed_at is not None:
        if not credential.totp_secret:
            raise Problem(
                403, "totp_enrolment_required", "系统管理员必须使用动态口令登录，请由其他管理员或运维人员用命令行为您登记动态口令"
            )
        if not totp:
            raise unauthenticated("totp_required", "请输入动态口令应用中显示的 6 位数字")
        step = _totp_step(settings, credential, totp)
        if step is None:
            raise await _fail(uow, settings, credential)
        credential.totp_last_step = step
        if credential.totp_confirmed_at is None:  # the first code from the seed the CLI handed out
            credential.totp_confirmed_at = now
        methods = "pwd+otp"
    credential.failed_attempts = 0
    credential.locked_until = None
    if ph.check_needs_rehash(credential.password_hash):
        credential.password_hash = ph.hash(password)
    # Committed now: the code stays spent even if the session is then refused (agency, disabled).
    await uow.commit()
    account = await AccountRepository(uow.session).get(credential.account_id)
    if account is None:
        raise _invalid()
    return account, methods


async def start_totp_enrolment(uow: UnitOfWork, settings: IdentitySettings, account_id: str) -> str:
    """A new seed for an officer who has none confirmed yet; the otpauth URI to scan."""
    credential = await CredentialRepository(uow.session).get(account_id)
    if credential is None:
        raise Problem(404, "no_local_credential", "您没有本地账号，无需登记动态口令")
    if credential.totp_confirmed_at is not None:
        raise Problem(409, "totp_already_enrolled", "您已登记动态口令；如需更换，请联系系统管理员")
    return new_totp_secret(settings, credential)


async def confirm_totp_enrolment(uow: UnitOfWork, settings: IdentitySettings, account_id: str, code: str) -> None:
    """Confirm the seed with a code from the app: from then on every login asks for one."""
    credential = await CredentialRepository(uow.session).get(account_id)
    if credential is None or credential.totp_secret is None:
        raise Problem(409, "totp_not_started", "请先开始登记动态口令")
    if credential.totp_confirmed_at is not None:
        raise Problem(409, "totp_already_enrolled", "您已登记动态口令")
    step = _totp_step(settings, credential, code)
    if step is None:
        raise Problem(400, "totp_invalid", "动态口令不正确，请核对手机时间后重试")
    credential.totp_last_step = step
    credential.totp_confirmed_at = utcnow()


async def create_local_admin(
    uow: UnitOfWork, settings: IdentitySettings, *, username: str, password: str, name: str, agency_id: str
) -> tuple[Account, str]:
    """An admin officer with a local credential and a TOTP seed to enrol; returns it and the otpauth URI."""
    credentials = CredentialRepository(uow.session)
    if await credentials.by_username(username) is not None:
        raise Problem(409, "username_taken", "该用户名已被使用")
    password_hash = hash_password(settings, password)
    account = Account(kind="officer", display_name=name, status="active")
    uow.session.add(account)
    await uow.session.flush()
    officer = Officer(account_id=account.id, name=name, status="active")
    uow.session.add(officer)
    await uow.session.flush()
    uow.session.add(OfficerRole(account_id=account.id, agency_id=agency_id, role="admin"))
    credential = LocalCredential(account_id=account.id, username=username, password_hash=password_hash, failed_attempts=0)
    uri = new_totp_secret(settings, credential)
    credentials.add(credential)
    event = OfficerChanged(
        officer_id=account.id,
        name=name,
        status="active",
        version=officer.version,
        memberships=[OfficerMembership(agency_id=agency_id, roles=["admin"])],
    )
    uow.emit(
        event.topic, event.envelope(source="identity", aggregate_id=account.id, agency_id=agency_id, actor=Actor.system("cli:create-admin"))
    )
    return account, uri


async def set_local_password(
    uow: UnitOfWork, settings: IdentitySettings, principal: Principal, account_id: str, *, username: str, password: str
) -> str | None:
    """Give a directory officer a local login (or reset its password); returns a TOTP seed URI for an admin still to enrol.

    Only for counties without single sign-on, or for officers outside it. Who may do it is the
    directory's rule (an admin; a head within the subtree, never for an admin). A reset unlocks the
    account; the officer should change the password at first sign-in.
    """
    scope = await scope_of(uow, principal)
    view = await keepable(uow, principal, scope, account_id)
    if view.officer.status != "active":
        raise Problem(409, "officer_disabled", "该工作人员已停用，请先启用再设置密码")
    credentials = CredentialRepository(uow.session)
    other = await credentials.by_username(username)
    if other is not None and other.account_id != account_id:
        raise Problem(409, "username_taken", "该用户名已被使用")
    if username.casefold() in password.casefold():
        raise Problem(400, "password_contains_username", "密码不得包含用户名")
    password_hash = hash_password(settings, password)
    credential = await credentials.get(account_id)
    if credential is None:
        credential = LocalCredential(account_id=account_id, username=username, password_hash=password_hash, failed_attempts=0)
        credentials.add(credential)
    else:
        credential.username, credential.password_hash = username, password_hash
    credential.failed_attempts, credential.locked_until, credential.password_changed_at = 0, None, utcnow()
    if any(Role.admin.value in roles for roles in view.memberships.values()) and credential.totp_confirmed_at is None:
        return new_totp_secret(settings, credential)
    return None


async def change_own_password(uow: UnitOfWork, settings: IdentitySettings, account_id: str, *, current: str, new: str) -> None:
    """The officer's own change: the current password first (wrong tries count toward the lockout)."""
    credential = await CredentialRepository(uow.session).get(account_id)
    if credential is None:
        raise Problem(409, "no_local_password", "您的账号使用单点登录，没有本地密码")
    if credential.locked_until is not None and credential.locked_until > utcnow():
        raise _locked(math.ceil((credential.locked_until - utcnow()).total_seconds()))
    try:
        hasher(settings).verify(credential.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise await _fail(uow, settings, credential) from None
    if current == new:
        raise Problem(400, "password_unchanged", "新密码不能与原密码相同")
    if credential.username.casefold() in new.casefold():
        raise Problem(400, "password_contains_username", "密码不得包含用户名")
    credential.password_hash = hash_password(settings, new)
    credential.failed_attempts, credential.password_changed_at = 0, utcnow()
