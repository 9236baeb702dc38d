"""Requests settings: environment variables prefixed `REQUESTS_`."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class RequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    service_name: str = "requests"
    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/requests.db"

    # 2019 rules (20 + 20 working days) unless the deployment or an agency chooses 2008 (15 + 15).
    rule_set: Literal["2019", "2008"] = "2019"
    timezone: str = "Asia/Shanghai"
    storage_backend: Literal["local", "s3"] = "local"
    storage_dir: str = "var/attachments"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "disclosure-attachments"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_region: str = "us-east-1"
    attachment_max_bytes: int = 20 * 1024 * 1024
    attachment_types: list[str] = Field(default_factory=lambda: [
        "application/pdf", "image/jpeg", "image/png", "application/ofd",
        "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/plain", "application/zip",
    ])
    # The scheduler loop (lapses, reminders) inside `serve`; off where passes are driven explicitly (tests).
    run_scheduler: bool = True
    scheduler_interval_seconds: float = 300.0
    reminder_days_before: int = 3


get_settings = cached(RequestsSettings)
