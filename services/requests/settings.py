"""Requests settings: environment variables prefixed `REQUESTS_`."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class RequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    service_name: str = "requests"
    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/requests.db"


get_settings = cached(RequestsSettings)
