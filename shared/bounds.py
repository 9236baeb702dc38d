"""Bounds on paging and time parameters, one place for every service: what the database can hold, nothing that turns into a 500.

A page number past MAX_PAGE, a cursor past 64 bits or a year before 1970 is refused with 422
(problem+json) before it reaches SQL, where SQLite and PostgreSQL would overflow in different ways.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Query
from pydantic import AfterValidator

MAX_PAGE = 10_000
INT64_MAX = 2**63 - 1
EARLIEST = date(1970, 1, 1)
LATEST = date(9999, 12, 30)  # a day short of the end: a time zone shift of the last day must not overflow
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def _within_dates(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"日期应在 {EARLIEST.isoformat()} 至 {LATEST.isoformat()} 之间")
    return value


def _within_times(value: datetime) -> datetime:
    """Also reject offsets that move the instant out of range once read as UTC."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)
    try:
        utc = aware.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc.date() <= LATEST or not EARLIEST <= value.date() <= LATEST:
        raise ValueError(f"时间应在 {EARLIEST.isoformat()} 至 {LATEST.isoformat()} 之间")
    return value


def _within_int64(value: int) -> int:
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ValueError("数值超出范围")
    return value


BoundedDate = Annotated[date, AfterValidator(_within_dates)]
BoundedDatetime = Annotated[datetime, AfterValidator(_within_times)]
Int64 = Annotated[int, AfterValidator(_within_int64)]

Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"页码（1–{MAX_PAGE}）")]
Seq = Annotated[int, Query(ge=0, le=INT64_MAX, description="从此序号之后开始（翻页游标）")]


def page_size(most: int, description: str = "每页条数") -> object:
    """The Query of a page size (or limit) from 1 to `most`."""
    return Query(ge=1, le=most, description=f"{description}（1–{most}）")
