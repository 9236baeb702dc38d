"""Jinja filters: dates and times as Chinese readers expect them, and the APIs' codes in Chinese words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment

TZ = ZoneInfo("Asia/Shanghai")


def cn_date(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(TZ).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo:
        value = value.astimezone(TZ)
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"


def file_size(value: Any) -> str:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return ""
    if n < 1024:
        return f"{n} 字节"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def file_kind(content_type: Any) -> str:
    """A file's type in the words a reader knows (the MIME type otherwise)."""
    base = str(content_type or "").split(";")[0].strip().lower()
    return FILE_KINDS.get(base, base.split("/")[-1].upper() if base else "")


FILE_KINDS = {
    "application/pdf": "PDF",
    "application/ofd": "OFD",
    "text/plain": "文本",
    "text/csv": "CSV",
    "text/html": "网页",
    "image/jpeg": "JPG 图片",
    "image/png": "PNG 图片",
    "application/zip": "ZIP 压缩包",
    "application/msword": "Word",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.ms-excel": "Excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
}


def install(env: Environment) -> None:
    from services.web.listing import count_text
    from services.web.office.deps import sections_for
    from services.web.trees import paragraphs

    env.filters.update(cn_date=cn_date, cn_datetime=cn_datetime, file_size=file_size, file_kind=file_kind, paragraphs=paragraphs)
    env.globals.update(count_text=count_text, office_sections=sections_for)
