"""Notify settings: environment variables prefixed `NOTIFY_`."""

import json
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import ServiceSettings, cached


class WeChatTemplate(BaseModel):
    """One subscribe-message template chosen in the mini-program's console for a message kind."""

    template_id: str
    page: str | None = None  # may contain {request_id}, e.g. "pages/request/detail?id={request_id}"
    # The template's data keys in the order services.notify.domain.template_params lists the values;
    # empty: the default keys named there (character_string1, date2, thing3, ...).
    keys: list[str] = []


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/notify.db"

    # E-mail over SMTP; empty host: e-mail is not sent (recorded as skipped).
    smtp_host: str = Field("", description="SMTP 服务器；为空则不发邮件（记为 skipped）")
    smtp_port: int = Field(25, description="SMTP 端口")
    smtp_username: str = Field("", description="SMTP 用户名")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP 密码")
    smtp_starttls: bool = Field(False, description="连接后使用 STARTTLS")
    smtp_from: str = Field("政府信息公开 <noreply@example.gov.cn>", description="发件人")
    # SMS through Aliyun Dysmsapi; empty access key: no SMS (recorded as skipped).
    sms_access_key_id: str = Field("", description="阿里云短信 AccessKey ID；为空则不发短信（记为 skipped）")
    sms_access_key_secret: SecretStr = Field(SecretStr(""), description="阿里云短信 AccessKey Secret")
    sms_sign_name: str = Field("", description="短信签名")
    sms_base_url: str = Field("https://dysmsapi.aliyuncs.com/", description="阿里云短信接口地址")
    # JSON: message kind → approved TemplateCode, e.g. {"receipt": "SMS_123456"}; a kind without one gets no SMS.
    sms_templates: dict[str, str] = Field(
        {}, description="消息类型 → 已审核的短信模板编号（JSON 对象，如 receipt 对应 SMS_123456）；无模板的类型不发短信"
    )

    # WeChat mini-program subscribe messages; empty appid: none sent (recorded as skipped).
    wechat_appid: str = Field("", description="微信小程序 AppID；为空则不发订阅消息（记为 skipped）")
    wechat_secret: SecretStr = Field(SecretStr(""), description="微信小程序 AppSecret")
    wechat_base_url: str = Field("https://api.weixin.qq.com", description="微信接口地址")
    wechat_miniprogram_state: str = Field(
        "formal", description="订阅消息跳转的小程序版本：developer、trial 或 formal"
    )  # developer | trial | formal
    # JSON: message kind → {"template_id": ..., "page": ..., "keys": [...]}; a kind without one gets no WeChat message.
    wechat_templates: dict[str, WeChatTemplate] = Field(
        {}, description="消息类型 → 订阅消息模板（JSON：template_id、page、keys）；无模板的类型不发微信消息"
    )

    # The formal notice (告知书, 答复书) a step issued goes with its e-mail as a PDF, fetched from the
    # requests service with a client-credentials token of identity's; empty: e-mails say where to download it.
    requests_api_url: str = Field(
        "", description="依申请公开服务的接口地址（如 http://requests-api:8002/api/v1/requests），用于取通知书 PDF 附在邮件中；为空则不附"
    )
    identity_token_url: str = Field(
        "", description="身份服务的令牌地址（…/api/v1/identity/oauth/token），以 client_credentials 换取服务令牌"
    )
    client_id: str = Field("notify", description="本服务在身份服务登记的客户端标识")
    client_secret: SecretStr = Field(SecretStr(""), description="本服务的客户端密钥（与 IDENTITY_SERVICE_CLIENTS 中的相同）")

    site_name: str = Field("某某县人民政府", description="通知中的平台名称（县政府名称）")
    dispatch_interval_seconds: float = Field(1.0, description="发送器轮询待发通知的间隔（秒）")
    dispatch_batch_size: int = Field(50, description="发送器每轮处理的通知数")
    max_attempts: int = Field(8, description="外部渠道（邮件、短信、微信）发送失败后的最多尝试次数")
    retry_base_seconds: float = Field(30.0, description="发送重试退避的初始间隔（秒）")
    retry_max_seconds: float = Field(3600.0, description="发送重试退避的最大间隔（秒）")

    # Webhooks reach only public addresses; development and tests allowlist their local receivers.
    webhook_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        [], description="允许 Webhook 指向的非公网主机名或网段（逗号分隔，如 127.0.0.1/32,receiver.local）；默认为空，只允许公网地址"
    )
    webhook_connect_timeout_seconds: float = Field(5.0, description="Webhook 连接超时（秒）")
    webhook_read_timeout_seconds: float = Field(10.0, description="Webhook 读取响应超时（秒）")
    webhook_total_timeout_seconds: float = Field(30.0, description="单次 Webhook 投递的总时限（秒）")

    @property
    def attaches_notices(self) -> bool:
        """Whether e-mails carry their formal notice's PDF: the requests service and a client credential are configured."""
        return bool(self.requests_api_url and self.identity_token_url and self.client_secret.get_secret_value())

    @field_validator("webhook_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value):
        """A JSON list or a comma-separated string."""
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


get_settings = cached(NotifySettings)
