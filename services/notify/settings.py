"""Notify settings: environment variables prefixed `NOTIFY_`."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


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
    site_name: str = "某某县人民政府"
    dispatch_interval_seconds: float = 1.0
    dispatch_batch_size: int = 50
    max_attempts: int = 8
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0


get_settings = cached(NotifySettings)
