"""Notify settings: environment variables prefixed `NOTIFY_`."""

from pydantic import BaseModel
from pydantic_settings import SettingsConfigDict

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
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_from: str = "政府信息公开 <noreply@example.gov.cn>"
    # SMS through Aliyun Dysmsapi; empty access key: no SMS (recorded as skipped).
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = ""
    sms_base_url: str = "https://dysmsapi.aliyuncs.com/"
    # JSON: message kind → approved TemplateCode, e.g. {"receipt": "SMS_123456"}; a kind without one gets no SMS.
    sms_templates: dict[str, str] = {}

    # WeChat mini-program subscribe messages; empty appid: none sent (recorded as skipped).
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_base_url: str = "https://api.weixin.qq.com"
    wechat_miniprogram_state: str = "formal"  # developer | trial | formal
    # JSON: message kind → {"template_id": ..., "page": ..., "keys": [...]}; a kind without one gets no WeChat message.
    wechat_templates: dict[str, WeChatTemplate] = {}

    site_name: str = "某某县人民政府"
    timezone: str = "Asia/Shanghai"  # the county's calendar day, e.g. for the date a letter was posted
    dispatch_interval_seconds: float = 1.0
    dispatch_batch_size: int = 50
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0


get_settings = cached(NotifySettings)
