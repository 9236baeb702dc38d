"""Audit settings: environment variables prefixed `AUDIT_`."""

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached

# Wraps the per-applicant keys in the embedded default; production must bring its own (a Secret).
DEV_KEY_ENCRYPTION_KEY = "dev-only-audit-key-encryption-key-change-me"


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_", extra="ignore")

    service_name: str = "audit"
    port: int = 8004
    database_url: str = "sqlite+aiosqlite:///var/audit.db"
    key_encryption_key: SecretStr = Field(
        SecretStr(DEV_KEY_ENCRYPTION_KEY),
        description="加密各申请人个人信息密钥的主密钥（生产环境来自 Secret，至少 32 个字符）；销毁某申请人的密钥即删除其在审计日志中的个人信息",
    )

    @model_validator(mode="after")
    def _refuse_dev_key_in_production(self) -> "AuditSettings":
        if self.environment == "production":
            kek = self.key_encryption_key.get_secret_value()
            if kek == DEV_KEY_ENCRYPTION_KEY or len(kek) < 32:
                raise ValueError("生产环境必须配置 AUDIT_KEY_ENCRYPTION_KEY（至少 32 个字符，来自 Secret）")
        return self


get_settings = cached(AuditSettings)
