"""Audit settings: environment variables prefixed `AUDIT_`."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    service_name: str = "audit"
    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/audit.db"


get_settings = cached(AuditSettings)
