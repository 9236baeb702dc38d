"""Settings base: one pydantic-settings class per service, each with its own env prefix."""

from __future__ import annotations

from functools import _lru_cache_wrapper, lru_cache
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"


class ServiceSettings(BaseSettings):
    """What every service needs; subclasses set `env_prefix` and their defaults."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    service_name: str = Field("service", description="服务名：消费者组、死信主题与日志都用它，勿改")
    environment: Literal["dev", "test", "production"] = Field(
        "dev", description="运行环境：dev、test 或 production（production 拒绝开发用密钥）"
    )
    host: str = Field("127.0.0.1", description="HTTP 监听地址（容器内为 0.0.0.0）")
    port: int = Field(8000, description="HTTP 监听端口")
    # Per-address limits (SMS codes, the status lookup) count the caller's address: only a proxy we
    # trust may say what it is. Anyone else's X-Forwarded-For is ignored, or limits are a header away.
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="可信的反向代理地址或网段（逗号分隔，如网关、网站服务所在网段）：只采信它们转发的 X-Forwarded-For；默认只信本机",
    )

    database_url: str = Field(
        "sqlite+aiosqlite:///var/service.db", description="数据库地址：SQLite 或 PostgreSQL（postgresql://… 自动使用 asyncpg）"
    )
    database_pool_size: int = Field(10, description="每个进程的数据库连接池大小（PostgreSQL）")
    migrate_on_start: bool = Field(True, description="启动时执行本服务的 Alembic 迁移（生产由迁移任务执行，设为 false）")

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka 地址，逗号分隔")
    # Prepended to every topic, so one cluster can carry several counties (or tests).
    kafka_topic_prefix: str = Field("", description="加在每个主题与消费者组名前的前缀，一个集群可服务多个县（或多组测试）")
    kafka_topic_partitions: int = Field(3, description="服务自行创建主题时的分区数")
    kafka_topic_replication: int = Field(1, description="服务自行创建主题时的副本数")
    kafka_ensure_topics: bool = Field(True, description="启动时创建缺失的主题（主题由平台统一管理时设为 false）")
    kafka_request_timeout_ms: int = Field(10_000, description="Kafka 请求超时（毫秒）")
    kafka_fetch_max_wait_ms: int = Field(
        100,
        ge=1,
        le=5000,
        description="消费者拉取时无新消息最多等待多久（毫秒）：越短事件到达越快，空闲时请求越多（Kafka 默认 500）",
    )

    # Relay and consumers run inside the API process by default (embedded run);
    # production may run them as a separate `worker` process instead.
    run_workers: bool = Field(True, description="在 API 进程内运行发件箱中继、消费者与后台任务（生产设为 false，另起 worker 进程）")
    run_consumers: bool = Field(
        True, description="与 RUN_WORKERS 同时开启时，也在本进程运行消费者（false：消费者只在 worker 进程）"
    )  # with run_workers: also run this service's consumers here
    outbox_batch_size: int = Field(200, description="中继每轮发送的发件箱行数")
    broker_check_interval: float = Field(
        5.0, gt=0, description="中继检查消息中转站是否丢失已确认事件（重启、重建）的间隔（秒）；发现后重建主题并重发发件箱中保留的事件"
    )
    outbox_poll_interval: float = Field(0.5, description="中继轮询间隔（秒；事务提交时立即唤醒）")
    consumer_max_attempts: int = Field(5, description="处理失败的消息进入死信主题前的尝试次数")
    consumer_retry_base_delay: float = Field(0.2, description="重试退避的初始间隔（秒）")
    consumer_retry_max_delay: float = Field(10.0, description="重试退避的最大间隔（秒）")
    # Kafka keeps a topic's messages for days; an inbox row must outlive any redelivery of its
    # event, and an outbox row any replay (a reset broker is refilled from what is kept).
    outbox_retention_days: float = Field(7.0, gt=0, description="已发送的发件箱事件保留天数（中转站重置后据此重发），之后分批删除")
    inbox_retention_days: float = Field(
        30.0,
        gt=0,
        description="已处理事件的收件箱记录保留天数（须不短于发件箱保留期与 Kafka 主题保留期），之后分批删除；死信记录保留至重放",
    )
    retention_interval_seconds: float = Field(3600.0, gt=0, description="清理过期发件箱与收件箱记录的间隔（秒）")
    retention_batch_size: int = Field(1000, gt=0, description="每个事务删除的过期记录数")
    # SIGTERM: HTTP drains first, then consumers and loops stop, then the relay flushes. The two
    # budgets add up to under the usual 30 s grace period (Kubernetes, `make run`'s 25 s).
    shutdown_http_timeout: float = Field(10.0, gt=0, description="SIGTERM 后等待进行中的 HTTP 请求完成的秒数；超时的请求被取消")
    shutdown_worker_timeout: float = Field(
        10.0, gt=0, description="SIGTERM 后停止消费者与后台任务并发送发件箱剩余事件的总秒数；超时的任务被取消，未发送的事件留待下次启动"
    )

    jwt_algorithm: Literal["HS256", "RS256"] = Field("HS256", description="令牌签名算法：HS256（开发）或 RS256（生产）")
    jwt_secret: SecretStr = Field(SecretStr(DEV_JWT_SECRET), description="HS256 密钥（仅开发使用）")
    jwt_public_key: str | None = Field(None, description="RS256 验签公钥（PEM）")
    jwt_jwks_url: str | None = Field(None, description="RS256 公钥集（JWKS）地址，密钥轮换无需重启")
    jwt_issuer: str | None = Field(None, description="设置后，令牌的 iss 必须与之相同")
    jwt_audience: str | None = Field(None, description="设置后，令牌的 aud 必须包含它")
    jwt_leeway_seconds: int = Field(30, description="校验 exp 时允许的时钟偏差（秒）")

    log_level: str = Field("INFO", description="日志级别")
    log_json: bool = Field(True, description="以 JSON 行输出日志（false：纯文本）")
    cors_origins: list[str] = Field(default_factory=list, description="允许跨域调用的县政府网站来源（JSON 列表）")
    max_body_bytes: int = Field(1024 * 1024, description="请求体最大字节数（上传附件的接口另有上限），超出返回 413")
    max_header_bytes: int = Field(8 * 1024, description="请求头总大小上限（字节），超出返回 431")
    timezone: str = Field("Asia/Shanghai", description="县所在时区：收件、发布、邮寄日期与各项期限按此计算")

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> ServiceSettings:
        if self.inbox_retention_days < self.outbox_retention_days:
            raise ValueError("INBOX_RETENTION_DAYS 不得短于 OUTBOX_RETENTION_DAYS：重发的事件须仍能被收件箱识别")
        if self.environment == "production":
            if self.jwt_algorithm == "HS256" and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
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


SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def cached(settings_cls: type[SettingsT]) -> _lru_cache_wrapper[SettingsT]:
    """A cached getter for a settings class; tests call `.cache_clear()` to override."""

    @lru_cache
    def get() -> SettingsT:
        return settings_cls()

    return get


def service_settings(settings: ServiceSettings, settings_cls: type[SettingsT]) -> SettingsT:
    """`settings` as its service's own class (the runtime and the unit of work hold the base class)."""
    if not isinstance(settings, settings_cls):
        raise TypeError(f"expected {settings_cls.__name__}, got {type(settings).__name__}")
    return settings
