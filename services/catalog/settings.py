"""Catalog settings: environment variables prefixed `CATALOG_`."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, cached


class CatalogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    service_name: str = "catalog"
    port: int = 8001
    database_url: str = "sqlite+aiosqlite:///var/catalog.db"


get_settings = cached(CatalogSettings)
