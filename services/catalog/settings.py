"""Catalog settings: environment variables prefixed `CATALOG_`."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    service_name: str = "catalog"
    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/catalog.db"
    storage_backend: Literal["local", "s3"] = Field("local", description="附件存储：local（本地目录）或 s3（MinIO/OSS/COS 等 S3 兼容存储）")
    storage_dir: str = Field("var/catalog-files", description="local 存储的目录")
    s3_endpoint_url: str | None = Field(None, description="S3 兼容存储的地址，如 http://minio:9000")
    s3_bucket: str = Field("catalog-attachments", description="附件存储桶")
    s3_access_key: str = Field("", description="S3 访问密钥 ID")
    s3_secret_key: SecretStr = Field(SecretStr(""), description="S3 访问密钥")
    s3_region: str = Field("us-east-1", description="S3 区域")
    attachment_max_bytes: int = Field(50 * 1024 * 1024, description="单个附件的最大字节数")
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "application/ofd",
            "image/jpeg",
            "image/png",
            "text/plain",
            "application/zip",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ],
        description="允许上传的附件类型（MIME）",
    )
    run_scheduler: bool = Field(True, description="在服务进程内运行发布期限提醒（第二十六条）")
    scheduler_interval_seconds: float = Field(600.0, description="发布期限检查的间隔（秒）")
    reminder_days_before: int = Field(5, description="距20个工作日发布期限还剩几个工作日时发出提醒事件")
    suggestion_threshold: int = Field(2, description="同一信息向几名不同申请人提供后，建议转为主动公开（第四十四条）")
    search_max_page: int = Field(500, description="公开检索可翻到的最大页数（更深请缩小条件）")
    search_exact_limit: int = Field(2_000, description="命中不超过此数时总数与分面计数精确；超过时按抽样估计并按日期排序（PostgreSQL）")
    search_sample_rows: int = Field(200, description="估计总数与分面计数时大约读取的命中行数（200 行：误差约 7%）")


get_settings = cached(CatalogSettings)
