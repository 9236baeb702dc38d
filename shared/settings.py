"""Settings base: one pydantic-settings class per service, each with its own env prefix."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"


class ServiceSettings(BaseSettings):
    """What every service needs; subclasses set `env_prefix` and their defaults."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    service_name: str = "service"
    environment: Literal["dev", "test", "production"] = "dev"
    host: str = "127.0.0.1"
    port: int = 8000

    database_url: str = "sqlite+aiosqlite:///var/service.db"
    database_pool_size: int = 10
    migrate_on_start: bool = True

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every topic, so one cluster can carry several counties (or tests).
    kafka_topic_prefix: str = ""
    kafka_topic_partitions: int = 3
    kafka_topic_replication: int = 1
    kafka_ensure_topics: bool = True
    kafka_request_timeout_ms: int = 10_000

    # Relay and consumers run inside the API process by default (embedded run);
    # production may run them as a separate `worker` process instead.
    run_workers: bool = True
    run_consumers: bool = True  # with run_workers: also run this service's consumers here
    outbox_batch_size: int = 200
    outbox_poll_interval: float = 0.5
    consumer_max_attempts: int = 5
    consumer_retry_base_delay: float = 0.2
    consumer_retry_max_delay: float = 10.0
    # SIGTERM: HTTP drains first, then consumers and loops stop, then the relay flushes. The two
    # budgets add up to under the usual 30 s grace period (Kubernetes, `make run`'s 25 s).
    shutdown_http_timeout: float = Field(
        10.0, gt=0, description="SIGTERM 后等待进行中的 HTTP 请求完成的秒数；超时的请求被取消")
    shutdown_worker_timeout: float = Field(
        10.0, gt=0, description="SIGTERM 后停止消费者与后台任务并发送发件箱剩余事件的总秒数；超时的任务被取消，未发送的事件留待下次启动")

    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: str = DEV_JWT_SECRET
    jwt_public_key: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = 30

    log_level: str = "INFO"
    log_json: bool = True
    cors_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "ServiceSettings":
        if self.environment == "production":
            if self.jwt_algorithm == "HS256" and self.jwt_secret == DEV_JWT_SECRET:
                raise ValueError("生产环境不得使用开发用 JWT 密钥：请配置 RS256 公钥或 JWKS 地址")
            if self.jwt_algorithm == "RS256" and not (self.jwt_public_key or self.jwt_jwks_url):
                raise ValueError("RS256 需要 JWT_PUBLIC_KEY 或 JWT_JWKS_URL")
        return self

    @property
    def bootstrap_servers(self) -> list[str]:
        return [s.strip() for s in self.kafka_bootstrap_servers.split(",") if s.strip()]

    def topic(self, name: str) -> str:
        """The full topic name for a logical topic, with the deployment prefix."""
        return f"{self.kafka_topic_prefix}{name}"


def cached(settings_cls: type[ServiceSettings]):
    """A cached getter for a settings class; tests call `.cache_clear()` to override."""

    @lru_cache
    def get() -> ServiceSettings:
        return settings_cls()

    return get
