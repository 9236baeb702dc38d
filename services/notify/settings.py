"""Notify settings: environment variables prefixed `NOTIFY_`."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    port: int = 8003
    database_url: str = "sqlite+aiosqlite:///var/notify.db"


get_settings = cached(NotifySettings)
