"""Requests settings: environment variables prefixed `REQUESTS_`."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class RequestsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REQUESTS_", extra="ignore")

    service_name: str = "requests"
    port: int = 8002
    database_url: str = "sqlite+aiosqlite:///var/requests.db"

    # 2019 rules (20 + 20 working days) unless the deployment or an agency chooses 2008 (15 + 15).
    rule_set: Literal["2019", "2008"] = Field("2019", description="期限规则：2019（20+20 个工作日）或 2008（15+15）；管理员可按机关设置")
    storage_backend: Literal["local", "s3"] = Field("local", description="附件存储：local（本地目录）或 s3（MinIO/OSS/COS 等 S3 兼容存储）")
    storage_dir: str = Field("var/attachments", description="local 存储的目录")
    s3_endpoint_url: str | None = Field(None, description="S3 兼容存储的地址，如 http://minio:9000")
    s3_bucket: str = Field("disclosure-attachments", description="附件存储桶")
    s3_access_key: str = Field("", description="S3 访问密钥 ID")
    s3_secret_key: SecretStr = Field(SecretStr(""), description="S3 访问密钥")
    s3_region: str = Field("us-east-1", description="S3 区域")
    attachment_max_bytes: int = Field(20 * 1024 * 1024, description="单个附件的最大字节数，超出返回 413")
    attachment_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "image/jpeg",
            "image/png",
            "application/ofd",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.ms-excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "text/plain",
            "application/zip",
        ],
        description="允许上传的附件类型（MIME，JSON 列表），其他类型返回 415",
    )
    # The public status lookup (tracking number + query code): guessing query codes is throttled.
    rate_limit_storage: str = Field("memory://", description="限流计数存储：memory://（单进程）或 redis://host:6379/0（多副本共享）")
    status_per_ip_per_minute: int = Field(20, description="同一 IP 每分钟可查询办理进度的次数")
    status_per_ip_per_hour: int = Field(200, description="同一 IP 每小时可查询办理进度的次数")
    status_max_wrong_codes: int = Field(5, description="同一受理编号在时间窗内查询码输错几次后锁定")
    status_wrong_code_window_seconds: int = Field(900, description="统计查询码输错次数的时间窗（秒）")
    status_lockout_seconds: int = Field(900, description="受理编号因查询码输错过多被锁定的时长（秒）")
    # Formal notices (告知书, 答复书): numbering, the QR code on receipts, how fees are paid.
    notice_number_format: str = Field(
        "{short_name}依申公〔{year}〕{serial}号",
        description="通知书文号的默认格式（须含 {year} 和 {serial}；{short_name} 为机关简称，未设置时用机关全称）；各机关可另行设置",
    )
    notice_status_url: str | None = Field(
        None,
        description="登记回执二维码指向的办理进度查询地址，可含 {tracking_number} 和 {query_code}；不设置时二维码只含受理编号和查询码文字",
    )
    notice_print_after_step: bool = Field(
        False,
        description="步骤提交后随即在 API 进程内生成通知书 PDF（每份占数百毫秒 CPU，会拖慢受理）；默认关闭：首次下载时生成并保存",
    )
    notice_payment_instructions: str = Field(
        "请持本通知到本机关政府信息公开工作机构缴纳，或按本机关告知的非税收入缴款方式缴纳",
        description="信息处理费缴费通知书上的缴费方式",
    )
    # The scheduler loop (lapses, reminders) inside `serve`; off where passes are driven explicitly (tests).
    run_scheduler: bool = Field(True, description="在后台任务中运行期限调度（逾期处理、到期提醒）")
    scheduler_interval_seconds: float = Field(300.0, description="检查逾期与到期提醒的间隔（秒）")
    reminder_days_before: int = Field(3, description="到期前几个工作日发出“即将到期”提醒")


get_settings = cached(RequestsSettings)
