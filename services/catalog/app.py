"""Catalog service assembly."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from shared.contracts.topics import CATALOG_AGENCIES, CATALOG_DOCUMENTS
from shared.service import ServiceSpec, create_service_app

from services.catalog.adapters.orm import Base, plumbing
from services.catalog.api import agencies
from services.catalog.settings import CatalogSettings, get_settings


def build_spec(settings: CatalogSettings | None = None) -> ServiceSpec:
    return ServiceSpec(
        name="catalog",
        title="政府信息公开 · 目录服务",
        description="机关、政府信息公开指南与目录（主动公开）。",
        settings=settings or get_settings(),
        metadata=Base.metadata,
        plumbing=plumbing,
        migrations=Path(__file__).parent / "migrations",
        routers=[agencies.router],
        produces=[CATALOG_AGENCIES, CATALOG_DOCUMENTS],
    )


def create_app(settings: CatalogSettings | None = None) -> FastAPI:
    return create_service_app(build_spec(settings))
