"""Identity settings: environment variables prefixed `IDENTITY_`."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached

# Encrypts the signing keys at rest in the embedded default; production must bring its own (a Secret).
DEV_KEY_ENCRYPTION_KEY = "dev-only-key-encryption-key-change-me"
# A service client's id becomes its tokens' `sub` ("service:<id>"): short, no spaces, no colon.
SERVICE_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SERVICE_CLIENT_SECRET_MIN_LENGTH = 32


class OidcProvider(BaseModel):
    """One county single sign-on provider (Keycloak, Casdoor or any OpenID Connect issuer)."""

    name: str = Field(description="提供方标识，用在登录地址中，如 county-keycloak")
    issuer: str = Field(description="签发者（iss），其 /.well-known/openid-configuration 可访问")
    client_id: str
    client_secret: SecretStr | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    # How the provider's claims become our roles and agency; without a mapping the officer
    # directory decides, by the provider's subject linked to an officer.
    roles_claim: str | None = Field(None, description="角色所在的声明路径，如 realm_access.roles 或 roles（Casdoor 的对象取 .name）")
    role_map: dict[str, str] = Field(default_factory=dict, description="提供方角色 → 本平台角色")
    agency_claim: str | None = Field(None, description="机关 ID 所在的声明路径")
    redirect_uris: list[str] = Field(default_factory=list, description="允许的回调地址（为空时由提供方按其登记的地址校验）")

    @property
    def maps_claims(self) -> bool:
        return bool(self.roles_claim)


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    service_name: str = "identity"
    port: int = 8005
    database_url: str = "sqlite+aiosqlite:///var/identity.db"

    public_url: str = Field("http://127.0.0.1:8005", description="本服务对外地址：令牌的签发者（iss）与发现文档中的地址都由它生成")
    token_audience: str = Field("gov-disclosure", description="签发令牌的受众（aud），各服务的 JWT_AUDIENCE 与之相同")
    access_token_ttl_seconds: int = Field(900, ge=60, le=3600, description="访问令牌有效期（秒），约 15 分钟")
    refresh_token_ttl_seconds: int = Field(30 * 86400, ge=3600, description="刷新令牌有效期（秒）；每次使用都会轮换")
    key_encryption_key: SecretStr = Field(
        SecretStr(DEV_KEY_ENCRYPTION_KEY), description="加密数据库中签名私钥的主密钥（生产环境来自 Secret，至少 32 个字符）"
    )
    signing_key_rotation_days: int = Field(30, ge=1, description="签名密钥自动轮换周期（天）；旧密钥在其签发的令牌全部过期前仍留在公钥集中")
    key_refresh_seconds: float = Field(30.0, gt=0, description="各副本重新读取签名密钥的间隔（秒），以便看到其他副本的轮换")
    dev_tokens: bool = Field(
        False, description="开放 POST /dev/tokens 供 make token 签发任意角色的令牌（仅开发环境、仅本机调用；生产拒绝）"
    )

    # Machine-to-machine: the platform's other services get short-lived tokens of role `service`
    # through the OAuth 2.0 client credentials grant (POST /oauth/token).
    service_clients: dict[str, SecretStr] = Field(
        default_factory=dict,
        description=(
            "可以用 client_credentials 换取服务令牌的本平台其他服务（JSON 对象：客户端标识 → 客户端密钥，如"
            ' {"notify": "…"}）；为空时一律拒绝；生产环境每个密钥至少 32 个字符，来自 Secret'
        ),
    )
    service_token_ttl_seconds: int = Field(300, ge=60, le=3600, description="服务令牌有效期（秒），约 5 分钟；不发刷新令牌，到期后重新换取")

    # WeChat mini-program (小程序)
    wechat_appid: str = Field("", description="小程序 AppID")
    wechat_secret: SecretStr = Field(SecretStr(""), description="小程序 AppSecret")
    wechat_api_base: str = Field("https://api.weixin.qq.com", description="微信接口地址（测试中指向本机模拟服务器）")

    # SMS verification codes (短信验证码)
    sms_sender: Literal["dev_outbox", "aliyun"] = Field(
        "dev_outbox", description="验证码短信发送方式：dev_outbox（写入文件，仅开发）或 aliyun（阿里云短信）"
    )
    sms_outbox_path: str = Field("var/sms-outbox.jsonl", description="开发用短信发件箱：每条短信追加一行 JSON")
    aliyun_sms_endpoint: str = Field("https://dysmsapi.aliyuncs.com", description="阿里云短信接口地址")
    aliyun_access_key_id: str = Field("", description="阿里云 AccessKey ID")
    aliyun_access_key_secret: SecretStr = Field(SecretStr(""), description="阿里云 AccessKey Secret")
    aliyun_sms_sign_name: str = Field("", description="短信签名")
    aliyun_sms_template_code: str = Field("", description="验证码短信模板（参数 code）")
    sms_code_ttl_seconds: int = Field(300, description="验证码有效期（秒）")
    sms_code_max_attempts: int = Field(5, description="验证码输错几次后作废")
    sms_daily_budget: int = Field(10_000, description="全平台每日验证码短信总量上限")
    sms_per_ip_per_hour: int = Field(20, description="同一 IP 每小时可请求的验证码数")

    # Rate limits (the `limits` library): memory in the embedded default, Redis in production.
    rate_limit_storage: str = Field("memory://", description="限流计数存储：memory://（单进程）或 redis://host:6379/0（多副本共享）")

    # Officers
    oidc_providers: list[OidcProvider] = Field(
        default_factory=list,
        description="单点登录提供方（JSON 列表：name、issuer、client_id、client_secret、roles_claim、role_map、agency_claim）",
    )
    password_max_failures: int = Field(5, description="本地账号连续输错密码几次后锁定")
    password_lockout_seconds: int = Field(900, description="锁定时长（秒）")
    password_hash_time_cost: int = Field(3, ge=1, description="argon2id 迭代次数；调高后旧哈希在下次登录时重算")
    password_hash_memory_kib: int = Field(65536, ge=8192, description="argon2id 内存（KiB）；调高后旧哈希在下次登录时重算")
    password_min_length: int = Field(12, ge=8, description="本地账号密码最短长度")
    totp_issuer: str = Field("政府信息公开平台", description="动态口令应用中显示的名称")

    @field_validator("service_clients")
    @classmethod
    def _check_service_clients(cls, clients: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for client_id, secret in clients.items():
            if not SERVICE_CLIENT_ID.fullmatch(client_id):
                raise ValueError(
                    f"IDENTITY_SERVICE_CLIENTS 中的客户端标识 {client_id!r} 无效：只能由字母、数字、点、下划线和连字符组成，最长 64 个字符"
                )
            if not secret.get_secret_value():
                raise ValueError(f"IDENTITY_SERVICE_CLIENTS 中客户端 {client_id} 的密钥为空")
        return clients

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> IdentitySettings:
        # Same name as the base check, so it replaces it: this service verifies tokens with its own
        # key ring, issuer and audience (app.py), never with the JWT_* settings the base check is about.
        return self

    @model_validator(mode="after")
    def _refuse_dev_keys_in_production(self) -> IdentitySettings:
        if self.environment == "production":
            kek = self.key_encryption_key.get_secret_value()
            if kek == DEV_KEY_ENCRYPTION_KEY or len(kek) < 32:
                raise ValueError("生产环境必须配置 IDENTITY_KEY_ENCRYPTION_KEY（至少 32 个字符，来自 Secret）")
            if self.sms_sender == "dev_outbox":
                raise ValueError("生产环境不得使用开发用短信发件箱：请配置 IDENTITY_SMS_SENDER=aliyun")
            if self.sms_sender == "aliyun":
                missing = [
                    name
                    for name, value in (
                        ("IDENTITY_ALIYUN_ACCESS_KEY_ID", self.aliyun_access_key_id),
                        ("IDENTITY_ALIYUN_ACCESS_KEY_SECRET", self.aliyun_access_key_secret.get_secret_value()),
                        ("IDENTITY_ALIYUN_SMS_SIGN_NAME", self.aliyun_sms_sign_name),
                        ("IDENTITY_ALIYUN_SMS_TEMPLATE_CODE", self.aliyun_sms_template_code),
                    )
                    if not value.strip()
                ]
                if missing:
                    raise ValueError(f"使用阿里云短信时必须配置：{'、'.join(missing)}")
            if self.dev_tokens:
                raise ValueError("生产环境不得开放开发令牌接口（IDENTITY_DEV_TOKENS）")
            short = sorted(
                c for c, secret in self.service_clients.items() if len(secret.get_secret_value()) < SERVICE_CLIENT_SECRET_MIN_LENGTH
            )
            if short:
                raise ValueError(
                    f"生产环境中服务客户端的密钥至少 {SERVICE_CLIENT_SECRET_MIN_LENGTH} 个字符（来自 Secret）："
                    f"IDENTITY_SERVICE_CLIENTS 中的 {'、'.join(short)} 过短"
                )
        return self

    @property
    def issuer(self) -> str:
        return self.public_url.rstrip("/")


get_settings = cached(IdentitySettings)
