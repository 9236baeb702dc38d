"""The shared working-day calendar (工作日): package holidays, 调休, admin overrides, arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.workdays import CalendarSource, DayKind, DayOverride, WorkCalendar

CAL = WorkCalendar()
known_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31))
any_days = st.dates(min_value=date(2004, 1, 1), max_value=date(2028, 12, 31))


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- what the package says about 2025 and 2026 -------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2025-01-01", "元旦"),
        ("2025-01-28", "春节"),
        ("2025-01-29", "春节"),
        ("2025-02-04", "春节"),
        ("2025-04-04", "清明节"),
        ("2025-05-01", "劳动节"),
        ("2025-05-05", "劳动节"),
        ("2025-06-02", "端午节"),
        ("2025-10-01", "国庆节"),
        ("2025-10-06", "中秋节"),
        ("2025-10-08", "国庆节"),
        ("2026-01-01", "元旦"),
        ("2026-01-02", "元旦"),
        ("2026-02-16", "春节"),
        ("2026-02-17", "春节"),
        ("2026-02-23", "春节"),
        ("2026-04-06", "清明节"),
        ("2026-05-01", "劳动节"),
        ("2026-05-05", "劳动节"),
        ("2026-06-19", "端午节"),
        ("2026-09-25", "中秋节"),
        ("2026-10-01", "国庆节"),
        ("2026-10-05", "国庆节"),
        ("2026-10-07", "国庆节"),
    ],
)
def test_statutory_holidays_of_2025_and_2026_are_days_off_with_chinese_names(day, name):
    day = d(day)
    assert not chinese_calendar.is_workday(day)  # the package agrees
    assert not CAL.is_workday(day)
    assert CAL.kind(day) == (DayKind.holiday, name)


def test_spring_festival_2026_runs_from_15_to_23_february():
    days_off = [day for day in (date(2026, 2, 1) + timedelta(i) for i in range(28)) if CAL.kind(day)[0] == DayKind.holiday]
    assert days_off == [date(2026, 2, i) for i in range(15, 24)]
    assert {CAL.kind(day)[1] for day in days_off} == {"春节"}
    assert date(2026, 2, 17).weekday() == 1  # 2026-02-17, a Tuesday, is the first day of the year
    assert not CAL.is_workday(date(2026, 2, 17))


def test_a_holiday_falling_on_a_weekend_is_named_as_the_holiday():
    assert d("2026-10-03").weekday() == 5
    assert CAL.kind(d("2026-10-03")) == (DayKind.holiday, "国庆节")


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2025-01-26", "春节"),
        ("2025-02-08", "春节"),
        ("2025-04-27", "劳动节"),
        ("2025-09-28", "国庆节"),
        ("2025-10-11", "国庆节"),
        ("2026-01-04", "元旦"),
        ("2026-02-14", "春节"),
        ("2026-02-28", "春节"),
        ("2026-05-09", "劳动节"),
        ("2026-09-20", "国庆节"),
        ("2026-10-10", "国庆节"),
    ],
)
def test_adjusted_working_weekend_days_count_as_working_days(day, name):
    day = d(day)
    assert day.weekday() >= 5
    assert chinese_calendar.is_workday(day)
    assert CAL.is_workday(day)
    assert CAL.kind(day) == (DayKind.adjusted_workday, name)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_adjusted_working_days_are_exactly_the_packages_working_weekends(year):
    days = [date(year, 1, 1) + timedelta(i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    ours = [day for day in days if CAL.kind(day)[0] == DayKind.adjusted_workday]
    theirs = [day for day in chinese_calendar.get_workdays(date(year, 1, 1), date(year, 12, 31)) if day.weekday() >= 5]
    assert ours == theirs
    assert len(ours) == {2025: 5, 2026: 6}[year]


def test_ordinary_days_are_plain_workdays_and_weekends_without_a_name():
    assert CAL.kind(d("2026-03-10")) == (DayKind.workday, None)  # a Tuesday
    assert CAL.kind(d("2026-03-14")) == (DayKind.weekend, None)  # a Saturday
    assert CAL.kind(d("2026-10-11")) == (DayKind.weekend, None)  # Sunday after the holiday, not part of it


@settings(max_examples=300)
@given(day=known_days)
def test_is_workday_agrees_with_the_package_for_every_known_year(day):
    assert CAL.is_workday(day) == chinese_calendar.is_workday(day)
    kind, name = CAL.kind(day)
    if kind == DayKind.adjusted_workday:
        assert day.weekday() >= 5
    if kind == DayKind.workday:
        assert day.weekday() < 5 and name is None
    if kind == DayKind.weekend:
        assert day.weekday() >= 5 and name is None
    if kind == DayKind.holiday:
        assert name  # every holiday carries a (Chinese) name


# -- sources ------------------------------------------------------------------------------------


def test_calendar_sources_by_year():
    assert CAL.source_of(2004) == CalendarSource.official
    assert CAL.source_of(2026) == CalendarSource.official
    assert CAL.source_of(2003) == CalendarSource.weekends_only
    assert CAL.source_of(2027) == CalendarSource.weekends_only
    announced = WorkCalendar.with_overrides([], announced_years=[2027])
    assert announced.source_of(2027) == CalendarSource.admin
    assert announced.source_of(2028) == CalendarSource.weekends_only
    # an admin may also take over a year the package knows
    assert WorkCalendar.with_overrides(announced_years=[2026]).source_of(2026) == CalendarSource.admin


def test_an_unknown_year_falls_back_to_monday_to_friday():
    assert CAL.kind(d("2027-01-01")) == (DayKind.workday, None)  # New Year's Day, not yet known
    assert CAL.kind(d("2027-01-02")) == (DayKind.weekend, None)
    assert CAL.add_workdays(d("2027-01-01"), 5) == d("2027-01-08")


# -- overrides ----------------------------------------------------------------------------------


def test_overrides_take_precedence_over_the_package():
    cal = WorkCalendar.with_overrides(
        [
            DayOverride(d("2026-10-05"), workday=True, note="应急值守"),  # package: National Day
            DayOverride(d("2026-10-10"), workday=False),  # package: 调休 Saturday
            DayOverride(d("2026-03-10"), workday=False, note="地方性假日"),  # package: ordinary Tuesday
            DayOverride(d("2026-03-14"), workday=True, note="补班"),  # package: ordinary Saturday
        ]
    )
    assert cal.kind(d("2026-10-05")) == (DayKind.workday, "应急值守")
    assert cal.kind(d("2026-10-10")) == (DayKind.weekend, None)
    assert cal.kind(d("2026-03-10")) == (DayKind.holiday, "地方性假日")
    assert cal.kind(d("2026-03-14")) == (DayKind.adjusted_workday, "补班")
    assert [cal.is_workday(d(x)) for x in ("2026-10-05", "2026-10-10", "2026-03-10", "2026-03-14")] == [True, False, False, True]
    # days without an override still follow the package
    assert cal.kind(d("2026-10-06")) == (DayKind.holiday, "国庆节")
    # the plain calendar is untouched (it is immutable)
    assert not CAL.is_workday(d("2026-10-05"))


def test_overrides_define_an_announced_year():
    cal = WorkCalendar.with_overrides(
        [
            DayOverride(d("2027-01-01"), workday=False, note="元旦"),
            DayOverride(d("2027-02-06"), workday=True, note="春节调休"),
            DayOverride(d("2027-02-09"), workday=False),  # a weekday off without a note is still a holiday
        ],
        announced_years=[2027],
    )
    assert cal.kind(d("2027-01-01")) == (DayKind.holiday, "元旦")
    assert cal.kind(d("2027-02-06")) == (DayKind.adjusted_workday, "春节调休")
    assert cal.kind(d("2027-02-09")) == (DayKind.holiday, None)
    assert cal.kind(d("2027-02-10")) == (DayKind.workday, None)
    assert cal.add_workdays(d("2026-12-31"), 1) == d("2027-01-04")


def test_the_calendar_is_hashable_and_frozen():
    cal = WorkCalendar.with_overrides([DayOverride(d("2027-01-01"), workday=False, note="元旦")], announced_years=[2027])
    with pytest.raises(AttributeError):
        cal.announced_years = frozenset()  # type: ignore[misc]


# -- arithmetic ---------------------------------------------------------------------------------


def test_add_workdays_across_the_2026_national_day_holiday():
    assert CAL.add_workdays(d("2026-09-30"), 1) == d("2026-10-08")
    assert CAL.add_workdays(d("2026-10-09"), 1) == d("2026-10-10")  # the 调休 Saturday
    assert CAL.add_workdays(d("2026-09-28"), 20) == d("2026-10-30")
    assert CAL.workdays_between(d("2026-09-28"), d("2026-10-30")) == 20
    assert CAL.workdays_between(d("2026-09-30"), d("2026-10-07")) == 0


@given(start=any_days)
def test_adding_zero_working_days_is_the_start_even_on_a_holiday(start):
    assert CAL.add_workdays(start, 0) == start
    assert CAL.workdays_between(start, start) == 0


def test_adding_a_negative_number_of_working_days_is_refused():
    with pytest.raises(ValueError):
        CAL.add_workdays(d("2026-09-28"), -1)


@settings(deadline=None)
@given(start=any_days, n=st.integers(0, 300))
def test_workdays_between_is_the_inverse_of_add_workdays(start, n):
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    assert end >= start
    if n:
        assert CAL.is_workday(end)
        # and it is the first such day: the day before holds only n - 1
        assert CAL.workdays_between(start, end - timedelta(days=1)) == n - 1


@settings(deadline=None)
@given(start=any_days, span=st.integers(0, 400))
def test_add_workdays_lands_back_on_a_working_end_day(start, span):
    end = start + timedelta(days=span)
    n = CAL.workdays_between(start, end)
    back = CAL.add_workdays(start, n)
    assert back <= end
    assert CAL.workdays_between(back, end) == 0
    if CAL.is_workday(end) and span:
        assert back == end


@settings(deadline=None)
@given(a=any_days, offset=st.integers(-400, 400))
def test_workdays_between_is_antisymmetric(a, offset):
    b = a + timedelta(days=offset)
    assert CAL.workdays_between(a, b) == -CAL.workdays_between(b, a)


@settings(deadline=None)
@given(a=any_days, ab=st.integers(-200, 200), bc=st.integers(-200, 200))
def test_workdays_between_adds_up_over_consecutive_spans(a, ab, bc):
    b = a + timedelta(days=ab)
    c = b + timedelta(days=bc)
    assert CAL.workdays_between(a, b) + CAL.workdays_between(b, c) == CAL.workdays_between(a, c)


@given(start=any_days, n=st.integers(0, 60), stride=st.integers(2, 7))
def test_excluded_days_are_skipped_by_both_operations(start, n, stride):
    def excluded(day: date) -> bool:
        return day.toordinal() % stride == 0

    end = CAL.add_workdays(start, n, excluded=excluded)
    assert CAL.workdays_between(start, end, excluded=excluded) == n
    assert end >= CAL.add_workdays(start, n)
    if n:
        assert not excluded(end)
