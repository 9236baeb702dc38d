"""Settings of the web service (prefix WEB_): where the other services are, and the session cookie."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SESSION_SECRET = "dev-only-web-session-secret-change-me"


class WebSettings(BaseSettings):
    """The web service owns no business data: it needs only the APIs' addresses and a cookie key."""

    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore", env_file=None)

    environment: Literal["dev", "test", "production"] = Field(
        "dev", description="运行环境：dev、test 或 production（production 拒绝开发用密钥，会话 Cookie 仅经 HTTPS 发送）"
    )
    host: str = Field("127.0.0.1", description="HTTP 监听地址（容器内为 0.0.0.0）")
    port: int = Field(8000, description="HTTP 监听端口")
    site_name: str = Field("某某县人民政府", description="网站标题中的县政府名称")
    catalog_url: str = Field("http://127.0.0.1:8001", description="目录服务地址")
    requests_url: str = Field("http://127.0.0.1:8002", description="依申请公开服务地址")
    notify_url: str = Field("http://127.0.0.1:8003", description="通知服务地址")
    audit_url: str = Field("http://127.0.0.1:8004", description="审计服务地址")
    identity_url: str = Field("http://127.0.0.1:8005", description="统一身份认证服务地址")
    api_timeout_seconds: float = Field(10.0, gt=0, description="调用各服务接口的超时（秒）")
    session_secret: SecretStr = Field(SecretStr(DEV_SESSION_SECRET), description="加密会话 Cookie 的密钥（至少 32 个字符；多副本须相同）")
    session_max_age_seconds: int = Field(8 * 3600, gt=0, description="会话 Cookie 的最长有效期（秒）")
    cookie_secure: bool | None = Field(None, description="会话 Cookie 只经 HTTPS 发送（默认：生产环境开启）")
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0, description="申请表单上传文件的最大字节数")
    public_url: str | None = Field(
        None, description="本站对外地址（如 https://www.example.gov.cn）：单点登录的回调地址由它拼成；缺省取请求的地址"
    )
    office_sso: dict[str, str] = Field(
        default_factory=dict,
        description='工作台登录页显示的单点登录入口：{"提供方名称": "按钮文字"}，名称须与统一身份认证服务的 IDENTITY_OIDC_PROVIDERS 一致',
    )
    forwarded_allow_ips: str = Field("127.0.0.1", description="可信的反向代理地址（逗号分隔）：只采信它们转发的 X-Forwarded-For")
    log_level: str = Field("INFO", description="日志级别")
    log_json: bool = Field(True, description="以 JSON 行输出日志（false：纯文本）")

    @model_validator(mode="after")
    def _refuse_dev_secret_in_production(self) -> WebSettings:
        secret = self.session_secret.get_secret_value()
        if len(secret) < 32:
            raise ValueError("WEB_SESSION_SECRET 至少需要 32 个字符")
        if self.environment == "production" and secret == DEV_SESSION_SECRET:
            raise ValueError("生产环境不得使用开发用会话密钥：请设置 WEB_SESSION_SECRET")
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production" if self.cookie_secure is None else self.cookie_secure


@lru_cache
def get_settings() -> WebSettings:
    return WebSettings()
