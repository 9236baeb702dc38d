"""The official working-day calendar (工作日), one source for every service.

Weekends, statutory holidays and adjusted working days (调休) come from the
`chinesecalendar` package; admins add per-day overrides for a year the package does
not know yet (the State Council announces each year late in the previous one) and
declare that year announced. A year neither source knows falls back to Monday–Friday,
and `source_of` says so, so the API can warn that its due dates are provisional.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


class CalendarSource(StrEnum):
    official = "official"  # 国务院办公厅公布的放假安排（chinesecalendar 收录）
    admin = "admin"  # 管理员录入的当年放假安排
    weekends_only = "weekends_only"  # 尚未公布：仅按周末计算，结果为暂定


class DayKind(StrEnum):
    workday = "workday"
    weekend = "weekend"
    holiday = "holiday"
    adjusted_workday = "adjusted_workday"  # 调休上班


@dataclass(frozen=True)
class DayOverride:
    day: date
    workday: bool
    note: str = ""


@dataclass(frozen=True)
class WorkCalendar:
    """Answers whether a day is a working day; immutable, so it can be shared freely."""

    overrides: Mapping[date, DayOverride] = field(default_factory=dict)
    announced_years: frozenset[int] = frozenset()
    # Answers never change for one calendar object, and deadline walks ask about the same days
    # again and again: remember them (excluded from equality and hashing).
    _kinds: dict[date, tuple[DayKind, str | None]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def with_overrides(cls, overrides: Iterable[DayOverride] = (), announced_years: Iterable[int] = ()) -> WorkCalendar:
        return cls({o.day: o for o in overrides}, frozenset(announced_years))

    def source_of(self, year: int) -> CalendarSource:
        if year in self.announced_years:
            return CalendarSource.admin
        if _package_knows(year):
            return CalendarSource.official
        return CalendarSource.weekends_only

    def kind(self, day: date) -> tuple[DayKind, str | None]:
        """What kind of day this is, with the holiday's name where there is one."""
        if (known := self._kinds.get(day)) is None:
            known = self._kinds[day] = self._classify(day)
        return known

    def _classify(self, day: date) -> tuple[DayKind, str | None]:
        weekend = day.weekday() >= 5
        if (o := self.overrides.get(day)) is not None:
            if o.workday:
                return (DayKind.adjusted_workday if weekend else DayKind.workday), o.note or None
            return (DayKind.weekend if weekend and not o.note else DayKind.holiday), o.note or None
        if _package_knows(day.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            label = _HOLIDAY_NAMES.get(name, name) if name else None
            if chinese_calendar.is_workday(day):
                return (DayKind.adjusted_workday, label) if weekend else (DayKind.workday, None)
            return (DayKind.holiday, label) if on_holiday and label else (DayKind.weekend, None)
        return (DayKind.weekend, None) if weekend else (DayKind.workday, None)

    def is_workday(self, day: date) -> bool:
        return self.kind(day)[0] in (DayKind.workday, DayKind.adjusted_workday)

    def add_workdays(self, start: date, n: int, *, excluded: Callable[[date], bool] | None = None) -> date:
        """The n-th working day after `start` (the start day itself is not counted)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day) and not (excluded and excluded(day)):
                counted += 1
        return day

    def workdays_between(self, start: date, end: date, *, excluded: Callable[[date], bool] | None = None) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.workdays_between(end, start, excluded=excluded)
        days = (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
        return sum(1 for d in days if self.is_workday(d) and not (excluded and excluded(d)))


@cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def county_today(timezone: str) -> Callable[[], date]:
    """Today's calendar date where the county is: the day dates and deadlines count in."""
    zone = ZoneInfo(timezone)
    return lambda: datetime.now(zone).date()


# The State Council announces next year's holidays in November or December; from 1 November on, a
# due date can reach into a year nobody has entered yet.
NEXT_YEAR_WARNING_FROM = (11, 1)


def next_year_warning(calendar: WorkCalendar, today: date) -> str | None:
    """From 1 November, while next year's holidays are neither in the official data nor entered by an
    admin: the warning officers must see (due dates crossing into that year count only weekends)."""
    year = today.year + 1
    if (today.month, today.day) < NEXT_YEAR_WARNING_FROM or calendar.source_of(year) != CalendarSource.weekends_only:
        return None
    return (
        f"{year}年放假安排尚未录入：跨入{year}年的答复期限暂只扣除周末，元旦、春节等假期未计入，相关期限标为“暂定”。"
        f"国务院公布后，请系统管理员录入放假与调休日期并确认{year}年已录入完毕。"
    )
